"""Read-only queries behind the review queue pages: the filtered queue, threads, history, audit."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import or_, text
from sqlmodel import Session, col, select

from bot import search
from bot.models import Customer, Draft, Mention, Outbox

STATUSES = ("pending", "snoozed", "escalated", "approved", "sent", "failed", "rejected", "answered")
SENTIMENTS = ("negative", "neutral", "positive")
PRIORITIES = ("urgent", "high", "normal", "low")
KINDS = ("reply", "acknowledgement", "reminder", "follow_up")
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
    kind: str = ""
    assigned: str = ""
    # teams, comma-separated ("legal,webcare"); empty or "all": every team
    team: str = ""
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
        (Draft.kind, f.kind),
        (Draft.assigned_to, f.assigned),
        (Mention.platform, f.platform),
        (Mention.sentiment_label, f.sentiment),
    ):
        if value:
            stmt = stmt.where(column == value)
    teams = [t for t in f.team.split(",") if t and t != "all"]
    if teams:
        stmt = stmt.where(col(Draft.team).in_(teams))
    if f.searching:
        stmt = stmt.where(search.search_clause(session, f.q))
    return stmt


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and how many drafts match: `total` is a lower bound when `capped`."""

    rows: list[tuple[Draft, Mention | None]]
    total: int
    capped: bool
    has_next: bool


def _with_mention(*columns: Any) -> Any:
    # outer join: reminders and follow-ups answer no mention but need review all the same
    return select(*columns).join(Mention, col(Draft.mention_id) == col(Mention.id), isouter=True)


def _walk(session: Session, f: QueueFilter, now: datetime, *columns: Any) -> Any:
    return _filtered(session, _with_mention(*columns), f, now).order_by(col(Draft.due_at), col(Draft.id))


def queue_page(
    session: Session, f: QueueFilter, *, now: datetime, offset: int, size: int, count_cap: int = COUNT_CAP
) -> QueuePage:
    """Drafts matching the filter, the nearest response deadline first, and how many there are.

    Near the top one walk in deadline order reads the ids of the first count_cap + 1 matches: they
    give the page and the count ("200+"), so a filter is evaluated once, not twice. Deeper, and
    for a search, the count is only "at least this many" and costs nothing: the walk stops at the
    end of the page. A search word in 1% of the drafts would otherwise walk 20,000 of them to
    count to 200, four times the walk for its page (bench/queue_page.py, docs/benchmarks.md).
    """
    if session.get_bind().dialect.name == "postgresql":
        # one core per request: a parallel plan for a walk that stops after a few hundred rows
        # starts workers and merges their output, 55 ms became 170-220 ms with the other core busy
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    if offset + size <= count_cap and not f.searching:
        ids = [int(i) for i in session.exec(_walk(session, f, now, Draft.id).limit(count_cap + 1)).all()]
        rows = _rows_in_order(session, ids[offset : offset + size])
        capped = len(ids) > count_cap
        return QueuePage(rows, len(ids), capped, has_next=len(ids) > offset + size)
    found = session.exec(_walk(session, f, now, Draft, Mention).offset(offset).limit(size + 1)).all()
    rows = [(draft, mention) for draft, mention in found[:size]]
    has_next = len(found) > size
    return QueuePage(rows, offset + len(rows) + int(has_next), capped=has_next, has_next=has_next)


def _rows_in_order(session: Session, ids: list[int]) -> list[tuple[Draft, Mention | None]]:
    found = session.exec(_with_mention(Draft, Mention).where(col(Draft.id).in_(ids)))
    by_id = {draft.id: (draft, mention) for draft, mention in found}
    return [by_id[i] for i in ids if i in by_id]


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
