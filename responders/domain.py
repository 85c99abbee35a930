"""Frozen value types shared by the pure core and the application shell."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Priority = Literal["urgent", "high", "normal", "low"]
Approval = Literal["agent", "senior", "auto"]
Action = Literal["reply", "acknowledge", "no_reply"]
SentimentLabel = Literal["negative", "neutral", "positive"]
Formality = Literal["informal", "formal"]

PRIORITIES: tuple[Priority, ...] = ("urgent", "high", "normal", "low")
DEFAULT_TARGETS: dict[Priority, timedelta] = {
    "urgent": timedelta(hours=1),
    "high": timedelta(hours=4),
    "normal": timedelta(hours=24),
    "low": timedelta(hours=72),
}

_DURATION_PART = re.compile(r"(\d+)\s*(d|h|m|s)")
_DURATION_WHOLE = re.compile(r"^\s*(\d+\s*[dhms]\s*)+$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: object) -> timedelta:
    """Parse '30m', '4h', '2d' or '1d 4h' into a timedelta; reject anything else."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not _DURATION_WHOLE.match(value):
        raise ValueError(f"{value!r} is not a duration: write a number and a unit, e.g. 30m, 4h, 2d or 1d 4h")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(value))
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


# --- mentions and analysis -------------------------------------------------------------------


@dataclass(frozen=True)
class Author:
    """Who wrote a mention, as the platform knows them."""

    id: str
    handle: str = ""
    name: str = ""
    followers: int | None = None


@dataclass(frozen=True)
class Mention:
    """A platform-neutral message that mentions or addresses the brand."""

    platform: str
    channel: str
    external_id: str
    author: Author
    text: str
    created_at: datetime
    url: str = ""
    thread_ref: str = ""


@dataclass(frozen=True)
class Analysis:
    """What the core understood of a mention."""

    language: str
    sentiment: float
    sentiment_label: SentimentLabel
    signals: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Candidate:
    """An FAQ entry that may answer a mention, with a confidence in [0, 1]."""

    faq_id: str
    confidence: float
    matched: str = ""


@dataclass(frozen=True)
class Decision:
    """What to do with a mention and why."""

    action: Action
    priority: Priority
    approval: Approval
    due_at: datetime
    team: str = "webcare"
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A reply text ready for review."""

    text: str
    language: str
    kind: Literal["reply", "acknowledgement"]
    faq_id: str | None = None
    confidence: float = 0.0
    alternatives: tuple[str, ...] = ()
    opening: str = ""


@dataclass(frozen=True)
class Context:
    """Facts about the conversation that the shell looks up before the core decides."""

    now: datetime
    brand_replies_in_thread: int = 0
    last_reply_to_customer_at: datetime | None = None
    previous_opening: str = ""


@dataclass(frozen=True)
class Response:
    """Everything the engine concluded about one mention."""

    analysis: Analysis
    candidates: tuple[Candidate, ...]
    decision: Decision
    draft: Draft | None = field(default=None)


# --- content: guidelines and FAQ -------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FaqEntry(_Frozen):
    """One FAQ answer with the ways customers ask for it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    language: str = Field(pattern=r"^[a-z]{2}$")
    tags: tuple[str, ...] = ()
    question: str = Field(min_length=3)
    examples: tuple[str, ...] = ()
    answer: str = Field(min_length=1)
    links: tuple[str, ...] = ()


class Source(_Frozen):
    """Where a community's mentions come from: a platform and its channels."""

    platform: Literal["telegram", "reddit", "rss", "webhook", "console"]
    channels: tuple[str, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = ()


class Tone(_Frozen):
    """How the brand sounds in one language."""

    # informal: "je" in Dutch, first names in English; formal: "u", more distance
    formality: Formality = "informal"
    greetings: tuple[str, ...] = Field(default=("Hoi {{ name }},",), min_length=1)
    empathy: tuple[str, ...] = Field(default=("Vervelend om te horen.",), min_length=1)
    signoffs: tuple[str, ...] = Field(default=("Groet,",), min_length=1)
    signature: str = ""
    acknowledgement: str = "Een collega komt binnen {{ target }} bij je terug."
    emoji: Literal["none", "sparse", "friendly"] = "sparse"


class EscalationRule(_Frozen):
    """When a mention needs more attention: its priority, team and approval level."""

    name: str
    signals: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    sentiment_below: float | None = Field(default=None, ge=-1, le=1)
    min_followers: int | None = Field(default=None, ge=0)
    authors: tuple[str, ...] = ()
    priority: Priority = "high"
    team: str = "webcare"
    approval: Approval = "senior"


class Limits(_Frozen):
    """Do-not-spam limits for the brand's replies."""

    max_brand_replies_per_thread: int = Field(default=3, ge=0)
    customer_cooldown: Duration = timedelta(minutes=0)
    ignore_older_than: Duration = timedelta(days=7)
    listen_only: bool = False


class AutoSend(_Frozen):
    """Where replies may go out without a human: off unless a guideline says so."""

    enabled: bool = False
    min_confidence: float = Field(default=0.9, ge=0, le=1)


class FaqScope(_Frozen):
    """Which FAQ entries a community may answer with, and how sure the match must be."""

    tags: tuple[str, ...] = ()
    threshold: float = Field(default=0.6, ge=0, le=1)


class Example(_Frozen):
    """A message with the outcome the guideline expects for it."""

    text: str
    faq: str | None = None
    action: Action | None = None
    priority: Priority | None = None
    escalation: str | None = None
    language: str | None = None


class Guideline(_Frozen):
    """A community's rules for answering, as its community manager wrote them."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    brand: str
    languages: tuple[str, ...] = ("nl", "en")
    default_language: str = "nl"
    timezone: str = "Europe/Amsterdam"
    sources: tuple[Source, ...] = ()
    tone: dict[str, Tone]
    response_targets: dict[Priority, Duration] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    escalation: tuple[EscalationRule, ...] = ()
    limits: Limits = Limits()
    auto_send: AutoSend = AutoSend()
    faq: FaqScope = FaqScope()
    competitors: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()

    @model_validator(mode="after")
    def _tone_per_language(self) -> Guideline:
        missing = [lang for lang in self.languages if lang not in self.tone]
        if missing:
            raise ValueError(f"tone is missing for language(s): {', '.join(missing)}")
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        return self

    def target_for(self, priority: Priority) -> timedelta:
        """The response-time target for a priority, falling back to the normal target."""
        return self.response_targets.get(priority) or self.response_targets.get("normal", timedelta(hours=24))
