"""Telegram with the real python-telegram-bot against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot import pipeline
from bot.adapters.base import AdapterError, OutgoingMessage
from bot.adapters.pacing import split_text
from bot.adapters.telegram import TelegramAdapter, TelegramPoller
from bot.cli import app as cli
from bot.clock import SystemClock
from bot.main import create_app
from bot.models import Customer, Draft, Mention, Outbox
from bot.pipeline.batch_intake import poll_round
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import Settings, get_settings
from tests.fakes.content import adapter_registry
from tests.fakes.telegram_api import BOT, TOKEN, FakeTelegram, group_chat, private_chat, user
from tests.live_server import serve

QUESTION = "Hoe lang duurt de bezorging van mijn bestelling?"
# the fake Bot API dates its messages by the machine's clock, so the rounds here run on it too
CLOCK = SystemClock()


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    return adapter_registry(tmp_path / "content")


@pytest.fixture
def fake() -> Iterator[tuple[FakeTelegram, str]]:
    server = FakeTelegram()
    with serve(server.app) as url:
        yield server, url


@pytest.fixture
def bot(fake: tuple[FakeTelegram, str]) -> Iterator[TelegramAdapter]:
    adapter = TelegramAdapter(TOKEN, api_url=fake[1], timeout=5, poll_timeout=0, pace=(0.05, 0.05, 0.0))
    yield adapter
    adapter.close()


def poll(bot: TelegramAdapter, session: Session, registry: ContentRegistry) -> int:
    """One polling round; the number of new mentions it took in."""
    return poll_round(TelegramPoller(bot, registry), registry)(session, CLOCK.now())


def stored(session: Session) -> list[Mention]:
    session.expire_all()
    return list(session.exec(select(Mention).order_by(Mention.id)).all())  # type: ignore[arg-type]


def approve_and_deliver(session: Session, bot: TelegramAdapter, draft_id: int) -> pipeline.DeliveryReport:
    now = CLOCK.now()
    pipeline.approve(session, draft_id, actor="user:agent1", role="senior", now=now)
    return pipeline.deliver_due(session, {"telegram": bot}, now=now, worker="test")


def draft_of(session: Session, mention: Mention) -> Draft:
    draft = session.exec(select(Draft).where(Draft.mention_id == mention.id)).one()
    return draft


def test_a_direct_message_is_drafted_approved_and_the_reply_threads_to_it(
    fake: tuple[FakeTelegram, str], bot: TelegramAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    update = server.message(private_chat(1001), user(1001), QUESTION)
    assert poll(bot, session, registry) == 1
    [mention] = stored(session)
    assert (mention.channel, mention.text) == ("direct", QUESTION)
    draft = draft_of(session, mention)
    assert draft.status == "pending"
    assert poll(bot, session, registry) == 0, "the offset moved on: nothing is fetched twice"
    assert approve_and_deliver(session, bot, draft.id or 0).sent == 1
    [sent] = server.sent
    assert sent["chat_id"] == "1001" and sent["text"] == draft.text
    assert sent["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert pipeline.deliver_due(session, {"telegram": bot}, now=CLOCK.now(), worker="test").sent == 0
    assert len(server.sent) == 1


def test_in_groups_only_mentions_replies_and_keywords_count(
    fake: tuple[FakeTelegram, str], bot: TelegramAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    group, anna = group_chat(), user(1001)
    server.message(group, anna, "Iemand zin in een borrel vanavond?")
    server.message(
        group,
        user(1002, "Bram", "bram"),
        "@dekelder_bot hoe snel leveren jullie?",
        entities=[{"type": "mention", "offset": 0, "length": 13}],
    )
    server.message(group, user(1003, "Cor", "cor"), "Wanneer komt de bezorging eigenlijk?")
    bot_message = {
        "message_id": 7,
        "date": 1,
        "chat": group,
        "from": {"id": 4242, "is_bot": True, "first_name": "De Kelder", "username": "dekelder_bot"},
        "text": "Graag gedaan!",
    }
    server.message(
        group,
        user(1004, "Dirk", "dirk"),
        "Dank, en wat is de levertijd naar Gent?",
        reply_to_message=bot_message,
    )
    server.message(
        group_chat("other_group", -100999),
        anna,
        "@dekelder_bot hallo?",
        entities=[{"type": "mention", "offset": 0, "length": 13}],
    )
    assert poll(bot, session, registry) == 3, "the three that count are taken in"
    texts = [m.text for m in stored(session)]
    assert texts == [
        "@dekelder_bot hoe snel leveren jullie?",
        "Wanneer komt de bezorging eigenlijk?",
        "Dank, en wat is de levertijd naar Gent?",
    ]


def test_a_reply_in_a_forum_topic_goes_to_that_topic(
    fake: tuple[FakeTelegram, str], bot: TelegramAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    forum = group_chat(forum=True)
    topic_start = {
        "message_id": 55,
        "date": 1,
        "chat": forum,
        "from": user(1009),
        "text": "",
        "forum_topic_created": {"name": "Bezorging", "icon_color": 7322096},
    }
    # a plain message in a topic "replies" to the topic's first message: that is not a reply to us
    server.message(
        forum,
        user(1005),
        "gewoon gezellig hier",
        message_thread_id=55,
        is_topic_message=True,
        reply_to_message=topic_start,
    )
    update = server.message(
        forum,
        user(1006),
        "Hoe lang duurt de bezorging naar Utrecht?",
        message_thread_id=55,
        is_topic_message=True,
        reply_to_message=topic_start,
    )
    poll(bot, session, registry)
    [mention] = stored(session)
    approve_and_deliver(session, bot, draft_of(session, mention).id or 0)
    [sent] = server.sent
    assert sent["chat_id"] == str(forum["id"]) and sent["message_thread_id"] == "55"
    assert sent["reply_parameters"]["message_id"] == update["message"]["message_id"]


def test_start_help_and_stop_answer_and_stop_records_the_opt_out(
    fake: tuple[FakeTelegram, str], bot: TelegramAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    chat, anna = private_chat(1001), user(1001)
    for command in ("/start", "/help", "/stop"):
        server.message(
            chat, anna, command, entities=[{"type": "bot_command", "offset": 0, "length": len(command)}]
        )
    poll(bot, session, registry)
    assert [s["text"].split()[0] for s in server.sent] == ["Hoi!", "Hoi!", "Gelukt:"]
    assert stored(session) == [], "commands are not questions for the queue"
    customer = session.exec(select(Customer).where(Customer.platform_user_id == "1001")).one()
    assert customer.opted_out_at is not None
    server.message(chat, anna, "/start")
    poll(bot, session, registry)
    session.refresh(customer)
    assert customer.opted_out_at is None


def test_an_edited_message_updates_the_stored_mention(
    fake: tuple[FakeTelegram, str], bot: TelegramAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    update = server.message(private_chat(), user(), "Hoe lang duurt de bezorgign?")
    poll(bot, session, registry)
    server.message(private_chat(), user(), QUESTION, edited=True, message_id=update["message"]["message_id"])
    poll(bot, session, registry)
    [mention] = stored(session)
    assert mention.text == QUESTION and mention.edited_at is not None
    assert any("edited" in reason for reason in draft_of(session, mention).reasons)


def test_a_long_reply_is_split_below_4096_characters_and_paced(fake: tuple[FakeTelegram, str]) -> None:
    server, url = fake
    bot = TelegramAdapter(TOKEN, api_url=url, timeout=5, poll_timeout=0, pace=(0.3, 0.3, 0.0))
    paragraph = ("Een lange uitleg over wijn. " * 60).strip()
    text = "\n\n".join([paragraph] * 6)
    assert len(text) > 9000
    receipt = bot.send(OutgoingMessage("draft:1", "direct", text, thread_ref="1001", reply_to="1001:5"))
    assert len(server.sent) == 3 == len(receipt.platform_message_id.split(","))
    assert all(len(s["text"]) <= 4096 for s in server.sent)
    assert "\n\n".join(s["text"] for s in server.sent) == text
    assert "reply_parameters" in server.sent[0] and "reply_parameters" not in server.sent[1]
    gaps = [b - a for a, b in zip(server.sent_at, server.sent_at[1:], strict=False)]
    bot.close()
    assert min(gaps) >= 0.2, "messages to one chat are paced"
    assert split_text("kort", 4096) == ["kort"]


@pytest.mark.parametrize(
    ("status", "description", "params", "retryable"),
    [
        (429, "Too Many Requests: retry after 3", {"retry_after": 3}, True),
        # Telegram may have posted the message before its server failed: not retried, interrupted
        (500, "Internal Server Error", {}, False),
        (502, "Bad Gateway", {}, False),
        (400, "Bad Request: message to be replied not found", {}, False),
        (403, "Forbidden: bot was blocked by the user", {}, False),
    ],
)
def test_delivery_errors_are_classified(
    fake: tuple[FakeTelegram, str],
    bot: TelegramAdapter,
    status: int,
    description: str,
    params: dict[str, Any],
    retryable: bool,
) -> None:
    fake[0].fail_next(status, description, **params)
    with pytest.raises(AdapterError) as caught:
        bot.send(OutgoingMessage("draft:9", "direct", "Hallo", thread_ref="1001", reply_to="1001:5"))
    assert caught.value.retryable is retryable
    assert caught.value.interrupted is (status >= 500)


def test_a_reply_telegram_answers_too_late_for_is_sent_once_and_marked_interrupted(
    fake: tuple[FakeTelegram, str], session: Session, registry: ContentRegistry
) -> None:
    server, url = fake
    slow = TelegramAdapter(TOKEN, api_url=url, timeout=1, poll_timeout=0, pace=(0.0, 0.0, 0.0))
    server.message(private_chat(1001), user(1001), QUESTION)
    assert poll(slow, session, registry) == 1
    draft = draft_of(session, stored(session)[0])
    server.answer_delay = 2.0  # Telegram posts the message but answers after our 1 s read timeout
    assert approve_and_deliver(session, slow, draft.id or 0).failed == 1
    server.answer_delay = 0.0
    for minutes in (1, 10, 120):  # later rounds, well past every backoff
        later = CLOCK.now() + timedelta(minutes=minutes)
        assert pipeline.deliver_due(session, {"telegram": slow}, now=later, worker="test").sent == 0
    slow.close()
    assert len(server.sent) == 1, "the customer got the reply once"
    row = session.exec(select(Outbox).where(Outbox.draft_id == draft.id)).one()
    session.refresh(row)
    assert (row.status, row.error_class) == ("failed", "interrupted")
    assert row.last_error.startswith(pipeline.delivery.INTERRUPTED)
    assert session.get(Draft, draft.id).status == "failed"  # type: ignore[union-attr]


def closed_port_url() -> str:
    """An address where nothing listens: connections are refused, like a platform that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_when_telegram_is_down_nothing_is_lost(session: Session, registry: ContentRegistry) -> None:
    server = FakeTelegram()
    with serve(server.app) as url:
        down = TelegramAdapter(TOKEN, api_url=closed_port_url(), timeout=2, poll_timeout=0)
        with pytest.raises(AdapterError) as caught:
            down.send(OutgoingMessage("draft:1", "direct", "Hallo", thread_ref="1001", reply_to="1001:5"))
        assert caught.value.retryable
        down.close()
        server.message(private_chat(), user(), QUESTION)
        adapter = TelegramAdapter(TOKEN, api_url=url, timeout=2, poll_timeout=0)
        assert poll(adapter, session, registry) == 1
        adapter.close()
    assert [m.text for m in stored(session)] == [QUESTION]


