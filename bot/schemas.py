"""Request and response bodies of the HTTP API and the JSONL ingest format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from annotated_types import Interval
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bot.models import Draft, Mention, RejectCategory
from responders import domain

MAX_TEXT_CHARS = 40_000

# Integer columns are 32-bit on PostgreSQL (SQLite takes 64 bits): a larger number in a path, query,
# form or body is refused with 422 here, before it reaches the database and fails there. Every id,
# version, offset and count the HTTP API and pages take is one of these two.
INT32_MAX = 2**31 - 1
RowId = Annotated[int, Interval(ge=1, le=INT32_MAX)]
Count = Annotated[int, Interval(ge=0, le=INT32_MAX)]

# Times a service can compute with: a deadline 24 hours after 9999-12-31 overflows. Earlier than
# any platform and later than any plausible clock are mistakes, refused rather than stored.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def plausible_time(value: datetime) -> datetime:
    """The time itself when it lies between 1990 and 2999; ValueError otherwise."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError("the time must lie between 1990 and 2999")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(plausible_time)]


class AuthorIn(BaseModel):
    """Who wrote the mention."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=128)
    handle: str = Field(default="", max_length=200)
    name: str = Field(default="", max_length=200)
    followers: Count | None = None


class MentionIn(BaseModel):
    """A mention as an integration posts it, one per request or per JSONL line."""

    model_config = ConfigDict(extra="forbid")
    platform: Literal["telegram", "reddit", "rss", "webhook", "console"]
    channel: str = Field(min_length=1, max_length=300)
    external_id: str = Field(min_length=1, max_length=300)
    author: AuthorIn
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    url: str = Field(default="", max_length=2000)
    created_at: Moment | None = Field(
        default=None, description="when it was posted, with a time zone; left out: when webcare received it"
    )
    thread_ref: str = Field(default="", max_length=300)
    private: bool = Field(default=False, description="a one-to-one chat with the brand (a DM)")
    reply_to: domain.ReplyTo = Field(
        default="", description="whom the message answers: the brand, another member, or nobody ('')"
    )

    def to_mention(self, received_at: datetime | None = None) -> domain.Mention:
        """The platform-neutral value the pipeline works with; a mention without its own time is
        dated `received_at`."""
        created_at = self.created_at or received_at
        if created_at is None:
            raise ValueError("created_at: the mention has no time and no time of receipt was given")
        a = self.author
        return domain.Mention(
            platform=self.platform,
            channel=self.channel,
            external_id=self.external_id,
            author=domain.Author(a.id, a.handle, a.name, a.followers),
            text=self.text,
            created_at=created_at,
            url=self.url,
            thread_ref=self.thread_ref,
            private=self.private,
            reply_to=self.reply_to,
        )


class MentionAccepted(BaseModel):
    """What became of a posted mention: queued for drafting (action "queued", its place in the
    queue as intake_id), drafted (with `?wait=draft`), or stored before (duplicate, its ids)."""

    mention_id: int | None
    draft_id: int | None
    duplicate: bool
    action: str
    intake_id: int | None = None


class DraftOut(BaseModel):
    """A draft as the API shows it."""

    id: int
    status: str
    kind: str
    action: str
    community_id: str
    priority: str
    approval_level: str
    due_at: datetime
    language: str
    text: str
    original_text: str
    faq_id: str | None
    confidence: float
    reasons: list[str]
    candidates: list[dict[str, Any]]
    # other FAQ answers written out in full: {faq_id, question, text, confidence}
    alternatives: list[Any]
    reject_category: str
    reject_reason: str
    version: int
    # null for reminders and follow-ups: the brand writes first, there is no mention to answer
    mention: dict[str, Any] | None

    @classmethod
    def of(cls, draft: Draft, mention: Mention | None) -> DraftOut:
        """Combine a draft row and its mention, if it answers one."""
        assert draft.id is not None
        return cls(
            **draft.model_dump(include=set(cls.model_fields) - {"mention", "id"}),
            id=draft.id,
            mention=None
            if mention is None
            else {
                "id": mention.id,
                "platform": mention.platform,
                "channel": mention.channel,
                "external_id": mention.external_id,
                "text": mention.text,
                "url": mention.url,
                "created_at": mention.created_at,
                "language": mention.language,
                "sentiment": mention.sentiment,
                "signals": mention.signals,
                "act": mention.act,
            },
        )


class ApproveIn(BaseModel):
    """Optional edited text and the version the agent saw."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    version: Count | None = None
    picked: str | None = Field(
        default=None, max_length=120, description="the FAQ id of the alternative the text was taken from"
    )


class RejectIn(BaseModel):
    """Why the draft is rejected: a category, free text, or both."""

    model_config = ConfigDict(extra="forbid")
    category: RejectCategory = "other"
    reason: str = Field(default="", max_length=2000)
    version: Count | None = None

    @model_validator(mode="after")
    def _says_why(self) -> RejectIn:
        if self.category == "other" and not self.reason.strip():
            raise ValueError("give a reason: a category other than 'other', or a reason in words")
        return self
