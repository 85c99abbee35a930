"""`webcare tokens`: an admin makes, lists and revokes the API's bearer tokens, no database editing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.clock import SystemClock
from bot.db import make_engine
from bot.main import build_services, create_app
from bot.models import AuditEvent
from bot.settings import get_settings

runner = CliRunner()


@pytest.fixture
def env(env: str) -> str:
    """conftest's command environment, migrated."""
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    return env


def _status_with(token: str) -> int:
    """What GET /api/v1/drafts answers to this bearer token."""
    services = build_services(get_settings(), SystemClock())
    with TestClient(create_app(services, run_jobs=False)) as client:
        status = client.get("/api/v1/drafts", headers={"Authorization": f"Bearer {token}"}).status_code
    services.engine.dispose()
    return status


def _audit(url: str) -> list[tuple[str, str, str]]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        found = [(row.actor, row.action, str((row.after or row.before).get("name"))) for row in rows]
    engine.dispose()
    return found


def test_a_new_token_is_printed_once_and_opens_the_api(env: str) -> None:
    made = runner.invoke(app, ["tokens", "create", "shop-crm"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("wc_") and len(token) > 40  # alone on stdout: TOKEN=$(webcare tokens create ...)
    assert "shown this once" in made.stderr
    assert _status_with(token) == 200
    assert _status_with(token + "x") == 401

    listed = runner.invoke(app, ["tokens", "list"])
    assert listed.exit_code == 0, listed.output
    assert token not in listed.output
    [header, row] = listed.stdout.splitlines()
    assert header == "id\tname\tcreated (UTC)\tlast used (UTC)\tstate"
    number, name, created, last_used, state = row.split("\t")
    assert (number, name, state) == ("1", "shop-crm", "active")
    assert created[:4].isdigit() and last_used[:4].isdigit()  # used once above: no longer "never"


def test_a_revoked_token_gets_401_and_stays_listed_as_revoked(env: str) -> None:
    first = runner.invoke(app, ["tokens", "create", "first"]).stdout.strip()
    second = runner.invoke(app, ["tokens", "create", "second"]).stdout.strip()
    assert "never" in runner.invoke(app, ["tokens", "list"]).stdout

    by_name = runner.invoke(app, ["tokens", "revoke", "first"])
    assert by_name.exit_code == 0 and "Token 'first' revoked." in by_name.output
    by_id = runner.invoke(app, ["tokens", "revoke", "2"])
    assert by_id.exit_code == 0 and "Token 'second' revoked." in by_id.output
    assert (_status_with(first), _status_with(second)) == (401, 401)
    states = [line.split("\t")[-1] for line in runner.invoke(app, ["tokens", "list"]).stdout.splitlines()[1:]]
    assert all(state.startswith("revoked 20") for state in states) and len(states) == 2

    again = runner.invoke(app, ["tokens", "revoke", "first"])
    assert again.exit_code == 2 and "was revoked already" in again.stderr
    unknown = runner.invoke(app, ["tokens", "revoke", "nope"])
    assert unknown.exit_code == 2 and "no token named 'nope'" in unknown.stderr
    assert _audit(env) == [
        ("cli", "api_token.create", "first"),
        ("cli", "api_token.create", "second"),
        ("cli", "api_token.revoke", "first"),
        ("cli", "api_token.revoke", "second"),
    ]


def test_names_are_unique_plain_and_not_the_settings_token(env: str) -> None:
    assert runner.invoke(app, ["tokens", "create", "ci"]).exit_code == 0
    taken = runner.invoke(app, ["tokens", "create", "ci"])
    assert taken.exit_code == 2 and "a token named 'ci' exists (in use)" in taken.stderr
    reserved = runner.invoke(app, ["tokens", "create", "settings"])
    assert reserved.exit_code == 2 and "WEBCARE_API_TOKEN" in reserved.stderr
    spaced = runner.invoke(app, ["tokens", "create", "my token"])
    assert spaced.exit_code == 2 and "letters, digits" in spaced.stderr
    assert len(runner.invoke(app, ["tokens", "list"]).stdout.splitlines()) == 2  # header and 'ci'


def test_an_empty_list_says_how_to_make_one(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    listed = runner.invoke(app, ["tokens", "list"])
    assert listed.exit_code == 0 and "webcare tokens create NAME" in listed.output
    monkeypatch.setenv("WEBCARE_API_TOKEN", "a-token-from-the-environment")
    get_settings.cache_clear()
    assert "WEBCARE_API_TOKEN is set too" in runner.invoke(app, ["tokens", "list"]).output
