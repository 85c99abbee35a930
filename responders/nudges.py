"""Should we nudge, follow up, or stop? Pure decisions for reminders and post-purchase follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from responders.analysis import normalize, words
from responders.compose import first_name, render
from responders.domain import FollowUps, Reminders, Tone


@dataclass(frozen=True)
class NudgeFacts:
    """What the shell knows about a conversation when a reminder falls due."""

    asked_at: datetime
    last_customer_message_at: datetime | None
    opted_out: bool
    nudges_sent: int
    platform_allows: bool


def asks_customer(text: str) -> bool:
    """Whether a brand message asks the customer something (so silence may merit a nudge)."""
    return "?" in text


def is_opt_out(text: str, words_: tuple[str, ...]) -> bool:
    """Whether a customer's message asks us to stop messaging them."""
    plain = normalize(text)
    tokens = set(words(text))
    for phrase in words_:
        wanted = normalize(phrase)
        if (" " in wanted and wanted in plain) or wanted in tokens:
            return True
    return False


def nudge_blocker(facts: NudgeFacts, policy: Reminders) -> str | None:
    """Why no reminder may go out, or None when one friendly nudge is fine."""
    if not policy.enabled:
        return "reminders are off in this community"
    if facts.opted_out:
        return "customer opted out"
    last = facts.last_customer_message_at
    if last is not None and last > facts.asked_at:
        return "customer replied"
    if facts.nudges_sent >= policy.max_nudges:
        return f"already nudged {facts.nudges_sent} time(s), the maximum is {policy.max_nudges}"
    if not facts.platform_allows:
        return "the platform does not allow messages the customer did not ask for"
    return None


def cancels_follow_ups(text: str, signals: frozenset[str], policy: FollowUps) -> bool:
    """Whether a customer's message (a refund, a return, a complaint) ends the follow-up plan."""
    if "complaint" in signals or "refund" in signals:
        return True
    plain = normalize(text)
    tokens = set(words(text))
    return any((normalize(w) in plain if " " in w else normalize(w) in tokens) for w in policy.cancel_words)


def pick_template(templates: dict[str, str], language: str, default_language: str) -> tuple[str, str]:
    """The template in the customer's language, else the community's default, else any: (lang, text)."""
    for lang in (language, default_language):
        if lang in templates:
            return lang, templates[lang]
    lang = sorted(templates)[0]
    return lang, templates[lang]


DEFAULT_REMINDER = {
    "nl": "Hoi {{ name }}, we vroegen je laatst nog iets maar hoorden niets meer. Geen haast hoor: "
    "laat het ons gerust weten als we je nog kunnen helpen. {{ signature }}",
    "en": "Hi {{ name }}, we asked you something the other day but haven't heard back. No rush: "
    "just let us know if we can still help. {{ signature }}",
}


def render_message(template: str, tone: Tone, *, name: str, handle: str, brand: str) -> str:
    """A reminder or follow-up text in the brand's voice."""
    values = {"name": first_name(name, handle), "brand": brand, "target": "", "signature": ""}
    values["signature"] = render(tone.signature, values) if tone.signature else ""
    return render(template, values)
