"""Queries and writes as plain functions: (session, *, ...) -> rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, and_, bindparam, exists, func, insert, literal, or_, update
from sqlalchemy import select as core_select  # sqlmodel's select takes at most four columns
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


def _intake_lookup(mn: Table, cu: Table, cv: Table, dr: Table, orders: Table) -> Any:
    """Everything intake reads about a new mention, in one statement: is it stored already, who
    wrote it, which thread it belongs to, and the community's newest greeting.

    One anchor row, outer-joined to each look-up, so every answer comes back even when the
    customer or thread is new; each part is an index look-up.
    """
    p = bindparam
    anchor = select(literal(1).label("one")).subquery("anchor")
    last_reply = select(func.max(cv.c.last_brand_reply_at)).where(cv.c.customer_id == cu.c.id)
    opening = (
        select(dr.c.opening)
        .where(dr.c.community_id == p("community"), dr.c.opening != "")
        .order_by(dr.c.id.desc())
        .limit(1)
    )
    thread = cv.alias("thread")
    joined = (
        anchor.outerjoin(mn, and_(mn.c.platform == p("platform"), mn.c.external_id == p("ext")))
        .outerjoin(cu, and_(cu.c.platform == p("platform"), cu.c.platform_user_id == p("user_id")))
        .outerjoin(
            thread,
            and_(
                thread.c.platform == p("platform"),
                thread.c.channel == p("channel"),
                thread.c.thread_ref == p("thread"),
            ),
        )
    )
    return core_select(
        mn.c.id.label("mention_id"),
        cu.c.id.label("customer_id"),
        cu.c.handle,
        cu.c.name,
        cu.c.followers,
        last_reply.scalar_subquery().label("last_reply_at"),
        exists().where(orders.c.customer_id == cu.c.id).label("has_orders"),
        thread.c.id.label("thread_id"),
        thread.c.brand_replies,
        opening.scalar_subquery().label("opening"),
    ).select_from(joined)


@cache
def _statement(name: str) -> Any:
    """The prepared statements of the intake path, by name."""
    cu, cv, mn, dr = _table(Customer), _table(Conversation), _table(Mention), _table(Draft)
    p = bindparam
    due = bindparam("v_due", type_=cv.c.next_response_due_at.type)
    statements: dict[str, Any] = {
        "find_customer": select(cu.c.id, cu.c.handle, cu.c.name, cu.c.followers).where(
            cu.c.platform == p("platform"), cu.c.platform_user_id == p("user_id")
        ),
        "update_customer": update(cu)
        .where(cu.c.id == p("row_id"))
        .values(handle=p("v_handle"), name=p("v_name"), followers=p("v_followers")),
        "find_mention": select(mn.c.id).where(mn.c.platform == p("platform"), mn.c.external_id == p("ext")),
        # a message without a draft (ignored, listen-only) leaves the deadlines as they were
        "touch_thread": update(cv)
        .where(cv.c.id == p("row_id"))
        .values(
            status="waiting_brand",
            last_customer_message_at=p("v_at"),
            updated_at=p("v_now"),
            next_response_due_at=func.coalesce(due, cv.c.next_response_due_at),
            first_response_due_at=func.coalesce(cv.c.first_response_due_at, due),
        ),
        "intake_lookup": _intake_lookup(mn, cu, cv, dr, _table(CustomerOrder)),
    }
    for model in (Customer, Conversation, Mention, Draft):
        statements[f"insert_{_table(model).name}"] = insert(_table(model)).returning(_table(model).c.id)
    return statements[name]


@dataclass(frozen=True)
class KnownCustomer:
    """A stored customer as intake sees them."""

    id: int
    handle: str
    name: str
    followers: int | None
    last_reply_at: datetime | None  # when the brand last replied to them anywhere
    has_orders: bool


@dataclass(frozen=True)
class ThreadState:
    """What intake needs to know about the conversation a mention belongs to."""

    id: int
    brand_replies: int


@dataclass(frozen=True)
class IntakeLookup:
    """What the database knows about a new mention before it is stored."""

    mention_id: int | None  # set when the mention is stored already
    customer: KnownCustomer | None
    thread: ThreadState | None
    previous_opening: str  # the greeting the community's newest draft opened with


@dataclass(frozen=True)
class ThreadFacts:
    """What a thread already holds: the customers' words and the FAQ answers the brand gave."""

    texts: tuple[str, ...]
    answered_faq_ids: tuple[str, ...]


# enough to find an order number given earlier; a thread longer than this is a rare exception
_THREAD_TEXTS = 20
_ANSWERED = ("approved", "sent")


