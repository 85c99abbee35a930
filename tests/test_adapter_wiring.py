"""Adapters come from the settings: each missing one says so once; pollers run with the app."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import pipeline
from bot.adapters.base import OutgoingMessage
from bot.adapters.wiring import build_poll_loops, build_senders, close_senders
from bot.clock import Clock, SystemClock
from bot.main import create_app
from bot.models import Mention
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import Settings
from tests.fakes import reddit_api
from tests.fakes.content import adapter_registry
from tests.fakes.reddit_api import FakeReddit
from tests.fakes.telegram_api import TOKEN, FakeTelegram, private_chat, user
from tests.live_server import serve


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    return adapter_registry(tmp_path / "content")


def test_without_credentials_each_adapter_stays_off_with_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.adapters.wiring"):
        senders = build_senders(Settings(reddit_client_id="only-the-id"))
    assert set(senders) == {"rss", "webhook"}
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0] == "telegram adapter off: set WEBCARE_TELEGRAM_BOT_TOKEN to connect a bot"
    assert lines[1] == (
        "reddit adapter off: set WEBCARE_REDDIT_CLIENT_SECRET, WEBCARE_REDDIT_USERNAME, "
        "WEBCARE_REDDIT_PASSWORD to connect"
    )


def test_capabilities_per_platform_and_no_secret_in_any_log_line(debug_logs: io.StringIO) -> None:
    telegram, reddit = FakeTelegram(), FakeReddit()
    with serve(telegram.app) as telegram_url, serve(reddit.app) as reddit_url:
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_url=telegram_url,
            reddit_client_id=reddit_api.CLIENT_ID,
            reddit_client_secret=reddit_api.CLIENT_SECRET,
            reddit_username=reddit_api.USERNAME,
            reddit_password=reddit_api.PASSWORD,
            reddit_oauth_url=reddit_url,
            reddit_url=reddit_url,
        )
        senders = build_senders(settings)
        senders["telegram"].send(
            OutgoingMessage("k1", "direct", "Hallo", thread_ref="1001", reply_to="1001:5")
        )
        senders["reddit"].send(OutgoingMessage("k2", "r/wijnliefhebbers", "Hallo", reply_to="t3_abc"))
        close_senders(senders)
    assert len(telegram.sent) == 1 and len(reddit.replies) == 1
    logged = debug_logs.getvalue()  # all that webcare prints, at the most detailed level
    assert "HTTP Request: POST" in logged, "httpx logged the calls..."
    for secret in (TOKEN, reddit_api.PASSWORD, reddit_api.CLIENT_SECRET, reddit_api.ACCESS_TOKEN):
        assert secret not in logged, "...but no secret"
    caps = {name: sender.capabilities for name, sender in senders.items()}
    assert caps["telegram"].max_length == 4096 and caps["telegram"].can_start_conversation
    assert caps["reddit"].max_length == 10_000 and not caps["reddit"].can_start_conversation
    assert not caps["rss"].can_start_conversation and not caps["webhook"].can_start_conversation


def test_the_app_polls_telegram_in_the_background(
    engine: Engine, registry: ContentRegistry, db_url: str, clock: Clock
) -> None:
    server = FakeTelegram()
    with serve(server.app) as url:
        settings = Settings(
            database_url=db_url,
            guidelines_dir=registry.guidelines_dir,
            faq_dir=registry.faq_dir,
            telegram_bot_token=TOKEN,
            telegram_api_url=url,
            poll_seconds={"telegram": 0.2, "rss": 600, "reddit": 600},
        )
        senders = build_senders(settings)
        with Session(engine) as session:
            pipeline.sync_communities(session, registry, now=clock.now())
        server.message(private_chat(), user(), "Hoe lang duurt de bezorging?")
        with TestClient(create_app(Services(settings, engine, registry, senders, clock))):
            deadline = time.monotonic() + 15
            found: list[Mention] = []
            while not found and time.monotonic() < deadline:
                time.sleep(0.2)
                with Session(engine) as session:
                    found = list(session.exec(select(Mention)).all())
        close_senders(senders)
    assert [m.text for m in found] == ["Hoe lang duurt de bezorging?"]


def test_in_webhook_mode_telegram_is_not_polled(
    engine: Engine, registry: ContentRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        telegram_bot_token=TOKEN,
        telegram_webhook_secret="hook-secret",
        telegram_api_url="http://127.0.0.1:9",
    )
    senders = build_senders(settings)
    with caplog.at_level(logging.INFO):
        loops = build_poll_loops(Services(settings, engine, registry, senders, SystemClock()))
    close_senders(senders)
    assert [loop.name for loop in loops] == ["rss"]
    assert "telegram in webhook mode: updates arrive at /webhooks/telegram" in caplog.text
