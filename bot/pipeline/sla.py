"""The response-time watch: a warning before a target is missed, a breach event, the team told."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.models import Draft, Outbox, SlaEvent
from bot.registry import ContentRegistry

log = logging.getLogger(__name__)

# drafts whose customer is still waiting for the brand
WAITING = ("pending", "approved", "escalated", "failed")
ANSWERING_KINDS = ("reply", "acknowledgement")

Notify = Callable[[SlaEvent, str], bool]


@dataclass
class SlaReport:
    """What one watch round found."""

    warnings: int = 0
    breaches: int = 0
    notified: int = 0


def watch(
    session: Session, registry: ContentRegistry, *, now: datetime, notify: Notify | None = None
) -> SlaReport:
    """Record warnings and breaches once per draft and tell the team about each once."""
    report = SlaReport()
    for gid, community in registry.snapshot.communities.items():
        warn_at = now + community.guideline.response_watch.warn_before
        for draft in _waiting(session, gid, due_before=warn_at):
            kind = "breach" if draft.due_at <= now else "warning"
            if _record(session, draft, kind, now):
                report.breaches += kind == "breach"
                report.warnings += kind == "warning"
    session.commit()
    if notify is not None:
        report.notified = _notify_all(session, notify, now=now)
    return report


def _waiting(session: Session, community_id: str, *, due_before: datetime) -> list[Draft]:
    stmt = (
        select(Draft)
        .where(Draft.community_id == community_id, col(Draft.status).in_(WAITING))
        .where(col(Draft.kind).in_(ANSWERING_KINDS), col(Draft.due_at) <= due_before)
    )
    return list(session.exec(stmt).all())


def _record(session: Session, draft: Draft, kind: str, now: datetime) -> bool:
    """Add the event unless it exists; the unique (draft, kind) keeps it once across workers."""
    assert draft.id is not None
    exists = session.exec(select(SlaEvent.id).where(SlaEvent.draft_id == draft.id, SlaEvent.kind == kind))
    if exists.first() is not None:
        return False
    event = SlaEvent(
        draft_id=draft.id,
        community_id=draft.community_id,
        kind=kind,
        priority=draft.priority,
        due_at=draft.due_at,
        at=now,
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return False
    log.warning("response target %s", kind, extra={"draft_id": draft.id, "priority": draft.priority})
    return True


def message(event: SlaEvent) -> str:
    """What the team chat reads for an event."""
    due = event.due_at.strftime("%Y-%m-%d %H:%M UTC")
    if event.kind == "breach":
        return f"Response target missed: draft {event.draft_id} ({event.priority}) was due {due}."
    return f"Response target at risk: draft {event.draft_id} ({event.priority}) is due {due}."


def _notify_all(session: Session, notify: Notify, *, now: datetime) -> int:
    stmt = select(SlaEvent).where(col(SlaEvent.notified_at).is_(None)).order_by(col(SlaEvent.id)).limit(50)
    done = 0
    for event in session.exec(stmt).all():
        if notify(event, message(event)):
            event.notified_at = now
            session.add(event)
            session.commit()
            done += 1
    return done


@dataclass(frozen=True)
class Share:
    """How many answered drafts of a community met their target in a period."""

    community_id: str
    answered: int
    within_target: int

    @property
    def share(self) -> float | None:
        """The fraction within target, None when nothing was answered."""
        return self.within_target / self.answered if self.answered else None


def response_share(session: Session, *, community_id: str, since: datetime, until: datetime) -> Share:
    """The share of replies sent within target, for mentions that arrived in [since, until)."""
    stmt = (
        select(Draft.due_at, Outbox.sent_at)
        .join(Outbox, col(Outbox.draft_id) == col(Draft.id))
        .where(Draft.community_id == community_id, col(Draft.kind).in_(ANSWERING_KINDS))
        .where(Outbox.status == "sent", col(Draft.created_at) >= since, col(Draft.created_at) < until)
    )
    rows = session.exec(stmt).all()
    within = sum(1 for due_at, sent_at in rows if sent_at is not None and sent_at <= due_at)
    return Share(community_id, len(rows), within)