def thread_facts(session: Session, *, thread_id: int) -> ThreadFacts:
    """The newest texts of a thread and the FAQ entries already approved or sent in it."""
    texts = session.exec(
        select(Mention.text)
        .where(Mention.conversation_id == thread_id)
        .order_by(col(Mention.id).desc())
        .limit(_THREAD_TEXTS)
    ).all()
    answered = session.exec(
        select(Draft.faq_id)
        .where(
            Draft.conversation_id == thread_id,
            col(Draft.status).in_(_ANSWERED),
            col(Draft.faq_id).is_not(None),
        )
        .distinct()
    ).all()
    return ThreadFacts(tuple(texts), tuple(sorted(str(faq_id) for faq_id in answered)))


def intake_lookup(session: Session, *, mention: domain.Mention, community_id: str) -> IntakeLookup:
    """Read, in one round trip, what storing and answering a new mention needs."""
    params = {
        "platform": mention.platform,
        "ext": mention.external_id,
        "user_id": mention.author.id,
        "channel": mention.channel,
        "thread": mention.thread_ref or mention.external_id,
        "community": community_id,
    }
    row = _run(session, _statement("intake_lookup"), params).one()
    customer = None
    if row.customer_id is not None:
        customer = KnownCustomer(
            int(row.customer_id),
            row.handle,
            row.name,
            row.followers,
            row.last_reply_at,
            bool(row.has_orders),
        )
    thread = ThreadState(int(row.thread_id), int(row.brand_replies)) if row.thread_id is not None else None
    mention_id = int(row.mention_id) if row.mention_id is not None else None
    return IntakeLookup(mention_id, customer, thread, str(row.opening or ""))


def _insert_customer(session: Session, *, platform: str, author: domain.Author, now: datetime) -> int:
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


def _refresh_customer(session: Session, known: KnownCustomer, author: domain.Author) -> None:
    # an empty or missing detail from the platform keeps what we knew
    fresh = {
        "v_handle": author.handle or known.handle,
        "v_name": author.name or known.name,
        "v_followers": known.followers if author.followers is None else author.followers,
    }
    if (fresh["v_handle"], fresh["v_name"], fresh["v_followers"]) != (
        known.handle,
        known.name,
        known.followers,
    ):
        _run(session, _statement("update_customer"), {"row_id": known.id, **fresh})


def save_customer(
    session: Session, *, known: KnownCustomer | None, platform: str, author: domain.Author, now: datetime
) -> int:
    """Create the customer on first sight, or bring their details up to date; their id."""
    if known is None:
        return _insert_customer(session, platform=platform, author=author, now=now)
    _refresh_customer(session, known, author)
    return known.id


def customer_id_for(session: Session, *, platform: str, author: domain.Author, now: datetime) -> int:
    """The id of the customer for a platform user: created on first sight, kept up to date."""
    found = _run(session, _statement("find_customer"), {"platform": platform, "user_id": author.id}).first()
    if found is None:
        return _insert_customer(session, platform=platform, author=author, now=now)
    known = KnownCustomer(int(found.id), found.handle, found.name, found.followers, None, False)
    _refresh_customer(session, known, author)
    return known.id


def upsert_customer(session: Session, *, platform: str, author: domain.Author, now: datetime) -> Customer:
    """The customer for a platform user, created on first sight and kept up to date."""
    customer = session.get(Customer, customer_id_for(session, platform=platform, author=author, now=now))
    assert customer is not None
    session.refresh(customer)
    return customer


def save_thread(
    session: Session,
    *,
    known: ThreadState | None,
    community_id: str,
    customer_id: int,
    mention: domain.Mention,
    due_at: datetime | None,
    now: datetime,
) -> int:
    """Open or update the thread a mention belongs to, with the brand's new response deadline
    (None: no reply expected, deadlines stay); a mention without a thread starts its own."""
    if known is not None:
        touch = {"row_id": known.id, "v_at": mention.created_at, "v_now": now, "v_due": due_at}
        _run(session, _statement("touch_thread"), touch)
        return known.id
    values = _values(
        Conversation,
        community_id=community_id,
        customer_id=customer_id,
        platform=mention.platform,
        channel=mention.channel,
        thread_ref=mention.thread_ref or mention.external_id,
        status="waiting_brand",
        last_customer_message_at=mention.created_at,
        next_response_due_at=due_at,
        first_response_due_at=due_at,
        created_at=now,
        updated_at=now,
    )
    return int(_run(session, _statement("insert_conversation"), values).scalar_one())


def insert_mention(session: Session, **fields: Any) -> int:
    """Store a mention; IntegrityError when one with the same (platform, external_id) exists."""
    return int(_run(session, _statement("insert_mention"), _values(Mention, **fields)).scalar_one())


def insert_draft(session: Session, **fields: Any) -> int:
    """Store a draft and return its id."""
    return int(_run(session, _statement("insert_draft"), _values(Draft, **fields)).scalar_one())


def mention_id_for(session: Session, *, platform: str, external_id: str) -> int | None:
    """The id of the stored mention with this platform id, if any."""
    found = _run(session, _statement("find_mention"), {"platform": platform, "ext": external_id}).scalar()
    return int(found) if found is not None else None


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
