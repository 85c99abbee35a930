"""The response-time watch: a warning before a target is missed, a breach event, the team told."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.models import Draft, Mention, Outbox, SlaEvent
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
        try:
            warn_at = now + community.guideline.response_watch.warn_before
        except OverflowError:  # content that slipped past validation: the other communities are watched
            log.error("response watch skipped: warn_before out of range", extra={"community": gid})
            continue
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


# The alerts panel reads the newest events only, then looks their drafts up by primary key: a
# bounded amount of work per page view however many mentions, drafts and events the database holds
# (a join would let the planner scan every pending draft).
ALERT_WINDOW = timedelta(days=14)
ALERT_SCAN = 200


@dataclass(frozen=True)
class Alert:
    """A draft still pending after a warning or breach: what the team sees in the UI."""

    draft_id: int
    kind: str
    priority: str
    due_at: datetime
    at: datetime
    text: str = ""


@dataclass(frozen=True)
class OpenAlerts:
    """The newest open alerts (a breach wins over a warning of the same draft) and how many there are."""

    alerts: list[Alert]
    count: int
    capped: bool


def open_alerts(session: Session, *, now: datetime, limit: int = 10) -> OpenAlerts:
    """Warnings and breaches of the last two weeks whose draft is still pending, breaches first."""
    columns = (SlaEvent.draft_id, SlaEvent.kind, SlaEvent.priority, SlaEvent.due_at, SlaEvent.at)
    recent = (
        sa_select(*(col(c) for c in columns))
        .where(col(SlaEvent.at) >= now - ALERT_WINDOW)
        .order_by(col(SlaEvent.id).desc())  # recorded in id order: a backward walk of the key
        .limit(ALERT_SCAN)
    )
    events = [Alert(*row) for row in session.execute(recent).all()]
    drafts = {e.draft_id for e in events}
    pending_stmt = select(Draft.id).where(col(Draft.id).in_(drafts), Draft.status == "pending")
    pending = set(session.exec(pending_stmt).all()) if drafts else set()
    by_draft: dict[int, Alert] = {}
    for e in events:  # newest first: keep a draft's newest event, a breach over a warning
        seen = by_draft.get(e.draft_id)
        if e.draft_id in pending and (seen is None or (e.kind == "breach" and seen.kind != "breach")):
            by_draft[e.draft_id] = e
    ordered = sorted(by_draft.values(), key=lambda a: (a.kind != "breach", -a.at.timestamp()))[:limit]
    return OpenAlerts(_with_texts(session, ordered), len(by_draft), len(events) == ALERT_SCAN)


def _with_texts(session: Session, alerts: list[Alert]) -> list[Alert]:
    """The customer's words for the alerts shown, so the team sees what is waiting."""
    if not alerts:
        return []
    stmt = (
        select(Draft.id, Mention.text)
        .join(Mention, col(Mention.id) == col(Draft.mention_id))
        .where(col(Draft.id).in_([a.draft_id for a in alerts]))
    )
    texts = dict(session.exec(stmt).all())
    return [replace(a, text=texts.get(a.draft_id, "")) for a in alerts]


def events_for(session: Session, draft_id: int) -> list[SlaEvent]:
    """The warning and breach recorded for one draft, oldest first."""
    stmt = select(SlaEvent).where(SlaEvent.draft_id == draft_id).order_by(col(SlaEvent.at))
    return list(session.exec(stmt).all())
