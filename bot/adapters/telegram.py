"""Telegram (python-telegram-bot 22): updates in by polling or webhook, replies out, /start /help /stop."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from telegram import Bot, Message, MessageEntity, ReplyParameters, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.adapters.base import (
    AdapterError,
    Batch,
    Capabilities,
    Cursor,
    Edit,
    Item,
    OptOut,
    OutgoingMessage,
    Receipt,
    Unread,
    interrupted,
    never_sent,
)
from bot.adapters.pacing import Pace, split_text
from bot.adapters.sources import matches_keywords, source_of
from bot.registry import ContentRegistry
from responders.domain import Author, Mention, ReplyTo

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_LENGTH = 4096  # Telegram's limit per message
DIRECT = "direct"
TEXTS = {
    "en": {
        "start": "Hi! Ask us anything here and a colleague will answer. Send /stop if you want no more "
        "messages from us that you did not ask for, and /help to see this again.",
        "stop": "Done: we will not send you messages you did not ask for. Send /start to undo this.",
    },
    "nl": {
        "start": "Hoi! Stel hier je vraag, dan antwoordt een collega. Stuur /stop als je geen berichten "
        "meer van ons wilt waar je niet om vroeg, en /help om dit nog eens te zien.",
        "stop": "Gelukt: we sturen je geen berichten meer waar je niet om vroeg. Stuur /start om dit "
        "ongedaan te maken.",
    },
}


class _HideToken(logging.Filter):
    """Blanks the bot token out of library log lines (it is part of every Bot API URL)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<bot-token>"), ()
        return True


# the loggers that print request URLs: httpx at INFO, python-telegram-bot at DEBUG
_URL_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.Updater", "telegram._bot")


def _classify(exc: TelegramError) -> AdapterError:
    """Wrap a library error: retryable only when Telegram surely did not act on the request."""
    if isinstance(exc, RetryAfter):
        return AdapterError(f"Telegram flood control: {exc.message}", retryable=True)
    if isinstance(exc, BadRequest | Forbidden | InvalidToken | ChatMigrated):
        return AdapterError(f"Telegram refused the message: {exc.message}", retryable=False)
    # TimedOut and NetworkError cover both a connect failure (never sent) and a read timeout or a
    # dropped connection after Telegram may have posted the message; the httpx cause tells them apart.
    if never_sent(exc):
        return AdapterError(f"Telegram is unreachable: {exc}", retryable=True)
    return interrupted(f"Telegram may have received the message, the answer did not arrive: {exc}")


