"""RSS 0.91, 1.0, 2.0 and Atom through httpx and feedparser against a local feed server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import pipeline
from bot.adapters import rss
from bot.adapters.wiring import build_senders
from bot.clock import FixedClock
from bot.main import create_app
from bot.models import Draft, Mention, Outbox, SourceCursor
from bot.pipeline.batch_intake import poll_round
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import Settings
from tests.conftest import add_user
from tests.fakes.content import adapter_registry
from tests.fakes.feed_server import FeedServer
from tests.live_server import serve
from tests.test_web import sign_in

FILES = ["rss091.xml", "rss10.rdf", "rss20.xml", "atom.xml", "malformed.xml"]


@pytest.fixture
def feeds() -> Iterator[tuple[FeedServer, str]]:
    server = FeedServer()
    with serve(server.app) as url:
        yield server, url


@pytest.fixture
def registry(tmp_path: Path, feeds: tuple[FeedServer, str]) -> ContentRegistry:
    return adapter_registry(tmp_path / "content", [f"{feeds[1]}/feeds/{name}" for name in FILES])


@pytest.fixture
def reader() -> Iterator[rss.FeedReader]:
    reader = rss.FeedReader(timeout=5)
    yield reader
    reader.close()


# the clock of a poll: just after the fake feeds were last modified, so their entries are fresh
# (a guideline ignores posts older than a week) whatever the day the suite runs
POLLED_AT = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)


def run(reader: rss.FeedReader, session: Session, registry: ContentRegistry) -> int:
    return poll_round(rss.FeedPoller(reader, registry), registry)(session, POLLED_AT)


def texts(session: Session) -> dict[str, str]:
    session.expire_all()
    return {m.url: m.text for m in session.exec(select(Mention)).all()}


def test_every_feed_format_is_read_and_only_entries_with_keywords_go_in(
    reader: rss.FeedReader, session: Session, registry: ContentRegistry
) -> None:
    assert run(reader, session, registry) == 5
    found = texts(session)
    assert set(found) == {
        "http://wijnclub-oost.example/nieuws/proefavond.html",
        "https://wijnblog.example/2026/11/kelder-review",
        "https://forum.dekelder.example/t/bezorging-naar-antwerpen/812",
        "https://expatwine.example/threads/4411",
        "https://broken.example/1",
    }, "entries without a keyword (notulen, rioja, stoofvlees, wine bars) stay out"
    assert found["https://forum.dekelder.example/t/bezorging-naar-antwerpen/812"] == (
        "Bezorging naar Antwerpen?\n\nHallo allemaal,\n\n"
        "Bezorgt De Kelder ook naar Antwerpen? En hoe lang duurt de bezorging dan ongeveer?\n\nGroet, Joris"
    ), "HTML became plain text; the script is gone"
    assert found["https://expatwine.example/threads/4411"].startswith(
        "Delivery from De Kelder & ID checks\n\nHas anyone ordered from De Kelder? "
        "How long did delivery take?"
    )
    assert "bezorging duurde vier dagen & een fles" in found["https://wijnblog.example/2026/11/kelder-review"]


def test_the_second_round_asks_conditionally_and_takes_nothing_twice(
    feeds: tuple[FeedServer, str], reader: rss.FeedReader, session: Session, registry: ContentRegistry
) -> None:
    server, _ = feeds
    run(reader, session, registry)
    assert run(reader, session, registry) == 0
    assert server.not_modified == len(FILES), "unchanged feeds answer 304"
    last = dict(server.requests)
    assert last["rss20.xml"]["if-none-match"].startswith('"')
    assert last["rss20.xml"]["if-modified-since"] == "Fri, 20 Nov 2026 12:00:00 GMT"
    # the forum adds a topic: only that one is new, the old ones are recognised by their ids
    new_item = (
        b"<item><title>Kurk in mijn fles van De Kelder</title><link>https://forum.dekelder.example/t/813</link>"
        b"<guid isPermaLink='false'>forum.dekelder.example-topic-813</guid>"
        b"<description>Wat nu?</description></item>"
    )
    server.bodies["rss20.xml"] = server.bodies["rss20.xml"].replace(b"<item>", new_item + b"<item>", 1)
    assert run(reader, session, registry) == 1
    assert len(texts(session)) == 6


def test_a_malformed_feed_gives_what_parsed_and_a_warning(
    feeds: tuple[FeedServer, str], reader: rss.FeedReader, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{feeds[1]}/feeds/malformed.xml"
    with caplog.at_level(logging.WARNING):
        mentions = rss.parse_feed(url, reader.fetch(url).content or b"", now=POLLED_AT)
    assert mentions[0].text == "Eerste bericht over De Kelder\n\nHoe lang duurt de bezorging van De Kelder?"
    assert any("feed is malformed" in r.getMessage() and r.__dict__["feed"] == url for r in caplog.records)


def test_a_feed_that_is_down_loses_nothing_and_is_read_later(
    feeds: tuple[FeedServer, str],
    reader: rss.FeedReader,
    session: Session,
    registry: ContentRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, _ = feeds
    saved = dict(server.bodies)
    server.bodies.clear()  # every feed answers 404
    with caplog.at_level(logging.WARNING):
        assert run(reader, session, registry) == 0
    assert any("feed not fetched" in r.getMessage() for r in caplog.records)
    assert session.exec(select(SourceCursor)).all() == [], "no cursor moved past unread entries"
    server.bodies.update(saved)
    assert run(reader, session, registry) == 5


def test_end_to_end_an_entry_is_drafted_and_marked_as_answered_by_hand(
    reader: rss.FeedReader, engine: Engine, registry: ContentRegistry, db_url: str
) -> None:
    settings = Settings(database_url=db_url, guidelines_dir=registry.guidelines_dir, faq_dir=registry.faq_dir)
    services = Services(settings, engine, registry, build_senders(settings), FixedClock(POLLED_AT))
    with Session(engine, expire_on_commit=False) as session:
        pipeline.sync_communities(session, registry, now=POLLED_AT)
        run(reader, session, registry)
        mention = session.exec(select(Mention).where(Mention.url.endswith("/812"))).one()
        draft = session.exec(select(Draft).where(Draft.mention_id == mention.id)).one()
    assert draft.status == "pending"
    add_user(services)
    with TestClient(create_app(services, run_jobs=False)) as client:
        csrf = sign_in(client)
        page = client.get(f"/queue/{draft.id}").text
        assert mention.url in page and "Mark answered" in page
        assert (
            "Marked as answered" in client.post(f"/queue/{draft.id}/answered", data={"csrf_token": csrf}).text
        )
    with Session(engine) as session:
        assert session.get(Draft, draft.id).status == "answered"  # type: ignore[union-attr]
        assert session.exec(select(Outbox)).all() == [], "webcare posted nothing"
    assert services.senders["rss"].capabilities.can_start_conversation is False


def test_placeholder_feeds_on_reserved_domains_are_never_fetched(
    tmp_path: Path, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, content=b"<rss version='2.0'><channel></channel></rss>")

    placeholders = ["https://forum.dekelder.example/feed.atom", "http://feeds.invalid/x.xml"]
    registry = adapter_registry(tmp_path / "placeholders", placeholders)
    reader = rss.FeedReader(timeout=5, transport=httpx.MockTransport(answer))
    try:
        assert poll_round(rss.FeedPoller(reader, registry), registry)(session, POLLED_AT) == 0
    finally:
        reader.close()
    assert asked == []
    assert "feed not fetched" not in caplog.text
