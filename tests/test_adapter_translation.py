"""Adapters only translate: each poller, with its real platform library against a local fake
server, turns platform data into mentions, edits, opt-outs and cursors. No database here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.base import Batch, Cursor, Edit, OptOut, Unread
from bot.adapters.reddit import RedditPoller
from bot.adapters.rss import FeedPoller, FeedReader
from bot.adapters.telegram import OFFSET, TelegramAdapter, TelegramPoller, UpdateReader
from bot.clock import SystemClock
from responders.domain import Mention
from tests.fakes.content import adapter_registry
from tests.fakes.feed_server import FeedServer
from tests.fakes.reddit_api import FakeReddit
from tests.fakes.telegram_api import TOKEN, FakeTelegram, group_chat, private_chat, user
from tests.live_server import serve
from tests.test_adapter_reddit import adapter_for

# the fakes date their messages by the machine's clock: the polls run on it too
NOW = SystemClock().now()


@pytest.fixture
def telegram() -> Iterator[tuple[FakeTelegram, TelegramAdapter]]:
    server = FakeTelegram()
    with serve(server.app) as url:
        adapter = TelegramAdapter(TOKEN, api_url=url, timeout=5, poll_timeout=0, pace=(0.0, 0.0, 0.0))
        yield server, adapter
        adapter.close()


def test_telegram_updates_become_one_batch_in_their_order_with_the_next_offset(
    telegram: tuple[FakeTelegram, TelegramAdapter], tmp_path: Path
) -> None:
    server, adapter = telegram
    registry = adapter_registry(tmp_path / "content")
    question = server.message(private_chat(1001), user(1001), "Hoe lang duurt de bezorging?")
    msg_id = question["message"]["message_id"]
    server.message(
        private_chat(1001), user(1001), "Hoe lang duurt de levering?", edited=True, message_id=msg_id
    )
    server.message(group_chat(), user(1002), "mooi weer vandaag")  # a group message not for us
    stop = server.message(private_chat(1003), user(1003, "Cor", "cor"), "/stop")
    unreadable = server.message(private_chat(1004), user(1004), "hallo", date=10**20)

    [batch] = list(TelegramPoller(adapter, registry).poll({}, now=NOW))

    mention, edit, opt_out, unread = batch.items
    assert isinstance(mention, Mention) and (mention.channel, mention.external_id) == (
        "direct",
        f"1001:{msg_id}",
    )
    assert isinstance(edit, Edit) and (edit.external_id, edit.text) == (
        f"1001:{msg_id}",
        "Hoe lang duurt de levering?",
    )
    assert isinstance(opt_out, OptOut) and opt_out.opted_out and opt_out.author.id == "1003"
    assert isinstance(unread, Unread) and unread.source == f"update {unreadable['update_id']}"
    assert batch.cursors == {OFFSET: Cursor(str(unreadable["update_id"] + 1))}
    # the /stop confirmation waits until the opt-out is stored: the pipeline runs it after
    assert server.sent == []
    [confirm] = batch.after
    confirm()
    [sent] = server.sent
    assert (
        sent["chat_id"] == "1003" and sent["reply_parameters"]["message_id"] == stop["message"]["message_id"]
    )


def test_telegram_polls_from_the_stored_offset_and_reads_a_migrated_group_by_its_old_id(
    telegram: tuple[FakeTelegram, TelegramAdapter], tmp_path: Path
) -> None:
    server, adapter = telegram
    registry = adapter_registry(tmp_path / "content", chats=("-4001", "direct"))
    new = {"id": -1009998887776, "type": "supergroup", "title": "Wijnclub"}
    skipped = server.message(private_chat(1001), user(1001), "al gelezen")
    server.message(new, user(1002), "Wanneer komt de bezorging van De Kelder?")
    # the group became a supergroup in an earlier round: the stored cursors say so
    cursors = {OFFSET: Cursor(str(skipped["update_id"] + 1)), f"chat {new['id']}": Cursor("-4001")}

    [batch] = list(TelegramPoller(adapter, registry).poll(cursors, now=NOW))

    [mention] = batch.items
    assert isinstance(mention, Mention) and mention.channel == "-4001"
    assert list(batch.cursors) == [OFFSET]


def test_a_group_migration_is_a_cursor_the_same_batch_already_reads_by(
    telegram: tuple[FakeTelegram, TelegramAdapter], tmp_path: Path
) -> None:
    server, adapter = telegram
    registry = adapter_registry(tmp_path / "content", chats=("-4001", "direct"))
    old = {"id": -4001, "type": "group", "title": "Wijnclub"}
    new_id = -1009998887776
    reader = UpdateReader(adapter, registry, {})
    reader.read(server.message(old, user(1001), "", migrate_to_chat_id=new_id))
    reader.read(
        server.message({**old, "id": new_id, "type": "supergroup"}, user(1002), "De Kelder bezorging?")
    )
    batch = reader.batch()
    [mention] = batch.items
    assert isinstance(mention, Mention) and mention.channel == "-4001"
    assert batch.cursors == {f"chat {new_id}": Cursor("-4001")}


def test_reddit_gives_a_batch_per_source_with_its_newest_time_and_only_what_counts(tmp_path: Path) -> None:
    server = FakeReddit()
    sub = "wijnliefhebbers"
    registry = adapter_registry(tmp_path / "content")
    server.post(sub, "Mooie wijn gedronken", "geen vraag aan ons", age=300)  # no keyword
    asked = server.post(sub, "Vraag over De Kelder", "Hoe lang duurt de bezorging?", age=200)
    server.post(sub, "[deleted]", "[deleted]", author="[deleted]", age=150)
    newest = server.post(sub, "De Kelder levert snel", "Top!", age=100)
    with serve(server.app) as url:
        poller = RedditPoller(adapter_for(url), registry)
        batches = {next(iter(b.cursors)): b for b in poller.poll({}, now=NOW)}
        again = list(poller.poll({s: b.cursors[s] for s, b in batches.items()}, now=NOW))

    posts = batches[f"r/{sub}/new"]
    assert [m.external_id for m in posts.items if isinstance(m, Mention)] == [asked["name"], newest["name"]]
    assert posts.cursors[f"r/{sub}/new"] == Cursor(str(newest["created_utc"]))
    # from the stored times on, only the newest item is listed again (equal times are deduplicated
    # on intake), and nothing new counts
    assert [m.external_id for b in again for m in b.items if isinstance(m, Mention)] == [newest["name"]]


@pytest.fixture
def feeds() -> Iterator[tuple[FeedServer, str]]:
    server = FeedServer()
    with serve(server.app) as url:
        yield server, url


def test_a_feed_is_a_batch_with_its_etag_and_an_unchanged_feed_is_none(
    feeds: tuple[FeedServer, str], tmp_path: Path
) -> None:
    server, base = feeds
    url = f"{base}/feeds/rss20.xml"
    registry = adapter_registry(tmp_path / "content", [url])
    reader = FeedReader(timeout=5)
    polled_at = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)
    try:
        poller = FeedPoller(reader, registry)
        [batch] = list(poller.poll({}, now=polled_at))
        again = list(poller.poll(batch.cursors, now=polled_at))
    finally:
        reader.close()

    assert isinstance(batch, Batch) and batch.platform == "rss" and batch.items
    assert all(isinstance(m, Mention) and m.channel == url for m in batch.items)
    assert batch.cursors[url].etag.startswith('"')
    assert again == [] and server.not_modified == 1, "the stored ETag made the server answer 304"