class TelegramAdapter:
    """The bot: fetches and reads updates and sends replies through the Bot API."""

    platform = "telegram"
    capabilities = Capabilities(
        max_length=MAX_LENGTH, can_start_conversation=True, threading=True, editing=True
    )

    def __init__(
        self,
        token: str,
        *,
        api_url: str = "https://api.telegram.org",
        timeout: float = 15.0,
        poll_timeout: int = 10,
        pace: tuple[float, float, float] = (1.0, 3.0, 1 / 30),
    ) -> None:
        base = api_url.rstrip("/") + "/bot"
        self._hide = _HideToken(token)
        for name in _URL_LOGGERS:
            logging.getLogger(name).addFilter(self._hide)
        self.poll_timeout = poll_timeout
        self._bot = Bot(
            token,
            base_url=base,
            request=HTTPXRequest(connection_pool_size=8, connect_timeout=timeout, read_timeout=timeout),
            get_updates_request=HTTPXRequest(read_timeout=timeout + poll_timeout, connect_timeout=timeout),
        )
        self._pace = Pace(*pace)
        self._sent: dict[str, list[str]] = {}
        # python-telegram-bot is asyncio, our callers are threads (jobs, pollers, web threadpool). One
        # event loop in a thread of our own owns the Bot and its HTTP pool for the adapter's whole life:
        # no per-call set-up (asyncio.run would redo getMe and the pool each time) and no loop binding
        # surprises, and callers simply wait for the result with a timeout.
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="telegram-loop", daemon=True)
        self._thread.start()
        self._timeout = timeout
        self._me: tuple[int, str] | None = None

    def _call(self, make: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
        try:
            self._wait(self._bot.initialize, timeout)  # getMe once; a no-op afterwards
        except AdapterError as exc:
            # only getMe was asked: whatever went wrong, no message can have been sent yet
            raise AdapterError(str(exc), retryable=exc.retryable or exc.interrupted) from exc
        return self._wait(make, timeout)

    def _wait(self, make: Callable[[], Awaitable[T]], timeout: float | None) -> T:
        async def run() -> T:
            return await make()

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        try:
            return future.result(timeout or self._timeout * 2)
        except TelegramError as exc:
            raise _classify(exc) from exc
        except TimeoutError as exc:
            future.cancel()
            # the request may be on its way or answered already
            raise interrupted("Telegram did not answer in time") from exc

    def me(self) -> tuple[int, str]:
        """The bot's user id and @username (without the @), from getMe, asked once."""
        if self._me is None:
            user = self._call(lambda: self._bot.get_me())
            self._me = (user.id, user.username or "")
        return self._me

    def close(self) -> None:
        """Close the HTTP pool and stop the adapter's event loop."""
        try:
            asyncio.run_coroutine_threadsafe(self._bot.shutdown(), self._loop).result(self._timeout)
        except Exception:  # shutting down: a failure to close a pool is not worth more than a log line
            log.warning("telegram adapter did not shut down cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        for name in _URL_LOGGERS:
            logging.getLogger(name).removeFilter(self._hide)

    def parse(self, data: dict[str, Any]) -> Update:
        """An update from its JSON (as a webhook receives it)."""
        return Update.de_json(data, self._bot)

    def fetch_updates(self, offset: int, *, timeout: int | None = None) -> list[dict[str, Any]]:
        """Updates from offset on as JSON (long polling); earlier ones are confirmed to Telegram.

        Left unparsed: get_updates parses the whole batch at once, so one update the library
        cannot read would fail every round; each is parsed on its own by UpdateReader.read instead.
        """
        wait = self.poll_timeout if timeout is None else timeout
        # the library asks to use get_updates for this endpoint; the line above says why not
        warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)
        kwargs = {"offset": offset or None, "timeout": wait, "allowed_updates": ["message", "edited_message"]}
        updates = self._call(
            lambda: self._bot.do_api_request(
                "getUpdates", api_kwargs=kwargs, read_timeout=self._timeout + wait
            ),
            timeout=self._timeout * 2 + wait,
        )
        if not isinstance(updates, list):
            raise AdapterError(f"Telegram answered getUpdates with {type(updates).__name__}", retryable=True)
        return [u for u in updates if isinstance(u, dict)]

    def set_webhook(self, url: str, secret: str) -> None:
        """Ask Telegram to push updates to url with the secret token header."""
        self._call(
            lambda: self._bot.set_webhook(
                url, secret_token=secret, allowed_updates=["message", "edited_message"]
            )
        )

    def say(self, chat_id: int, text: str, *, reply_to: int | None = None, topic: int | None = None) -> str:
        """Send one message now (within the pace limits); return its message id."""
        self._pace.wait(chat_id)
        params = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        sent: Message = self._call(
            lambda: self._bot.send_message(chat_id, text, message_thread_id=topic, reply_parameters=params)
        )
        return str(sent.message_id)

    def send(self, message: OutgoingMessage) -> Receipt:
        """Deliver a reply in parts of at most 4,096 characters, threaded to the customer's message."""
        chat, reply_to, topic = _address(message)
        done = self._sent.setdefault(message.idempotency_key, [])
        parts = split_text(message.text, MAX_LENGTH)
        # parts sent before a failure are not sent again when the outbox retries
        for part in parts[len(done) :]:
            done.append(self.say(chat, part, reply_to=reply_to if not done else None, topic=topic))
        self._sent.pop(message.idempotency_key, None)
        return Receipt(platform_message_id=",".join(done))

    def to_mention(self, msg: Message, channel: str, *, to_bot: bool = False) -> Mention:
        """The neutral mention for a customer's message; to_bot: it mentions or answers the bot."""
        chat = msg.chat
        author = author_of(msg)
        topic = msg.message_thread_id if msg.is_topic_message else 0
        thread = str(chat.id) if channel == DIRECT else f"{chat.id}/{topic or 0}/{author.id}"
        return Mention(
            platform=self.platform,
            channel=channel,
            external_id=f"{chat.id}:{msg.message_id}",
            author=author,
            text=text_of(msg),
            created_at=msg.date,
            url=f"https://t.me/{chat.username}/{msg.message_id}" if chat.username else "",
            thread_ref=thread,
            private=channel == DIRECT,
            reply_to=_reply_to(msg, to_bot),
        )


# What a message carries besides words, as the agent reads it in the mention: a photo of a broken
# bottle sent without a caption is the customer's whole message
_MEDIA = (
    ("photo", "[photo]"),
    ("video", "[video]"),
    ("animation", "[GIF]"),
    ("video_note", "[video message]"),
    ("voice", "[voice message]"),
    ("audio", "[audio]"),
    ("document", "[file]"),
    ("sticker", "[sticker]"),
    ("location", "[location]"),
    ("contact", "[contact]"),
)


def text_of(msg: Message) -> str:
    """What a message says: its text or caption, after a note such as [photo] for what it carries."""
    note = next((label for attr, label in _MEDIA if getattr(msg, attr, None)), "")
    if msg.document is not None and msg.document.file_name:
        note = f"[file: {msg.document.file_name}]"
    elif msg.sticker is not None and msg.sticker.emoji:
        note = f"[sticker {msg.sticker.emoji}]"
    return "\n".join(part for part in (note, msg.text or msg.caption or "") if part)


def author_of(msg: Message) -> Author:
    """Who wrote a message: the user, or the chat they write as (anonymous admin, their channel)."""
    sender = msg.sender_chat
    if sender is not None:
        # an anonymous admin writes as the group itself: no name to greet; a channel has its title
        name = "" if sender.id == msg.chat.id else sender.title or ""
        return Author(id=f"chat:{sender.id}", handle=sender.username or "", name=name)
    user = msg.from_user
    assert user is not None
    return Author(id=str(user.id), handle=user.username or "", name=user.full_name)


def _reply_to(msg: Message, to_bot: bool) -> ReplyTo:
    """Whom a message answers: the bot, another member of the group, or nobody in particular."""
    if to_bot:
        return "brand"
    replied = msg.reply_to_message
    # in a forum, every message "replies" to the topic's opening service message: that is no person
    if replied is None or replied.from_user is None or replied.forum_topic_created is not None:
        return ""
    return "" if replied.from_user.is_bot else "member"


def _address(message: OutgoingMessage) -> tuple[int, int | None, int | None]:
    """(chat id, message to reply to, forum topic) from the outbox row's references."""
    try:
        parts = message.thread_ref.split("/")
        chat, _, reply = message.reply_to.partition(":")
        chat_id = int(chat or parts[0])
        topic = int(parts[1]) if len(parts) > 1 and parts[1] not in ("", "0") else None
        return chat_id, int(reply) if reply else None, topic
    except ValueError as exc:
        raise AdapterError(f"not a Telegram address: {message.thread_ref!r}", retryable=False) from exc


def channel_of(msg: Message) -> str:
    """How guidelines name a chat: 'direct' for private chats, '@name' or the numeric id for groups."""
    if msg.chat.type == "private":
        return DIRECT
    return f"@{msg.chat.username}" if msg.chat.username else str(msg.chat.id)


def addresses_bot(msg: Message, bot_id: int, bot_username: str) -> bool:
    """A group message that mentions the bot or replies to it."""
    kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    # a photo's words are its caption, with their own entities
    found = msg.parse_entities(kinds) if msg.text else msg.parse_caption_entities(kinds)
    for entity, text in found.items():
        if entity.user and entity.user.id == bot_id:
            return True
        if text.lstrip("@").casefold() == bot_username.casefold():
            return True
    reply = msg.reply_to_message
    # in a forum topic every message "replies" to the topic's first message: that is no reply to us
    if reply is None or (msg.is_topic_message and reply.message_id == msg.message_thread_id):
        return False
    return reply.from_user is not None and reply.from_user.id == bot_id


def command_of(msg: Message, bot_username: str) -> str | None:
    """'start', 'help' or 'stop' when the message is one of our commands (e.g. /stop@ourbot)."""
    text = msg.text or ""
    if not text.startswith("/"):
        return None
    name, _, target = text.split()[0][1:].partition("@")
    if target and target.casefold() != bot_username.casefold():
        return None
    return name.lower() if name.lower() in ("start", "help", "stop") else None


class UpdateReader:
    """Translates Telegram updates (polled or pushed) into one batch: mentions, edits, opt-outs.

    `known` holds the adapter's stored cursors: the groups that became supergroups ("chat NEW"
    -> old id) among them, so messages from a new id count for the old one.
    """

    def __init__(
        self, adapter: TelegramAdapter, registry: ContentRegistry, known: Mapping[str, Cursor]
    ) -> None:
        self.adapter, self.registry = adapter, registry
        self.known = dict(known)
        self.items: list[Item] = []
        self.after: list[Callable[[], None]] = []
        self.cursors: dict[str, Cursor] = {}

    def read(self, data: dict[str, Any]) -> None:
        """Translate one update; one that cannot be read is kept aside with its reason.

        A failure to reach Telegram (asking who the bot is) is raised: the update is read again.
        """
        try:
            self._read(self.adapter.parse(data))
        except AdapterError:
            raise
        except Exception as exc:
            self.items.append(
                Unread(f"update {data.get('update_id')}", json.dumps(data, ensure_ascii=False), exc)
            )

    def batch(self, cursors: Mapping[str, Cursor] | None = None) -> Batch:
        """What was read, with the cursors given added to the ones reading moved."""
        return Batch(
            self.adapter.platform, tuple(self.items), {**self.cursors, **(cursors or {})}, tuple(self.after)
        )

    def _read(self, update: Update) -> None:
        msg = update.edited_message or update.message
        if msg is None or not _from_a_person(msg):
            return
        if msg.migrate_to_chat_id or msg.migrate_from_chat_id:
            self._migrated(msg)
            return
        channel = self._listed_channel(msg)
        if update.edited_message is not None:
            # the stored message takes the new words; one never stored counts if the edit made it
            self.items.append(
                Edit(f"{msg.chat.id}:{msg.message_id}", text_of(msg), self._counting(msg, channel))
            )
            return
        _, bot_username = self.adapter.me()
        # commands are a person's own: an anonymous admin or a channel cannot opt out for someone
        command = command_of(msg, bot_username) if msg.sender_chat is None else None
        if command is not None:
            self._command(msg, command)
            return
        mention = self._counting(msg, channel)
        if mention is not None:
            self.items.append(mention)

    def _counting(self, msg: Message, channel: str) -> Mention | None:
        """The message as a mention when it counts: in a DM, to the bot, or with a keyword."""
        source = source_of(self.registry, self.adapter.platform, channel)
        if source is None:
            log.info("telegram message from a chat no guideline lists", extra={"channel": channel})
            return None
        bot_id, bot_username = self.adapter.me()
        to_bot = addresses_bot(msg, bot_id, bot_username)
        counts = (
            channel == DIRECT or to_bot or matches_keywords(msg.text or msg.caption or "", source.keywords)
        )
        if not counts or not text_of(msg).strip():
            return None
        return self.adapter.to_mention(msg, channel, to_bot=to_bot)

    def _command(self, msg: Message, name: str) -> None:
        user = msg.from_user
        assert user is not None
        if name in ("start", "stop"):
            author = Author(id=str(user.id), handle=user.username or "", name=user.full_name)
            self.items.append(OptOut(author, opted_out=name == "stop"))
        texts = TEXTS["nl" if (user.language_code or "").startswith("nl") else "en"]
        answer = texts["stop" if name == "stop" else "start"]

        def confirm() -> None:
            self.adapter.say(msg.chat.id, answer, reply_to=msg.message_id)

        # said once the opt-out is stored: a confirmation never promises what was not recorded
        self.after.append(confirm)

    def _migrated(self, msg: Message) -> None:
        old, new = (
            (msg.chat.id, msg.migrate_to_chat_id)
            if msg.migrate_to_chat_id
            else (msg.migrate_from_chat_id, msg.chat.id)
        )
        self.known[_migration_key(int(new or 0))] = self.cursors[_migration_key(int(new or 0))] = Cursor(
            str(old)
        )
        if source_of(self.registry, "telegram", str(old)) is not None:
            log.warning(
                "Telegram group %s became supergroup %s: its messages still count for the guideline's "
                "channel %s; write %s in the guideline instead",
                old,
                new,
                old,
                new,
                extra={"old_chat": old, "new_chat": new},
            )

    def _listed_channel(self, msg: Message) -> str:
        """The chat's channel as a guideline lists it: its old id if the group became a supergroup."""
        channel = channel_of(msg)
        if channel == DIRECT or source_of(self.registry, "telegram", channel) is not None:
            return channel
        old = self.known.get(_migration_key(msg.chat.id), Cursor()).position
        return old if old and source_of(self.registry, "telegram", old) is not None else channel


def _from_a_person(msg: Message) -> bool:
    """A message a person wrote: as themselves, as an anonymous admin or as their channel."""
    if msg.is_automatic_forward:
        return False  # a linked channel's post copied into its group: the channel's, not a member's
    if msg.sender_chat is not None:
        return True  # from_user is then Telegram's stand-in bot (GroupAnonymousBot, Channel_Bot)
    return msg.from_user is not None and not msg.from_user.is_bot


# A group that becomes a supergroup gets a new id; guidelines name the old one until someone
# edits them. The new id is kept as a source_cursor row ("chat NEW" -> OLD), the one table that
# already holds per-chat state of a poller, so the messages from the new id keep counting.
def _migration_key(chat_id: int) -> str:
    return f"chat {chat_id}"


OFFSET = "getUpdates"  # the cursor of polling: the next update id to ask for


class TelegramPoller:
    """Long-polls getUpdates; a round's updates are one batch, the next offset its cursor."""

    platform = "telegram"

    def __init__(self, adapter: TelegramAdapter, registry: ContentRegistry) -> None:
        self.adapter, self.registry = adapter, registry

    def poll(self, cursors: Mapping[str, Cursor], *, now: datetime) -> Iterator[Batch]:
        """The updates after the stored offset, as one batch that moves the offset past them."""
        updates = self.adapter.fetch_updates(int(cursors.get(OFFSET, Cursor()).position or 0))
        if not updates:
            return
        reader = UpdateReader(self.adapter, self.registry, cursors)
        for data in updates:
            reader.read(data)
        yield reader.batch({OFFSET: Cursor(str(_next_offset(updates)))})


def _next_offset(updates: list[dict[str, Any]]) -> int:
    """The update id after the newest one; updates without a readable id do not count."""
    ids = [u["update_id"] for u in updates if isinstance(u.get("update_id"), int)]
    return max(ids) + 1 if ids else 0
