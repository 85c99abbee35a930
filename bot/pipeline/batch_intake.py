"""The one intake path of the pollers and the Telegram webhook: a batch in, one transaction.

An adapter translates platform data into a Batch (mentions, edits, opt-outs, what it could not
read, and the cursors after them); this module stores all of it, cursors included, in one
transaction. A crash before the commit stores nothing and moves no cursor, so the platform data is
read again and taken in once (intake is idempotent); a crash after it repeats nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import db, store
from bot.adapters.base import AdapterError, Batch, Cursor, Edit, Item, OptOut, Poller, Unread
from bot.clock import Clock
from bot.models import Draft, SourceCursor
from bot.pipeline.errors import CommunityUnavailable, UnknownChannel
from bot.pipeline.intake import Received, after_commit, clean_text, receive
from bot.pipeline.set_aside import Unreadable, is_transient, reason_for, set_aside
from bot.registry import ContentRegistry
from responders import domain

log = logging.getLogger(__name__)
EDITED_NOTE = "The customer edited the message after this draft was made: check it still fits."


@dataclass
class _Outcome:
    """What a batch did: the mentions stored (for follow-ups to hear of), counted when new."""

    received: list[tuple[Received, datetime]] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return sum(not r.duplicate for r, _ in self.received)


def load_cursors(session: Session, *, platform: str) -> dict[str, Cursor]:
    """Every stored cursor of a platform, by source."""
    rows = session.exec(select(SourceCursor).where(SourceCursor.platform == platform)).all()
    return {r.source: Cursor(r.cursor, r.etag, r.last_modified) for r in rows}


def take_in_batch(session: Session, registry: ContentRegistry, batch: Batch, *, now: datetime) -> int:
    """Store a batch and its cursors in one transaction; the number of new mentions taken in.

    An item that fails for what it holds is set aside and the rest is stored (then each item in
    a transaction of its own, the cursors last). A passing failure (database down or locked) is
    raised with nothing stored: the poller reads the same data again next round.
    """
    try:
        with db.write_turn(session):
            outcome = _Outcome()
            for item in batch.items:
                _apply(session, registry, batch.platform, item, now, outcome)
            _save_cursors(session, batch.platform, batch.cursors, now)
            session.commit()
    except Exception as exc:
        session.rollback()
        if is_transient(exc):
            raise
        log.warning("a batch failed together; taking its items in one by one", exc_info=True)
        outcome = _one_by_one(session, registry, batch, now)
    for received, when in outcome.received:
        after_commit(session, registry, received, now=when)
    for call in batch.after:
        try:
            call()
        except AdapterError as exc:  # what the call follows is stored; only the platform call failed
            log.warning("a call to %s after storing its batch failed: %s", batch.platform, exc)
    return outcome.taken


def _one_by_one(session: Session, registry: ContentRegistry, batch: Batch, now: datetime) -> _Outcome:
    outcome = _Outcome()
    for item in batch.items:
        try:
            with db.write_turn(session):
                _apply(session, registry, batch.platform, item, now, outcome)
                session.commit()
        except Exception as exc:
            session.rollback()
            if is_transient(exc):
                raise
            source, payload = _described(batch.platform, item)
            log.warning("item set aside", exc_info=exc, extra={"platform": batch.platform, "source": source})
            set_aside(
                session,
                platform=batch.platform,
                source=source,
                payload=payload,
                reason=reason_for(exc),
                now=now,
            )
    with db.write_turn(session):
        _save_cursors(session, batch.platform, batch.cursors, now)
        session.commit()
    return outcome


def _apply(
    session: Session, registry: ContentRegistry, platform: str, item: Item, now: datetime, outcome: _Outcome
) -> None:
    """One item into the open transaction (no commit)."""
    if isinstance(item, Unread):
        _keep(session, platform, item.source, item.payload, item.error, now)
    elif isinstance(item, OptOut):
        customer = store.upsert_customer(session, platform=platform, author=item.author, now=now)
        customer.opted_out_at = now if item.opted_out else None
        session.add(customer)
    elif isinstance(item, Edit):
        if not _record_edit(session, platform, item, now) and item.mention is not None:
            _receive(session, registry, item.mention, now, outcome)
    else:
        _receive(session, registry, item, now, outcome)


def _receive(
    session: Session, registry: ContentRegistry, mention: domain.Mention, now: datetime, outcome: _Outcome
) -> None:
    try:
        outcome.received.append((receive(session, mention, registry, now=now, commit=False), now))
    except (Unreadable, CommunityUnavailable) as exc:  # refused before anything was written
        source, payload = _described(mention.platform, mention)
        _keep(session, mention.platform, source, payload, exc, now)
    except UnknownChannel as exc:  # no community listens (any more): nothing to keep it for
        log.warning("mention skipped: %s", exc, extra={"external_id": mention.external_id})


def _record_edit(session: Session, platform: str, edit: Edit, now: datetime) -> bool:
    """Give a stored mention its new words and tell the agent; False when it was never stored."""
    mention = store.find_mention(session, platform=platform, external_id=edit.external_id)
    if mention is None:
        return False
    mention.text, mention.edited_at = clean_text(edit.text), now
    session.add(mention)
    draft = session.exec(select(Draft).where(Draft.mention_id == mention.id)).first()
    if draft is not None and draft.status == "pending" and EDITED_NOTE not in draft.reasons:
        draft.reasons = [*draft.reasons, EDITED_NOTE]
        session.add(draft)
    return True


def _keep(session: Session, platform: str, source: str, payload: str, exc: Exception, now: datetime) -> None:
    log.warning("message set aside", exc_info=exc, extra={"platform": platform, "source": source})
    set_aside(
        session,
        platform=platform,
        source=source,
        payload=payload,
        reason=reason_for(exc),
        now=now,
        commit=False,
    )


def _described(platform: str, item: Item) -> tuple[str, str]:
    """(source, payload) under which an item that failed is set aside."""
    if isinstance(item, Unread):
        return item.source, item.payload
    if isinstance(item, Edit):
        return f"{platform} edit {item.external_id}", json.dumps(
            asdict(item), default=str, ensure_ascii=False
        )
    if isinstance(item, OptOut):
        return f"{platform} opt-out {item.author.id}", json.dumps(
            asdict(item), default=str, ensure_ascii=False
        )
    return f"{item.channel} {item.external_id}", json.dumps(asdict(item), default=str, ensure_ascii=False)


def _save_cursors(session: Session, platform: str, cursors: Mapping[str, Cursor], now: datetime) -> None:
    for source, cursor in cursors.items():
        stmt = select(SourceCursor).where(SourceCursor.platform == platform, SourceCursor.source == source)
        row = session.exec(stmt).first() or SourceCursor(platform=platform, source=source[:500])
        row.cursor, row.etag = cursor.position[:500], cursor.etag[:500]
        row.last_modified, row.updated_at = cursor.last_modified[:200], now
        session.add(row)


def poll_round(poller: Poller, registry: ContentRegistry) -> Callable[[Session, datetime], int]:
    """A round: ask the poller for what is new since the stored cursors and take each batch in."""

    def run(session: Session, now: datetime) -> int:
        cursors = load_cursors(session, platform=poller.platform)
        session.rollback()  # no read transaction held open while the platform is asked
        return sum(take_in_batch(session, registry, b, now=now) for b in poller.poll(cursors, now=now))

    return run


@dataclass
class PollLoop:
    """Runs one adapter's poll round every few seconds in its own thread, off the web event loop."""

    name: str
    round: Callable[[Session, datetime], int]
    engine: Engine
    interval: float
    clock: Clock

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poll-{self.name}", daemon=True)

    def run_once(self) -> int:
        """One round; errors are logged so the loop keeps going (the platform may be down)."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                return self.round(session, self.clock.now())
        except AdapterError as exc:
            log.warning("poll round failed, trying again later: %s", exc, extra={"poller": self.name})
            return 0
        except Exception:
            log.exception("poll round failed; trying again later", extra={"poller": self.name})
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Start polling in the background."""
        self._thread.start()
        log.info("poller started", extra={"poller": self.name, "interval": self.interval})

    def stop(self) -> None:
        """Stop after the round in progress."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
