"""Queries and writes as plain functions: (session, *, ...) -> rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, bindparam, exists, func, insert, or_, update
from sqlmodel import Session, SQLModel, col, select

from bot.models import (
    AuditEvent,
    Community,
    Conversation,
    Customer,
    CustomerOrder,
    Draft,
    Mention,
    Outbox,
)
from responders import domain


def find_mention(session: Session, *, platform: str, external_id: str) -> Mention | None:
    """The stored mention with this platform id, if any."""
    stmt = select(Mention).where(Mention.platform == platform, Mention.external_id == external_id)
    return session.exec(stmt).first()


def upsert_community(session: Session, *, community_id: str, name: str, revision: str, now: datetime) -> None:
    """Record the guideline revision in force for a community."""
    row = session.get(Community, community_id)
    if row is None:
        session.add(Community(id=community_id, name=name, revision=revision, loaded_at=now))
    elif row.revision != revision or row.name != name:
        row.name, row.revision, row.loaded_at = name, revision, now
        session.add(row)


# --- the intake hot path -------------------------------------------------------------------
# Intake runs these statements for every mention. They are built once (functools.cache) with bind
# parameters and run on the session's connection: SQLAlchemy then reuses their cache keys and
# compiled SQL, and the ORM's per-statement overhead, larger than the SQL itself, is skipped.


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


@cache
def _defaults(model: type[SQLModel]) -> dict[str, Callable[[], Any]]:
    """How to fill each column a caller leaves out: the model's own defaults."""
    fill: dict[str, Callable[[], Any]] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            fill[name] = info.default_factory  # type: ignore[assignment]
        elif info.default is not PydanticUndefined:
            fill[name] = partial(copy, info.default)
    fill.pop("id", None)
    return fill


def _values(model: type[SQLModel], **given: Any) -> dict[str, Any]:
    return {name: make() for name, make in _defaults(model).items() if name not in given} | given


def _run(session: Session, stmt: Any, values: dict[str, Any] | None = None) -> Any:
    return session.connection().execute(stmt, values)


@cache
def _statement(name: str) -> Any:
    """The prepared statements of the intake path, by name."""
    cu, cv, mn, dr = _table(Customer), _table(Conversation), _table(Mention), _table(Draft)
    orders = _table(CustomerOrder)
    p = bindparam
    statements: dict[str, Any] = {
        "find_customer": select(cu.c.id, cu.c.handle, cu.c.name, cu.c.followers).where(
            cu.c.platform == p("platform"), cu.c.platform_user_id == p("user_id")
        ),
        "update_customer": update(cu)
        .where(cu.c.id == p("row_id"))
        .values(handle=p("v_handle"), name=p("v_name"), followers=p("v_followers")),
        "find_thread": select(cv.c.id, cv.c.brand_replies, cv.c.first_response_due_at).where(
            cv.c.platform == p("platform"), cv.c.channel == p("channel"), cv.c.thread_ref == p("thread")
        ),
        "touch_thread": update(cv)
        .where(cv.c.id == p("row_id"))
        .values(status="waiting_brand", last_customer_message_at=p("v_at"), updated_at=p("v_now")),
        "set_due": update(cv).where(cv.c.id == p("row_id")).values(next_response_due_at=p("v_due")),
        "set_first_due": update(cv)
        .where(cv.c.id == p("row_id"))
        .values(next_response_due_at=p("v_due"), first_response_due_at=p("v_due")),
        "find_mention": select(mn.c.id).where(mn.c.platform == p("platform"), mn.c.external_id == p("ext")),
        # three look-ups in one round trip: each statement costs more in SQLAlchemy than in SQL
        "intake_context": select(
            select(func.max(cv.c.last_brand_reply_at))
            .where(cv.c.customer_id == p("customer"))
            .scalar_subquery(),
            exists().where(orders.c.customer_id == p("customer")),
            select(dr.c.opening)
            .where(dr.c.community_id == p("community"), dr.c.opening != "")
            .order_by(dr.c.id.desc())
            .limit(1)
            .scalar_subquery(),
        ),
    }
    for model in (Customer, Conversation, Mention, Draft):
        statements[f"insert_{_table(model).name}"] = insert(_table(model)).returning(_table(model).c.id)
    return statements[name]


def customer_id_for(session: Session, *, platform: str, author: domain.Author, now: datetime) -> int:
    """The id of the customer for a platform user: created on first sight, kept up to date."""
    found = _run(session, _statement("find_customer"), {"platform": platform, "user_id": author.id}).first()
    if found is None:
        values = _values(
            Customer,
            platform=platform,
            platform_user_id=author.id,
            handle=author.handle,
            name=author.name,
            followers=author.followers,
            created_at=now,
        )
        return int(_run(session, _statement("insert_customer"), values).scalar_one())
    # an empty or missing detail from the platform keeps what we knew
    known = {"v_handle": author.handle or found.handle, "v_name": author.name or found.name}
    known["v_followers"] = found.followers if author.followers is None else author.followers
    if (known["v_handle"], known["v_name"], known["v_followers"]) != (
        found.handle,
        found.name,
        found.followers,
    ):
        _run(session, _statement("update_customer"), {"row_id": found.id, **known})
    return int(found.id)


