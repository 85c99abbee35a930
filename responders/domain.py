"""Frozen value types shared by the pure core and the application shell."""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

Priority = Literal["urgent", "high", "normal", "low"]
Approval = Literal["agent", "senior", "auto"]
Action = Literal["reply", "acknowledge", "no_reply"]
SentimentLabel = Literal["negative", "neutral", "positive"]
# What the customer is doing with a message; one per message, the most serious one wins.
Act = Literal[
    "legal_threat",  # a lawyer, a court, the consumer association
    "health_safety",  # got ill, glass in the wine, an allergic reaction
    "press",  # a journalist or publication asking for a comment
    "spam",
    "churn_threat",  # says they will leave
    "complaint",  # a bad experience: broken, late, wrong, no answer
    "competitor",  # compares the brand with a competitor
    "question",
    "thanks",  # thanks or praise, nothing to fix
    "conversation",  # customers talking among themselves, not to the brand
    "statement",  # anything else
]
ACTS: tuple[Act, ...] = get_args(Act)
Formality = Literal["informal", "formal"]
ReplyTo = Literal["", "brand", "member"]
WebhookField = Literal[
    "external_id", "text", "author_id", "author_handle", "author_name", "created_at", "url", "thread_ref"
]

PRIORITIES: tuple[Priority, ...] = ("urgent", "high", "normal", "low")
DEFAULT_TARGETS: dict[Priority, timedelta] = {
    "urgent": timedelta(hours=1),
    "high": timedelta(hours=4),
    "normal": timedelta(hours=24),
    "low": timedelta(hours=72),
}

