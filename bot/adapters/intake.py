"""What every adapter does with the database: take in mentions, edits, opt-outs and poll cursors."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import pipeline, store
from bot.adapters.base import AdapterError
from bot.clock import Clock
from bot.models import Customer, Draft, Mention, SourceCursor
from bot.pipeline.intake import clean_text
from bot.pipeline.set_aside import is_transient, reason_for, set_aside
from bot.registry import ContentRegistry
from responders import domain

log = logging.getLogger(__name__)


def source_of(registry: ContentRegistry, platform: str, channel: str) -> domain.Source | None:
    """The guideline source that lists a platform channel, if a community listens to it."""
    community = registry.community_for(platform, channel)
    if community is None:
        return None
    for source in community.guideline.sources:
        if source.platform == platform and channel.lower() in (c.lower() for c in source.channels):
            return source
    return None


def matches_keywords(text: str, keywords: Iterable[str]) -> bool:
    """Whether the text names one of the keywords (case-insensitive)."""
    lowered = text.casefold()
    return any(k.casefold() in lowered for k in keywords)


def take_in(
    session: Session, registry: ContentRegistry, mention: domain.Mention, *, now: datetime
) -> pipeline.Received | None:
    """Receive one mention; None (and a log line) when no community listens to its channel.

    A community that listens but cannot take messages in right now (CommunityUnavailable) is
    raised, not skipped: the caller sets the message aside, so no customer's words are lost.
    """
    try:
        return pipeline.receive(session, mention, registry, now=now)
    except pipeline.CommunityUnavailable:
        raise
    except pipeline.UnknownChannel as exc:
        log.warning("mention skipped: %s", exc, extra={"external_id": mention.external_id})
        return None


def take_in_or_set_aside(
    session: Session, registry: ContentRegistry, mention: domain.Mention, *, source: str, now: datetime
) -> pipeline.Received | None:
    """take_in, but a mention that fails for what it holds is set aside so the ones after it flow;
    a passing failure (database down) is raised, and the poller tries again."""
    try:
        return take_in(session, registry, mention, now=now)
    except Exception as exc:
        payload = json.dumps(asdict(mention), default=str, ensure_ascii=False)
        set_aside_or_raise(session, exc, platform=mention.platform, source=source, payload=payload, now=now)
        return None


def record_edit(session: Session, *, platform: str, external_id: str, text: str, now: datetime) -> bool:
    """Update a stored mention the customer edited; False when it was never stored."""
    mention = store.find_mention(session, platform=platform, external_id=external_id)
    if mention is None:
        return False
    mention.text, mention.edited_at = clean_text(text), now
    session.add(mention)
    draft = session.exec(select(Draft).where(Draft.mention_id == mention.id)).first()
    note = "The customer edited the message after this draft was made: check it still fits."
    if draft is not None and draft.status == "pending" and note not in draft.reasons:
        draft.reasons = [*draft.reasons, note]
        session.add(draft)
    session.commit()
    return True


def set_aside_or_raise(
    session: Session, exc: Exception, *, platform: str, source: str, payload: str, now: datetime
) -> None:
    """After a message failed: raise a passing failure so it is tried again; set anything else
    aside (it would fail every time), so the messages after it flow. See docs/operations.md."""
    session.rollback()
    if is_transient(exc):
        raise exc
    log.warning("message set aside", exc_info=exc, extra={"platform": platform, "source": source})
    set_aside(session, platform=platform, source=source, payload=payload, reason=reason_for(exc), now=now)


def set_opt_out(
    session: Session, *, platform: str, author: domain.Author, opted_out: bool, now: datetime
) -> None:
    """Record that a customer does (or no longer does) want messages they did not ask for."""
    customer = store.upsert_customer(session, platform=platform, author=author, now=now)
    customer.opted_out_at = now if opted_out else None
    session.add(customer)
    session.commit()


def is_opted_out(session: Session, *, platform: str, user_id: str) -> bool:
    """Whether the customer opted out."""
    stmt = select(Customer).where(Customer.platform == platform, Customer.platform_user_id == user_id)
    customer = session.exec(stmt).first()
    return customer is not None and customer.opted_out_at is not None


def mention_exists(session: Session, *, platform: str, external_id: str) -> bool:
    """Whether this platform item was stored before."""
    stmt = select(Mention.id).where(Mention.platform == platform, Mention.external_id == external_id)
    return session.exec(stmt).first() is not None


def load_cursor(session: Session, *, platform: str, source: str) -> SourceCursor:
    """Where the poller of a source stopped (a fresh row on first use)."""
    stmt = select(SourceCursor).where(SourceCursor.platform == platform, SourceCursor.source == source)
    return session.exec(stmt).first() or SourceCursor(platform=platform, source=source[:500])


def save_cursor(session: Session, cursor: SourceCursor, *, now: datetime) -> None:
    """Store the poller position; call only after the items before it were taken in."""
    cursor.updated_at = now
    session.add(cursor)
    session.commit()


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