def upsert_customer(session: Session, *, platform: str, author: domain.Author, now: datetime) -> Customer:
    """The customer for a platform user, created on first sight and kept up to date."""
    customer = session.get(Customer, customer_id_for(session, platform=platform, author=author, now=now))
    assert customer is not None
    session.refresh(customer)
    return customer


@dataclass(frozen=True)
class ThreadState:
    """What intake needs to know about a conversation after the customer wrote in it."""

    id: int
    brand_replies: int
    first_response_due_at: datetime | None


def touch_conversation(
    session: Session, *, community_id: str, customer_id: int, mention: domain.Mention, now: datetime
) -> ThreadState:
    """Open or update the thread a mention belongs to; a mention without a thread starts its own."""
    thread_ref = mention.thread_ref or mention.external_id
    key = {"platform": mention.platform, "channel": mention.channel, "thread": thread_ref}
    found = _run(session, _statement("find_thread"), key).first()
    if found is None:
        values = _values(
            Conversation,
            community_id=community_id,
            customer_id=customer_id,
            platform=mention.platform,
            channel=mention.channel,
            thread_ref=thread_ref,
            status="waiting_brand",
            last_customer_message_at=mention.created_at,
            created_at=now,
            updated_at=now,
        )
        return ThreadState(
            int(_run(session, _statement("insert_conversation"), values).scalar_one()), 0, None
        )
    touch = {"row_id": found.id, "v_at": mention.created_at, "v_now": now}
    _run(session, _statement("touch_thread"), touch)
    return ThreadState(int(found.id), int(found.brand_replies), found.first_response_due_at)


def insert_mention(session: Session, **fields: Any) -> int:
    """Store a mention; IntegrityError when one with the same (platform, external_id) exists."""
    return int(_run(session, _statement("insert_mention"), _values(Mention, **fields)).scalar_one())


def insert_draft(session: Session, **fields: Any) -> int:
    """Store a draft and return its id."""
    return int(_run(session, _statement("insert_draft"), _values(Draft, **fields)).scalar_one())


def set_response_due(session: Session, *, conversation_id: int, due_at: datetime, first: bool) -> None:
    """Record when the brand must answer in a thread (and the first-response deadline if new)."""
    name = "set_first_due" if first else "set_due"
    _run(session, _statement(name), {"row_id": conversation_id, "v_due": due_at})


def mention_id_for(session: Session, *, platform: str, external_id: str) -> int | None:
    """The id of the stored mention with this platform id, if any."""
    found = _run(session, _statement("find_mention"), {"platform": platform, "ext": external_id}).scalar()
    return int(found) if found is not None else None


@dataclass(frozen=True)
class IntakeContext:
    """What drafting a reply needs to know beyond the mention and its thread."""

    last_reply_to_customer_at: datetime | None
    has_orders: bool
    previous_opening: str


def intake_context(session: Session, *, customer_id: int, community_id: str) -> IntakeContext:
    """When the brand last replied to this customer, whether they ever ordered, and the greeting
    the newest draft of the community opened with (to vary the next one)."""
    params = {"customer": customer_id, "community": community_id}
    last_reply, ordered, opening = _run(session, _statement("intake_context"), params).one()
    return IntakeContext(last_reply, bool(ordered), str(opening or ""))


def draft_summary(session: Session, *, mention_id: int) -> tuple[int, str] | None:
    """The id and action of the draft made for a mention, if any."""
    stmt = select(Draft.id, Draft.action).where(Draft.mention_id == mention_id)
    row = session.exec(stmt).first()
    return (int(row[0]), row[1]) if row and row[0] is not None else None


# --- review and delivery ---------------------------------------------------------------------


def list_drafts(
    session: Session,
    *,
    statuses: Sequence[str] = ("pending",),
    community_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[tuple[Draft, Mention | None]]:
    """Drafts with their mentions (None for reminders and follow-ups), the nearest deadline first."""
    stmt = (
        select(Draft, Mention)
        .outerjoin(Mention, col(Draft.mention_id) == col(Mention.id))
        .where(col(Draft.status).in_(statuses))
        .order_by(col(Draft.due_at), col(Draft.id))
        .offset(offset)
        .limit(limit)
    )
    if community_id:
        stmt = stmt.where(Draft.community_id == community_id)
    return [(draft, mention) for draft, mention in session.exec(stmt).all()]


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
        .values(status="claimed", claimed_by=worker, claimed_until=now + lease, attempts=Outbox.attempts + 1)
        .returning(Outbox)
    )
    rows = list(session.execute(stmt).scalars())
    session.commit()
    return rows


def interrupted_outbox(session: Session, *, now: datetime) -> list[Outbox]:
    """Rows whose worker took them (claimed) or started sending them and never came back (crashed)."""
    stmt = select(Outbox).where(
        col(Outbox.status).in_(("claimed", "sending")),
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