_DURATION_PART = re.compile(r"(\d+)\s*(d|h|m|s)")
# no delay, target, window or cooldown a community uses is longer than a year; far larger numbers
# overflow the date arithmetic at run time
MAX_DURATION = timedelta(days=365)
_DURATION_WHOLE = re.compile(r"^\s*(\d+\s*[dhms]\s*)+$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: object) -> timedelta:
    """Parse '30m', '4h', '2d' or '1d 4h' into a timedelta; reject anything else."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not _DURATION_WHOLE.match(value):
        raise ValueError(f"{value!r} is not a duration: write a number and a unit, e.g. 30m, 4h, 2d or 1d 4h")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(value))
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{value!r} is longer than the longest duration allowed, {MAX_DURATION.days}d")
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
    # a one-to-one chat with the brand (a Telegram DM): nobody else reads along
    private: bool = False
    # whom the message answers in its thread: the brand, another member, or nobody in particular
    reply_to: ReplyTo = ""


@dataclass(frozen=True)
class Analysis:
    """What the core understood of a mention."""

    language: str
    sentiment: float
    sentiment_label: SentimentLabel
    signals: frozenset[str] = frozenset()
    act: Act = "statement"


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
    escalations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alternative:
    """Another FAQ answer an agent can pick, written out in full."""

    faq_id: str
    question: str
    text: str
    confidence: float


@dataclass(frozen=True)
class Draft:
    """A reply text ready for review."""

    text: str
    language: str
    kind: Literal["reply", "acknowledgement"]
    faq_id: str | None = None
    confidence: float = 0.0
    alternatives: tuple[Alternative, ...] = ()
    opening: str = ""
    # FAQ entries answered besides faq_id, when the message asked more than one thing
    also_answered: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """Facts about the conversation that the shell looks up before the core decides."""

    now: datetime
    brand_replies_in_thread: int = 0
    last_reply_to_customer_at: datetime | None = None
    previous_opening: str = ""
    # an order number the customer gave earlier in this thread
    order_number: str = ""
    # FAQ entries the brand already sent in this thread: not sent a second time
    answered_in_thread: tuple[str, ...] = ()


@dataclass(frozen=True)
class Response:
    """Everything the engine concluded about one mention."""

    analysis: Analysis
    candidates: tuple[Candidate, ...]
    decision: Decision
    draft: Draft | None = field(default=None)


# --- content: guidelines and FAQ -------------------------------------------------------------


class _Frozen(BaseModel):
    # .nan and .inf are valid YAML numbers, but no threshold or score can be one
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# Text that is matched or listed (keywords, channels, opt-out words): a blank one would match
# every message or name nothing.
def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("is empty: write a word or remove the line")
    return text


def _language_code(code: str) -> str:
    if not re.fullmatch(r"[a-z]{2}", code):
        raise ValueError(f"{code!r} is not a language code: use two lowercase letters, e.g. nl or en")
    return code


def _plain_number(value: object) -> object:
    # pydantic would read true as 1 and "5" as 5: in YAML both are a different mistake
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        raise ValueError(f"{shown} is not a valid number")
    return value


def _plain_flag(value: object) -> object:
    # pydantic would read "yes" and 1 as true: in YAML a switch is written true or false
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


_NUMBER = BeforeValidator(_plain_number)
Flag = Annotated[bool, BeforeValidator(_plain_flag)]
Word = Annotated[str, AfterValidator(_not_blank)]
# A two-letter language code, as the analyser detects it and the database stores it.
Language = Annotated[str, AfterValidator(_language_code)]
# Upper bounds a real community never reaches; far larger numbers are typos that would break
# the arithmetic or the database at run time.
MAX_REPLIES_PER_THREAD = 100
MAX_FOLLOWERS = 10_000_000_000
MAX_RETENTION_DAYS = 3650


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(name: str) -> str:
    """An IANA time zone name the running service can use, or a ValueError suggesting the closest."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        close = difflib.get_close_matches(name, sorted(_time_zones()), n=1)
        hint = f": did you mean {close[0]}?" if close else ": use an IANA name such as Europe/Amsterdam"
        raise ValueError(f"{name!r} is not a known time zone{hint}") from exc
    return name


class FaqEntry(_Frozen):
    """One FAQ answer with the ways customers ask for it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=120)
    language: Language
    tags: tuple[Word, ...] = ()
    question: str = Field(min_length=3)
    examples: tuple[str, ...] = ()
    answer: str = Field(min_length=1)
    links: tuple[str, ...] = ()
    # answer only messages of these acts (empty: any): a thank-you answer is no answer to a
    # question, and a policy is no answer to a complaint that the policy failed; an entry for
    # `thanks` answers every thank-you, however it is worded
    acts: tuple[Act, ...] = ()


# A subreddit as people write it: r/name, R/Name, /r/name/ or its address; the name is letters,
# digits and underscores, 3 to 21 long (a few old subreddits, like r/nl, have 2)
_SUBREDDIT = re.compile(
    r"(?:https?://(?:www\.|old\.|new\.)?reddit\.com)?/?[rR]/([A-Za-z0-9][A-Za-z0-9_]{1,20})/?"
)


def subreddit_channel(channel: str) -> str | None:
    """The one way a channel names a subreddit, 'r/' and the name in lowercase; None if it names none."""
    found = _SUBREDDIT.fullmatch(channel.strip())
    return f"r/{found.group(1).lower()}" if found else None


def _reddit_channel(channel: str) -> str:
    if channel.strip().lower() == "inbox":
        return "inbox"
    return subreddit_channel(channel) or channel


class Source(_Frozen):
    """Where a community's mentions come from: a platform and its channels."""

    platform: Literal["telegram", "reddit", "rss", "webhook", "console"]
    channels: tuple[Annotated[Word, Field(max_length=300)], ...] = Field(min_length=1)
    keywords: tuple[Word, ...] = ()
    # webhook only: Mention field -> dotted path in the posted JSON, e.g. {text: review.body}
    mapping: dict[WebhookField, Word] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _one_way_to_name_a_subreddit(cls, data: Any) -> Any:
        # Reddit reads R/Name, r/name/ and /r/name as one subreddit, so the poller and the
        # routing of inbox mentions must too; a channel naming none is refused by load_content
        if not isinstance(data, dict) or data.get("platform") != "reddit":
            return data
        channels = data.get("channels")
        if not isinstance(channels, list | tuple):
            return data
        return {**data, "channels": [_reddit_channel(c) if isinstance(c, str) else c for c in channels]}

    @model_validator(mode="after")
    def _mapping_for_webhooks(self) -> Source:
        if self.mapping and self.platform != "webhook":
            raise ValueError("mapping is only used by webhook sources")
        return self


class Tone(_Frozen):
    """How the brand sounds in one language."""

    # informal: "je" in Dutch, first names in English; formal: "u", more distance
    formality: Formality = "informal"
    greetings: tuple[str, ...] = Field(default=("Hoi {{ name }},",), min_length=1)
    empathy: tuple[str, ...] = Field(default=("Vervelend om te horen.",), min_length=1)
    signoffs: tuple[str, ...] = Field(default=("Groet,",), min_length=1)
    # for legal threats, health and safety reports and the press: calm and formal; empty: signoffs
    formal_signoffs: tuple[str, ...] = ()
    signature: str = ""
    acknowledgement: str = "Een collega komt {{ promise }} bij je terug."
    # the acknowledgement per act (legal_threat, health_safety, press, complaint, question, ...)
    acknowledgements: dict[Act, str] = Field(default_factory=dict)
    # asked after an acknowledgement about an order when the customer gave no order number yet
    order_number_request: str = ""
    # the same in a private chat, where "send us a private message" makes no sense
    order_number_request_private: str = ""
    # a sentence for the praise in a message that also reports a problem
    thanks_for_praise: tuple[str, ...] = ()
    emoji: Literal["none", "sparse", "friendly"] = "sparse"

    def acknowledgement_for(self, act: Act) -> str:
        """The acknowledgement written for this act, else the general one."""
        return self.acknowledgements.get(act) or self.acknowledgement


class EscalationRule(_Frozen):
    """When a mention needs more attention: its priority, team and approval level."""

    name: Annotated[Word, Field(max_length=200)]
    signals: tuple[str, ...] = ()
    keywords: tuple[Word, ...] = ()
    sentiment_below: Annotated[float, _NUMBER] | None = Field(default=None, ge=-1, le=1)
    min_followers: Annotated[int, _NUMBER] | None = Field(default=None, ge=0, le=MAX_FOLLOWERS)
    authors: tuple[Word, ...] = ()
    priority: Priority = "high"
    team: Annotated[Word, Field(max_length=64)] = "webcare"
    approval: Approval = "senior"
    # false: a person answers (acknowledge now), even when an FAQ entry matches, e.g. legal threats
    faq_answer: Flag = True
    # the acknowledgement for this rule, per language; overrides the tone's
    acknowledgement: dict[str, str] = Field(default_factory=dict)
    # true: draft nothing (the mention is kept and routed, e.g. for monitoring)
    no_reply: Flag = False


class Limits(_Frozen):
    """Do-not-spam limits for the brand's replies."""

    max_brand_replies_per_thread: Annotated[int, _NUMBER] = Field(default=3, ge=0, le=MAX_REPLIES_PER_THREAD)
    customer_cooldown: Duration = timedelta(minutes=0)
    ignore_older_than: Duration = timedelta(days=7)
    listen_only: Flag = False
    # acts the brand stays out of: customers talking among themselves, spam
    no_reply_to: tuple[Act, ...] = ("conversation", "spam")


class AutoSend(_Frozen):
    """Where replies may go out without a human: off unless a guideline says so."""

    enabled: Flag = False
    min_confidence: Annotated[float, _NUMBER] = Field(default=0.9, ge=0, le=1)


class FaqScope(_Frozen):
    """Which FAQ entries a community may answer with, and how sure the match must be."""

    tags: tuple[str, ...] = ()
    threshold: Annotated[float, _NUMBER] = Field(default=0.6, ge=0, le=1)
    # a canned answer to a complaint or a competitor comparison must fit surely: below this a
    # person writes it (acknowledge); "hoe volg ik mijn pakket" is no answer to "six days late
    # and nobody told me"
    sure_threshold: Annotated[float, _NUMBER] = Field(default=0.75, ge=0, le=1)
    # in a thread the brand already answered, the customer's next message usually needs a person
    follow_up_threshold: Annotated[float, _NUMBER] = Field(default=0.85, ge=0, le=1)


class Example(_Frozen):
    """A message with the outcome the guideline expects for it."""

    text: str
    faq: str | None = None
    action: Action | None = None
    priority: Priority | None = None
    escalation: str | None = None
    language: str | None = None


def parse_clock(value: object) -> time:
    """Parse a quoted local time such as '09:00'; YAML reads an unquoted 09:00 as a number."""
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        hours, minutes = (int(part) for part in value.strip().split(":"))
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ValueError(f'{value!r} is not a time of day: write it in quotes as HH:MM, e.g. "09:00"')


Clock = Annotated[time, BeforeValidator(parse_clock)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(_Frozen):
    """When the team works, in the community's time zone; response targets count only these hours."""

    days: tuple[Weekday, ...] = Field(default=("mon", "tue", "wed", "thu", "fri"), min_length=1)
    start: Clock = time(9, 0)
    end: Clock = time(17, 0)

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("business_hours.start must be before business_hours.end")
        return self


class QuietHours(_Frozen):
    """Local hours in which no reminder or follow-up goes out; may wrap midnight (21:00-09:00)."""

    start: Clock = time(21, 0)
    end: Clock = time(9, 0)


class ResponseWatch(_Frozen):
    """The response-time watch: warn this long before a target is missed; next-response targets."""

    warn_before: Duration = timedelta(minutes=30)
    next_response_targets: dict[Priority, Duration] = Field(default_factory=dict)


class Reminders(_Frozen):
    """Gentle reminders: one friendly nudge when the customer went quiet after a brand question."""

    enabled: Flag = False
    delay: Duration = timedelta(days=2)
    quiet_hours: QuietHours = QuietHours()
    max_nudges: Annotated[int, _NUMBER] = Field(default=1, ge=0, le=3)
    opt_out_words: tuple[Word, ...] = ("stop", "geen berichten meer", "unsubscribe", "no more messages")
    # the last line of every reminder and follow-up, per language; it names one of opt_out_words.
    # Built in for nl and en: "Liever geen berichten meer? Stuur 'stop'."
    opt_out_line: dict[str, str] = Field(default_factory=dict)
    auto_send: Flag = False
    # the body per language; greeting, sign-off and signature come from the tone, as in a reply
    template: dict[str, str] = Field(default_factory=dict)


CATEGORY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class FollowUpStep(_Frozen):
    """One post-purchase message: when after the purchase, until when, and what it says."""

    # part of each planned job's key, next to the shop's order reference
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    delay: Duration
    # how long after `delay` the step may still go out; later (an order reported late, a worker
    # that was down) it is skipped: a thank-you a week after the purchase reads odd
    window: Duration = timedelta(days=2)
    # the body per language; with by_category, the text for an order none of whose items has one
    template: dict[str, str] = Field(default_factory=dict)
    # a category or tag of a bought item -> the body per language, e.g. {sparkling: {nl: ..., en: ...}}
    by_category: dict[str, dict[str, str]] = Field(default_factory=dict)
    # the customer's answer to this step is recorded as their satisfaction with the order
    satisfaction_check: Flag = False

    @field_validator("window")
    @classmethod
    def _window_open(cls, window: timedelta) -> timedelta:
        if window <= timedelta(0):
            raise ValueError("must be longer than 0m, or the step could never go out")
        return window

    @field_validator("by_category")
    @classmethod
    def _categories(cls, texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for category, per_language in texts.items():
            if not re.match(CATEGORY_PATTERN, category):
                raise ValueError(
                    f"{category!r} is not a category name: use lowercase letters, digits, - and _, "
                    "e.g. sparkling, red, rose (a shop's 'Rosé' matches rose)"
                )
            if not per_language:
                raise ValueError(f"{category!r} has no text: give it one per language")
        return texts

    @model_validator(mode="after")
    def _has_text(self) -> FollowUpStep:
        if not self.template and not self.by_category:
            raise ValueError("a step needs a template, a by_category, or both")
        return self


class FollowUps(_Frozen):
    """Post-purchase follow-ups from order events; a refund, return or complaint cancels the rest."""

    steps: tuple[FollowUpStep, ...] = ()
    auto_send: Flag = False
    cancel_words: tuple[Word, ...] = ("refund", "return", "retour", "terugsturen", "geld terug", "klacht")
    # a follow-up waits until this long after the customer's previous reminder or follow-up
    min_gap: Duration = timedelta(days=1)


class Guideline(_Frozen):
    """A community's rules for answering, as its community manager wrote them."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    name: Annotated[Word, Field(max_length=200)]
    brand: Annotated[Word, Field(max_length=200)]
    # how customers write the brand's name ("De Kelder", "dekelder"); empty: the brand as written
    brand_names: tuple[Word, ...] = ()
    languages: tuple[Language, ...] = Field(default=("nl", "en"), min_length=1)
    default_language: str = "nl"
    # a message in a language not listed: answered in default_language, or only acknowledged
    other_languages: Literal["answer_in_default", "acknowledge"] = "answer_in_default"
    timezone: Annotated[str, AfterValidator(check_timezone)] = "Europe/Amsterdam"
    sources: tuple[Source, ...] = ()
    tone: dict[str, Tone]
    response_targets: dict[Priority, Duration] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    escalation: tuple[EscalationRule, ...] = ()
    limits: Limits = Limits()
    auto_send: AutoSend = AutoSend()
    faq: FaqScope = FaqScope()
    competitors: tuple[Word, ...] = ()
    examples: tuple[Example, ...] = ()
    business_hours: BusinessHours | None = None
    holidays: tuple[date, ...] = ()
    response_watch: ResponseWatch = ResponseWatch()
    reminders: Reminders = Reminders()
    follow_ups: FollowUps = FollowUps()
    retention_days: Annotated[int, _NUMBER] | None = Field(default=None, ge=1, le=MAX_RETENTION_DAYS)

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

    def next_target_for(self, priority: Priority) -> timedelta:
        """The target for answering a customer's follow-up message; the first-response target if unset."""
        return self.response_watch.next_response_targets.get(priority) or self.target_for(priority)
