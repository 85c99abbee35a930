"""Read-only queries behind the review queue pages: the filtered queue, threads, history, audit."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from bot import search
from bot.models import AuditEvent, Customer, Draft, Mention, Outbox

STATUSES = ("pending", "snoozed", "escalated", "approved", "sent", "failed", "rejected", "answered")
SENTIMENTS = ("negative", "neutral", "positive")
PRIORITIES = ("urgent", "high", "normal", "low")
# Counting a million rows on every page view is slow; past this the page says "200+". A filter
# that matches one row in five reads five times this many rows to count, so keep it small.
COUNT_CAP = 200


@dataclass(frozen=True)
class QueueFilter:
    """What the agent chose to see; empty strings mean 'any'."""

    status: str = "pending"
    community: str = ""
    platform: str = ""
    language: str = ""
    sentiment: str = ""
    priority: str = ""
    assigned: str = ""
    q: str = ""

    @property
    def searching(self) -> bool:
        """Whether the search words are long enough to search by (see search.MIN_LENGTH)."""
        return len(self.q) >= search.MIN_LENGTH

    def params(self) -> dict[str, str]:
        """The non-empty filters, for links that keep them."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def _filtered(session: Session, stmt: Any, f: QueueFilter, now: datetime) -> Any:
    if f.status == "pending":
        snoozed = or_(col(Draft.snoozed_until).is_(None), col(Draft.snoozed_until) <= now)
        stmt = stmt.where(Draft.status == "pending", snoozed)
    elif f.status == "snoozed":
        stmt = stmt.where(Draft.status == "pending", col(Draft.snoozed_until) > now)
    elif f.status == "escalated":
        stmt = stmt.where(Draft.status == "pending", col(Draft.escalated_at).is_not(None))
    elif f.status:
        stmt = stmt.where(Draft.status == f.status)
    for column, value in (
        (Draft.community_id, f.community),
        (Draft.language, f.language),
        (Draft.priority, f.priority),
        (Draft.assigned_to, f.assigned),
        (Mention.platform, f.platform),
        (Mention.sentiment_label, f.sentiment),
    ):
        if value:
            stmt = stmt.where(column == value)
    if f.searching:
        stmt = stmt.where(search.search_clause(session, f.q))
    return stmt


def queue(
    session: Session, f: QueueFilter, *, now: datetime, limit: int, offset: int
) -> list[tuple[Draft, Mention | None]]:
    """One page of drafts matching the filter, the nearest response deadline first."""
    # outer join: reminders and follow-ups answer no mention but need review all the same
    stmt = select(Draft, Mention).join(Mention, col(Draft.mention_id) == col(Mention.id), isouter=True)
    stmt = _filtered(session, stmt, f, now).order_by(col(Draft.due_at), col(Draft.id))
    stmt = stmt.offset(offset).limit(limit)
    return [(draft, mention) for draft, mention in session.exec(stmt).all()]


def queue_count(session: Session, f: QueueFilter, *, now: datetime, cap: int = COUNT_CAP) -> int:
    """How many drafts match, counted up to cap + 1 so the count stays cheap at a million rows."""
    inner = select(Draft.id).join(Mention, col(Draft.mention_id) == col(Mention.id), isouter=True)
    inner = _filtered(session, inner, f, now).limit(cap + 1).subquery()
    return int(session.exec(select(func.count()).select_from(inner)).one())


def thread(session: Session, conversation_id: int, *, exclude: int | None) -> list[Mention]:
    """The other messages of a conversation, oldest first (at most 50)."""
    stmt = (
        select(Mention)
        .where(Mention.conversation_id == conversation_id, Mention.id != (exclude or -1))
        .order_by(col(Mention.created_at))
        .limit(50)
    )
    return list(session.exec(stmt).all())


def history(session: Session, customer: Customer, *, exclude: int) -> list[tuple[Mention, Draft | None]]:
    """The customer's ten latest other mentions with what became of each."""
    stmt = (
        select(Mention, Draft)
        .join(Draft, col(Draft.mention_id) == col(Mention.id), isouter=True)
        .where(Mention.customer_id == customer.id, Mention.conversation_id != exclude)
        .order_by(col(Mention.created_at).desc())
        .limit(10)
    )
    return [(m, d) for m, d in session.exec(stmt).all()]


def outbox_for(session: Session, draft_id: int) -> Outbox | None:
    """The delivery row of a draft, to show why it failed."""
    return session.exec(select(Outbox).where(Outbox.draft_id == draft_id)).first()


def audit_page(
    session: Session, *, actor: str = "", action: str = "", limit: int = 100, offset: int = 0
) -> list[AuditEvent]:
    """Audit events, newest first, optionally for one actor or action prefix."""
    stmt = select(AuditEvent).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action:
        stmt = stmt.where(col(AuditEvent.action).startswith(action))
    return list(session.exec(stmt.offset(offset).limit(limit)).all())
