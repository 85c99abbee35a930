"""Queries and writes as plain functions: (session, *, ...) -> rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from bot.models import (
    AuditEvent,
    Community,
    Conversation,
    Customer,
    Draft,
    Mention,
    Outbox,
)
from responders import domain


def find_mention(session: Session, *, platform: str, external_id: str) -> Mention | None:
    """The stored mention with this platform id, if any."""
    stmt = select(Mention).where(Mention.platform == platform, Mention.external_id == external_id)
    return session.exec(stmt).first()


def draft_for_mention(session: Session, *, mention_id: int) -> Draft | None:
    """The draft made for a mention, if any."""
    return session.exec(select(Draft).where(Draft.mention_id == mention_id)).first()


def upsert_community(session: Session, *, community_id: str, name: str, revision: str, now: datetime) -> None:
    """Record the guideline revision in force for a community."""
    row = session.get(Community, community_id)
    if row is None:
        session.add(Community(id=community_id, name=name, revision=revision, loaded_at=now))
    elif row.revision != revision or row.name != name:
        row.name, row.revision, row.loaded_at = name, revision, now
        session.add(row)


def upsert_customer(session: Session, *, platform: str, author: domain.Author, now: datetime) -> Customer:
    """The customer for a platform user, created on first sight and kept up to date."""
    stmt = select(Customer).where(Customer.platform == platform, Customer.platform_user_id == author.id)
    customer = session.exec(stmt).first()
    if customer is None:
        customer = Customer(platform=platform, platform_user_id=author.id, created_at=now)
    customer.handle = author.handle or customer.handle
    customer.name = author.name or customer.name
    if author.followers is not None:
        customer.followers = author.followers
    session.add(customer)
    session.flush()
    return customer


def upsert_conversation(
    session: Session, *, community_id: str, customer_id: int, mention: domain.Mention, now: datetime
) -> Conversation:
    """The thread a mention belongs to; a mention without a thread starts its own."""
    thread_ref = mention.thread_ref or mention.external_id
    stmt = select(Conversation).where(
        Conversation.platform == mention.platform,
        Conversation.channel == mention.channel,
        Conversation.thread_ref == thread_ref,
    )
    conversation = session.exec(stmt).first()
    if conversation is None:
        conversation = Conversation(
            community_id=community_id,
            customer_id=customer_id,
            platform=mention.platform,
            channel=mention.channel,
            thread_ref=thread_ref,
            created_at=now,
        )
    conversation.status = "waiting_brand"
    conversation.last_customer_message_at = mention.created_at
    conversation.updated_at = now
    session.add(conversation)
    session.flush()
    return conversation


def last_opening(session: Session, *, community_id: str) -> str:
    """The greeting the newest draft of a community opened with, to vary the next one."""
    stmt = (
        select(Draft.opening)
        .where(Draft.community_id == community_id, Draft.opening != "")
        .order_by(col(Draft.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first() or ""


def last_reply_to_customer(session: Session, *, customer_id: int) -> datetime | None:
    """When the brand last replied to this customer anywhere."""
    stmt = select(func.max(Conversation.last_brand_reply_at)).where(Conversation.customer_id == customer_id)
    return session.exec(stmt).first()


def list_drafts(
    session: Session,
    *,
    statuses: Sequence[str] = ("pending",),
    community_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[tuple[Draft, Mention]]:
    """Drafts with their mentions, the nearest response deadline first."""
    stmt = (
        select(Draft, Mention)
        .join(Mention, col(Draft.mention_id) == col(Mention.id))
        .where(col(Draft.status).in_(statuses))
        .order_by(col(Draft.due_at), col(Draft.id))
        .offset(offset)
        .limit(limit)
    )
    if community_id:
        stmt = stmt.where(Draft.community_id == community_id)
    return [(draft, mention) for draft, mention in session.exec(stmt).all()]


def count_drafts(session: Session, *, statuses: Sequence[str] = ("pending",)) -> int:
    """How many drafts have one of the statuses."""
    stmt = select(func.count()).select_from(Draft).where(col(Draft.status).in_(statuses))
    return int(session.exec(stmt).one())


def change_draft(
    session: Session,
    *,
    draft_id: int,
    from_status: str,
    version: int | None,
    values: dict[str, Any],
) -> bool:
    """Move a draft on only if it is still in from_status (and at version): optimistic locking."""
    stmt = (
        update(Draft)
        .where(col(Draft.id) == draft_id, col(Draft.status) == from_status)
        .values(version=Draft.version + 1, **values)
    )
    if version is not None:
        stmt = stmt.where(col(Draft.version) == version)
    result = session.execute(stmt)
    # an UPDATE returns a CursorResult, which knows how many rows matched
    return bool(getattr(result, "rowcount", 0) == 1)


def claim_outbox(
    session: Session, *, now: datetime, worker: str, lease: timedelta, limit: int
) -> list[Outbox]:
    """Atomically take due outbox rows for one worker; two workers never get the same row."""
    # A MATERIALIZED CTE runs the LIMITed, row-locking select exactly once; as a plain IN (subquery)
    # PostgreSQL may evaluate it again per row and hand out more rows than the limit.
    due = (
        select(Outbox.id)
        .where(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now)
        .order_by(col(Outbox.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    stmt = (
        update(Outbox)
        .where(col(Outbox.id).in_(select(due.c.id)), col(Outbox.status) == "pending")
        .values(status="sending", claimed_by=worker, claimed_until=now + lease, attempts=Outbox.attempts + 1)
        .returning(Outbox)
    )
    rows = list(session.execute(stmt).scalars())
    session.commit()
    return rows


def interrupted_outbox(session: Session, *, now: datetime) -> list[Outbox]:
    """Rows whose worker took them and never came back (crashed mid-send)."""
    stmt = select(Outbox).where(
        Outbox.status == "sending",
        or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < now),
    )
    return list(session.exec(stmt).all())


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record who did what in the audit log."""
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=before or {},
            after=after or {},
        )
    )
