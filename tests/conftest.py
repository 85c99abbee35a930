"""Fixtures: databases (SQLite always, PostgreSQL when configured), content, app and client."""

from __future__ import annotations

import io
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from bot import accounts, migrations, pipeline
from bot.adapters.console import ConsoleSender
from bot.clock import Clock, SystemClock
from bot.db import make_engine
from bot.logs import configure_logging
from bot.main import create_app
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import Settings, get_settings
from tests.factories import write_content

PG_URL = os.environ.get("WEBCARE_TEST_POSTGRES_URL", "")
ON_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
API_TOKEN = "test-token-0123456789"
# CI runs the suite a second time under Debian's libfaketime (0.9.10) with the date shifted ahead.
# It does not intercept sem_clockwait, so there a timed wait on a Python lock or event (APScheduler's
# ticker waiting for its next run) never times out: only what is woken up explicitly goes on.
UNDER_FAKETIME = "libfaketime" in os.environ.get("LD_PRELOAD", "")


def pytest_configure(config: pytest.Config) -> None:
    if ON_CI and not PG_URL:
        raise pytest.UsageError(
            "CI=true needs WEBCARE_TEST_POSTGRES_URL: the database tests must run on PostgreSQL"
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "webcare.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL schema of its own, dropped at the end; fails loudly when unreachable."""
    schema = f"webcare_test_{uuid.uuid4().hex[:8]}"
    url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc}")
    scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
    scoped_url = scoped.render_as_string(hide_password=False)
    migrations.upgrade(scoped_url)
    yield scoped_url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    from sqlmodel import SQLModel

    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "webcare.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """Test content: one community with a small FAQ."""
    guidelines, faq = write_content(tmp_path / "content")
    return ContentRegistry(guidelines, faq)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite database and the test content, set through WEBCARE_ variables, for commands."""
    url = f"sqlite:///{tmp_path / 'var' / 'webcare.db'}"
    guidelines, faq = write_content(tmp_path / "content")
    monkeypatch.setenv("WEBCARE_DATABASE_URL", url)
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(guidelines))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(faq))
    monkeypatch.delenv("WEBCARE_API_TOKEN", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """The test content on disk, used by the `webcare` command through WEBCARE_ variables."""
    guidelines, faq = write_content(tmp_path)
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(guidelines))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(faq))
    get_settings.cache_clear()
    yield guidelines, faq
    get_settings.cache_clear()


@pytest.fixture
def clock() -> Clock:
    """The clock the app under test reads: the machine's. A module that needs a date of its own
    overrides this fixture with a FixedClock and moves it."""
    return SystemClock()


@pytest.fixture
def session(engine: Engine, registry: ContentRegistry, clock: Clock) -> Iterator[Session]:
    """A session on the test database with the test communities in place."""
    with Session(engine, expire_on_commit=False) as session:
        pipeline.sync_communities(session, registry, now=clock.now())
        yield session


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's) for the whole run, shared by every browser test module."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    args += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)
        yield browser
        browser.close()


@pytest.fixture
def console_sender() -> ConsoleSender:
    """The console platform: records what was sent."""
    return ConsoleSender()


@pytest.fixture
def services(
    engine: Engine, registry: ContentRegistry, console_sender: ConsoleSender, db_url: str, clock: Clock
) -> Services:
    """The app's services wired to the test database and content."""
    settings = Settings(
        database_url=db_url,
        api_token=API_TOKEN,
        guidelines_dir=registry.guidelines_dir,
        faq_dir=registry.faq_dir,
    )
    with Session(engine) as session:
        pipeline.sync_communities(session, registry, now=clock.now())
    return Services(settings, engine, registry, {"console": console_sender}, clock)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """An HTTP client on the app, with jobs off so tests drive delivery themselves."""
    with TestClient(create_app(services, run_jobs=False)) as client:
        yield client


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The client with the API bearer token set."""
    client.headers["Authorization"] = f"Bearer {API_TOKEN}"
    return client


def add_user(
    services: Services, username: str = "agent1", role: str = "agent", password: str = "correct horse battery"
) -> None:
    """Create a user who can sign in."""
    with Session(services.engine) as session:
        accounts.add_user(session, username=username, password=password, role=role, now=services.clock.now())


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """All that webcare logs at DEBUG (the most an operator can switch on), as its handler prints it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("text", "DEBUG")
    stream = io.StringIO()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]  # the StreamHandler just made
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