@pytest.fixture
def webhook_client(
    fake: tuple[FakeTelegram, str],
    bot: TelegramAdapter,
    engine: Engine,
    registry: ContentRegistry,
    db_url: str,
) -> Iterator[TestClient]:
    settings = Settings(
        database_url=db_url,
        guidelines_dir=registry.guidelines_dir,
        faq_dir=registry.faq_dir,
        telegram_webhook_secret="hook-secret-xyz",
    )
    with Session(engine) as session:
        pipeline.sync_communities(session, registry, now=CLOCK.now())
    with TestClient(
        create_app(Services(settings, engine, registry, {"telegram": bot}, CLOCK), run_jobs=False)
    ) as c:
        yield c


def test_webhook_mode_takes_updates_only_with_the_secret_token(
    fake: tuple[FakeTelegram, str], webhook_client: TestClient, session: Session
) -> None:
    update = fake[0].message(private_chat(), user(), QUESTION)
    fake[0].updates.clear()
    assert webhook_client.post("/webhooks/telegram", json=update).status_code == 401
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret-xy"}
    assert webhook_client.post("/webhooks/telegram", json=update, headers=wrong).status_code == 401
    assert stored(session) == []
    right = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret-xyz"}
    assert webhook_client.post("/webhooks/telegram", json=update, headers=right).status_code == 200
    assert webhook_client.post("/webhooks/telegram", json=update, headers=right).status_code == 200
    [mention] = stored(session)
    assert mention.text == QUESTION
    assert webhook_client.post("/webhooks/telegram", json={"hello": 1}, headers=right).status_code == 422


