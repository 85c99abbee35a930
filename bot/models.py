"""SQLModel tables: the only place tables are defined."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every database, SQLite included."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: webcare stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC, attach UTC again when reading
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    # no default: whoever makes the row passes the time its clock gave it (bot/clock.py)
    return Field(sa_column=column)


def column_length(table: type[SQLModel], column: str) -> int:
    """The most characters a text column holds: PostgreSQL refuses more, SQLite stores it all."""
    length: int = table.__table__.c[column].type.length  # type: ignore[attr-defined]
    return length


def _json() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Community(SQLModel, table=True):
    """A community as loaded from its guideline file, with the revision in force."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    revision: str = Field(max_length=64)
    loaded_at: datetime = _ts()


class Customer(SQLModel, table=True):
    """A person on one platform; unique per platform user."""

    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    platform_user_id: str = Field(max_length=128)
    handle: str = Field(default="", max_length=200)
    name: str = Field(default="", max_length=200)
    followers: int | None = None
    language: str = Field(default="", max_length=8)
    opted_out_at: datetime | None = _ts(nullable=True)
    consent: bool = False
    is_vip: bool = False
    is_press: bool = False
    is_influencer: bool = False
    created_at: datetime = _ts()


class Conversation(SQLModel, table=True):
    """A thread on a platform between the brand and one customer."""

    __table_args__ = (UniqueConstraint("platform", "channel", "thread_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=64)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    platform: str = Field(max_length=32)
    channel: str = Field(max_length=300)
    thread_ref: str = Field(max_length=300)
    status: str = Field(default="open", max_length=32)
    brand_replies: int = 0
    last_customer_message_at: datetime | None = _ts(nullable=True)
    last_brand_reply_at: datetime | None = _ts(nullable=True)
    first_response_due_at: datetime | None = _ts(nullable=True)
    next_response_due_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Mention(SQLModel, table=True):
    """Something a customer wrote: never lost, never stored twice."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    external_id: str = Field(max_length=300)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=64)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = Field(max_length=300)
    thread_ref: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=2000)
    text: str
    created_at: datetime = _ts()
    received_at: datetime = _ts()
    edited_at: datetime | None = _ts(nullable=True)
    language: str = Field(default="", max_length=8)
    sentiment: float = 0.0
    sentiment_label: str = Field(default="neutral", max_length=16)
    signals: list[str] = _json()
    # what the customer is doing (responders.domain.Act); empty for mentions stored before 0006
    act: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})


# Why an agent rejected a draft: the structured part of the reason (free text goes with it)
RejectCategory = Literal["wrong_answer", "wrong_tone", "should_not_reply", "other"]
REJECT_CATEGORIES: tuple[RejectCategory, ...] = get_args(RejectCategory)


class Draft(SQLModel, table=True):
    """A proposed brand message waiting for, or past, review."""

    __table_args__ = (
        Index("ix_draft_status_due", "status", "due_at"),
        # the queue filtered by community or assignee, deadline-ordered, stays an index walk at 1M rows
        Index("ix_draft_status_community_due", "status", "community_id", "due_at"),
        Index("ix_draft_status_assigned_due", "status", "assigned_to", "due_at"),
        Index("ix_draft_status_priority_due", "status", "priority", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    mention_id: int | None = Field(default=None, foreign_key="mention.id", index=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=64)
    kind: str = Field(default="reply", max_length=32)
    status: str = Field(default="pending", max_length=32)
    action: str = Field(default="reply", max_length=32)
    text: str = ""
    original_text: str = ""
    language: str = Field(default="", max_length=8)
    opening: str = Field(default="", max_length=500)
    faq_id: str | None = Field(default=None, max_length=120)
    confidence: float = 0.0
    priority: str = Field(default="normal", max_length=16)
    team: str = Field(default="webcare", max_length=64)
    approval_level: str = Field(default="agent", max_length=16)
    due_at: datetime = _ts()
    reasons: list[str] = _json()
    # {faq_id, question, text, confidence} per alternative (plain FAQ ids in drafts made before 0006)
    alternatives: list[Any] = _json()
    candidates: list[dict[str, Any]] = _json()
    version: int = 1
    decided_by: str = Field(default="", max_length=200)
    decided_at: datetime | None = _ts(nullable=True)
    reject_reason: str = ""
    reject_category: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    assigned_to: str = Field(default="", max_length=100)
    snoozed_until: datetime | None = _ts(nullable=True)
    escalated_at: datetime | None = _ts(nullable=True)
    escalation_note: str = ""
    # set for reminders and follow-ups: the job that drafted it, so a retried job drafts once
    job_id: int | None = Field(default=None, foreign_key="job.id", unique=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Outbox(SQLModel, table=True):
    """One message to deliver; the idempotency key makes sure it goes out once."""

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", unique=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    platform: str = Field(max_length=32)
    channel: str = Field(max_length=300)
    thread_ref: str = Field(default="", max_length=300)
    reply_to: str = Field(default="", max_length=300)
    text: str
    status: str = Field(default="pending", max_length=32)
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    claimed_by: str = Field(default="", max_length=200)
    claimed_until: datetime | None = _ts(nullable=True)
    platform_message_id: str = Field(default="", max_length=300)
    last_error: str = ""
    # retryable, permanent or interrupted (a crash mid-send on a platform that cannot deduplicate)
    error_class: str = Field(default="", max_length=32)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class Job(SQLModel, table=True):
    """Due work (reminder, follow-up, SLA warning), claimed atomically by one worker."""

    __table_args__ = (Index("ix_job_status_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    community_id: str | None = Field(default=None, foreign_key="community.id", max_length=64)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    order_id: int | None = Field(default=None, foreign_key="customer_order.id")
    due_at: datetime = _ts()
    status: str = Field(default="pending", max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # what the job is for, e.g. "order:A-1001:thanks": scheduling the same work twice stores it once
    dedupe_key: str | None = Field(default=None, unique=True, max_length=300)
    attempts: int = 0
    claimed_by: str = Field(default="", max_length=200)
    claimed_until: datetime | None = _ts(nullable=True)
    outcome: str = ""
    created_at: datetime = _ts()
    done_at: datetime | None = _ts(nullable=True)


class CustomerOrder(SQLModel, table=True):
    """A purchase that drives post-purchase follow-ups."""

    __tablename__ = "customer_order"
    id: int | None = Field(default=None, primary_key=True)
    order_ref: str = Field(unique=True, max_length=200)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    community_id: str | None = Field(default=None, foreign_key="community.id", max_length=64)
    items: list[dict[str, Any]] = _json()
    status: str = Field(default="placed", max_length=32)
    purchased_at: datetime = _ts()
    created_at: datetime = _ts()
    follow_ups_cancelled_at: datetime | None = _ts(nullable=True)
    cancel_reason: str = ""
    satisfaction_asked_at: datetime | None = _ts(nullable=True)
    satisfaction: str = Field(default="", max_length=16)
    satisfaction_text: str = ""


class SlaEvent(SQLModel, table=True):
    """A response-time warning or breach for one draft, recorded once and told to the team."""

    __tablename__ = "sla_event"
    __table_args__ = (UniqueConstraint("draft_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    community_id: str = Field(foreign_key="community.id", index=True, max_length=64)
    kind: str = Field(max_length=16)
    priority: str = Field(default="normal", max_length=16)
    due_at: datetime = _ts()
    at: datetime = _ts(index=True)
    notified_at: datetime | None = _ts(nullable=True)


class SourceCursor(SQLModel, table=True):
    """Where a poller stopped, so a restart neither misses nor repeats items."""

    __tablename__ = "source_cursor"
    __table_args__ = (UniqueConstraint("platform", "source"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    source: str = Field(max_length=500)
    cursor: str = Field(default="", max_length=500)
    etag: str = Field(default="", max_length=500)
    last_modified: str = Field(default="", max_length=200)
    updated_at: datetime = _ts()


class User(SQLModel, table=True):
    """A person who signs in to the review queue."""

    __tablename__ = "user_account"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=100)
    password_hash: str = Field(max_length=300)
    role: str = Field(default="agent", max_length=32)
    disabled: bool = False
    created_at: datetime = _ts()
    last_login_at: datetime | None = _ts(nullable=True)
    # where no community applies (audit, users, sessions) times show in this zone; "" is the default
    timezone: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    # the language dates and deadlines read in ("nl": "over 2u (vandaag 16:00 CET)"); "" is English
    language: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})


class UserTeam(SQLModel, table=True):
    """One team a person belongs to; agents see their teams' items first."""

    __tablename__ = "user_team"
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    team: str = Field(primary_key=True, max_length=64)


class UserSession(SQLModel, table=True):
    """A server-side sign-in session; revoking the row signs the browser out."""

    __tablename__ = "user_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)
    # shown on the account's sessions page so a person can tell their browsers apart
    last_seen_at: datetime | None = _ts(nullable=True)
    user_agent: str | None = Field(default=None, max_length=300)
    ip: str | None = Field(default=None, max_length=64)


class SignInFailure(SQLModel, table=True):
    """A failed sign-in against a name or an address: counted by every process to throttle."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_key_at", "key", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)  # "user:<name>" or "ip:<address>"
    at: datetime = _ts()


class ApiToken(SQLModel, table=True):
    """A bearer token for the API, stored as a SHA-256 hash."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)
    last_used_at: datetime | None = _ts(nullable=True)  # within accounts.SEEN_EVERY


class AuditEvent(SQLModel, table=True):
    """Who did what, when, with the state before and after."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    object_type: str = Field(max_length=64)
    object_id: str = Field(max_length=200)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class GuidelineRevision(SQLModel, table=True):
    """One saved version of a guideline or FAQ file: who, when, the diff and the full text."""

    __tablename__ = "guideline_revision"
    id: int | None = Field(default=None, primary_key=True)
    file: str = Field(max_length=300, index=True)
    at: datetime = _ts()
    actor: str = Field(max_length=200)
    diff: str = ""
    content: str = ""
    note: str = Field(default="", max_length=500)


# How an agent showed the bot's answer was not the right one: picked another FAQ answer or rewrote it
SuggestionSource = Literal["alternative", "rewrite"]
SuggestionStatus = Literal["pending", "accepted", "dismissed"]


class ExampleSuggestion(SQLModel, table=True):
    """A customer's words an agent answered otherwise than the bot: offered as a new FAQ example."""

    __tablename__ = "example_suggestion"
    __table_args__ = (Index("ix_example_suggestion_status_created", "status", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    # the approved draft; the customer's words are its mention's text (erased with it)
    draft_id: int = Field(foreign_key="draft.id", unique=True)
    source: str = Field(max_length=16)  # SuggestionSource
    # the entry proposed (the picked alternative, or the draft's own for a rewrite); once
    # accepted, the entry the example went to
    faq_id: str | None = Field(default=None, max_length=120)
    status: str = Field(default="pending", max_length=16)  # SuggestionStatus
    created_at: datetime = _ts()
    decided_by: str = Field(default="", max_length=200)
    decided_at: datetime | None = _ts(nullable=True)


class Inbound(SQLModel, table=True):
    """A mention posted to the API, stored before it is drafted; the drafter removes it once the
    mention and its draft are stored, in the same transaction."""

    __tablename__ = "inbound"
    # AUTOINCREMENT: SQLite would otherwise hand a drafted (deleted) row's id to the next one, and
    # an intake_id in an answer must name one post only
    __table_args__ = (UniqueConstraint("platform", "external_id"), {"sqlite_autoincrement": True})
    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    external_id: str = Field(max_length=300)
    author_id: str = Field(max_length=128)  # so that erasing a customer also finds what waits here
    body: str  # the mention as JSON (responders.domain.Mention)
    # when the request was answered: the drafter takes the mention in as of then
    received_at: datetime = _ts()


class SetAside(SQLModel, table=True):
    """A message that could not be taken in, kept with its reason so intake can go on past it."""

    __tablename__ = "set_aside"
    __table_args__ = (UniqueConstraint("source", "digest"),)
    id: int | None = Field(default=None, primary_key=True)
    # where it came from: "telegram", "ingest", ...; source says where exactly
    platform: str = Field(max_length=32, index=True)
    source: str = Field(max_length=500)  # "update 512", "mentions.jsonl line 7"
    # the message as received, cut to a bounded size, U+0000 written as \u0000 so any database holds it
    payload: str = ""
    # SHA-256 of the whole message as received: the same message set aside twice is one row
    digest: str = Field(max_length=64)
    reason: str = Field(max_length=1000)
    at: datetime = _ts(index=True)


class Viewing(SQLModel, table=True):
    """Who has a queue item open: refreshed by a heartbeat while the page is open."""

    # a table, not process memory: uvicorn may run several workers, and all must see the same
    draft_id: int = Field(foreign_key="draft.id", primary_key=True)
    username: str = Field(primary_key=True, max_length=100)
    seen_at: datetime = _ts(index=True)