def test_set_webhook_command_registers_the_url_and_secret(
    fake: tuple[FakeTelegram, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBCARE_TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBCARE_TELEGRAM_WEBHOOK_SECRET", "hook-secret-xyz")
    monkeypatch.setenv("WEBCARE_TELEGRAM_API_URL", fake[1])
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["telegram", "set-webhook", "https://webcare.example/webhooks/telegram"]
        )
        refused = CliRunner().invoke(cli, ["telegram", "set-webhook", "http://webcare.example/hook"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert fake[0].webhook["url"] == "https://webcare.example/webhooks/telegram"
    assert fake[0].webhook["secret_token"] == "hook-secret-xyz"
    assert refused.exit_code == 2 and "https" in refused.output


def test_the_bot_token_never_reaches_the_logs(
    fake: tuple[FakeTelegram, str],
    bot: TelegramAdapter,
    session: Session,
    registry: ContentRegistry,
    debug_logs: io.StringIO,
) -> None:
    server, _ = fake
    server.message(private_chat(1001), user(1001), QUESTION)
    assert poll(bot, session, registry) == 1
    ours = debug_logs.getvalue().splitlines()
    assert any("/bot<bot-token>/getUpdates" in line for line in ours)  # httpx logs every request URL
    assert not [line for line in ours if TOKEN in line or TOKEN.replace(":", "%3A") in line]


PHOTO = [{"file_id": "AgAD-small", "file_unique_id": "s1", "width": 90, "height": 60}]
BOT_MENTION = [{"type": "mention", "offset": 0, "length": 13}]


def test_a_group_photo_whose_caption_mentions_the_bot_is_taken_in_and_says_it_is_a_photo(
    fake: tuple[FakeTelegram, str], bot: TelegramAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    caption = "@dekelder_bot mijn fles kwam zo aan"
    server.message(group_chat(), user(1002), "", photo=PHOTO, caption=caption, caption_entities=BOT_MENTION)
    server.message(group_chat(), user(1003), "", photo=PHOTO, caption="mooi glas")  # not for us
    assert poll(bot, session, registry) == 1
    [mention] = stored(session)
    assert mention.text == f"[photo]\n{caption}" and mention.channel == "@dekelder_community"


def test_a_private_photo_without_caption_comes_in_so_an_agent_sees_a_photo_was_sent(
    fake: tuple[FakeTelegram, str], bot: TelegramAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    server.message(private_chat(1001), user(1001), "", photo=PHOTO)
    doc = {"file_id": "BQAD", "file_unique_id": "d1", "file_name": "bon-4411.pdf"}
    server.message(private_chat(1001), user(1001), "", document=doc)
    poll(bot, session, registry)
    assert [m.text for m in stored(session)] == ["[photo]", "[file: bon-4411.pdf]"]


@pytest.mark.parametrize("told_in", ["old group", "new supergroup"])
def test_after_a_group_becomes_a_supergroup_its_mentions_still_count(
    fake: tuple[FakeTelegram, str],
    bot: TelegramAdapter,
    session: Session,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    told_in: str,
) -> None:
    server, _ = fake
    registry = adapter_registry(tmp_path / "content", chats=("-4001", "direct"))
    old = {"id": -4001, "type": "group", "title": "Wijnclub"}
    new = {"id": -1009998887776, "type": "supergroup", "title": "Wijnclub"}
    if told_in == "old group":
        server.message(old, user(1001), "", migrate_to_chat_id=new["id"])
    else:
        server.message(new, user(1001), "", migrate_from_chat_id=old["id"])
    server.message(new, user(1002), "Wanneer komt de bezorging van De Kelder?")
    with caplog.at_level(logging.WARNING):
        poll(bot, session, registry)
    [mention] = stored(session)
    assert mention.channel == "-4001" and mention.external_id.startswith(f"{new['id']}:")
    assert f"write {new['id']} in the guideline" in caplog.text


def test_anonymous_admins_and_members_writing_as_their_channel_are_taken_in(
    fake: tuple[FakeTelegram, str], bot: TelegramAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    group = group_chat()
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    channel_bot = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
    wijnhuis = {
        "id": -1005550001,
        "type": "channel",
        "title": "Wijnhuis Jansen",
        "username": "wijnhuisjansen",
    }
    server.message(group, anonymous, "Klopt de bezorging naar Gent?", sender_chat=group)
    server.message(group, channel_bot, "Wat kost de bezorging bij De Kelder?", sender_chat=wijnhuis)
    assert poll(bot, session, registry) == 2
    customers = {c.platform_user_id: c for c in session.exec(select(Customer)).all()}
    admin, channel = customers[f"chat:{group['id']}"], customers["chat:-1005550001"]
    assert admin.name == "" and (channel.name, channel.handle) == ("Wijnhuis Jansen", "wijnhuisjansen")
    assert len(stored(session)) == 2


@pytest.mark.parametrize("message", [{"message_id": 1}, "hallo", {"message_id": 2, "chat": 5, "date": "x"}])
def test_a_malformed_update_with_the_right_secret_is_answered_without_a_server_error(
    webhook_client: TestClient, session: Session, message: Any
) -> None:
    right = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret-xyz"}
    answer = webhook_client.post(
        "/webhooks/telegram", json={"update_id": 77, "message": message}, headers=right
    )
    # 200: Telegram would otherwise send it again and again and hold back every later update
    assert answer.status_code == 200 and stored(session) == []


@pytest.mark.parametrize(
    "unit",
    [
        "🇳🇱",  # a flag: two regional indicators
        "👨‍👩‍👧‍👦",  # a family: four people joined by zero-width joiners
        "👍🏽",  # a skin tone
        "e\u0301",  # e and a combining acute accent
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # the flag of England
    ],
)
def test_a_long_reply_is_never_cut_inside_a_character_as_the_reader_sees_it(unit: str) -> None:
    text = "a" + unit * 700
    for limit in range(len(unit) * 3, len(unit) * 3 + len(unit) + 1):
        parts = split_text(text, limit)
        assert "".join(parts) == text
        assert all(len(p) <= limit for p in parts)
        assert all(p.lstrip("a").replace(unit, "") == "" for p in parts), parts[0][-4:]


def dropping_server(sock: socket.socket) -> None:
    """Answer getMe like Telegram, read a sendMessage and close the connection without an answer."""
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            request = conn.recv(65536)
            if b"getMe" in request:
                body = json.dumps({"ok": True, "result": BOT}).encode()
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)


def test_a_connection_dropped_after_the_request_went_out_is_interrupted_not_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        threading.Thread(target=dropping_server, args=(sock,), daemon=True).start()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        adapter = TelegramAdapter(TOKEN, api_url=url, timeout=2, poll_timeout=0, pace=(0.0, 0.0, 0.0))
        with pytest.raises(AdapterError) as caught:
            adapter.send(OutgoingMessage("draft:1", "direct", "Hallo", thread_ref="1001", reply_to="1001:5"))
        adapter.close()
    assert caught.value.interrupted and not caught.value.retryable
