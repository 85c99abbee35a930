"""Should we nudge, follow up, or stop? Pure decisions for reminders and post-purchase follow-ups."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from responders.compose import TEMPLATE_VARIABLES, first_name, lay_out, render
from responders.domain import FollowUps, Guideline, Reminders, Tone
from responders.text import normalize, words

Location = tuple[str | int, ...]


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
    # "'stop'" copied with the quotes of the opt-out line counts too
    tokens = {w.strip("'") for w in words(text)}
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


def pick_template(templates: Mapping[str, str], language: str, default_language: str) -> tuple[str, str]:
    """The template in the customer's language, else the community's default, else any: (lang, text)."""
    for lang in (language, default_language):
        if lang in templates:
            return lang, templates[lang]
    lang = sorted(templates)[0]
    return lang, templates[lang]


# Bodies only: the greeting, sign-off, signature and opt-out line come from the guideline.
DEFAULT_REMINDER = {
    "nl": "We stelden je laatst nog een vraag, maar hebben nog niets van je gehoord. Geen haast hoor: "
    "laat het gerust weten als we je nog ergens mee kunnen helpen.",
    "en": "We asked you something the other day but haven't heard back yet. No rush at all: just let "
    "us know if there's anything we can still help with.",
}
# Under every reminder and follow-up unless the guideline words its own (reminders.opt_out_line).
DEFAULT_OPT_OUT_LINE = {
    "nl": "Liever geen berichten meer? Stuur 'stop'.",
    "en": "Rather not get these messages? Just reply 'stop'.",
}


def opt_out_line(policy: Reminders, language: str) -> str:
    """The line that tells the customer how to stop these messages, in their language."""
    return policy.opt_out_line.get(language) or DEFAULT_OPT_OUT_LINE.get(language, "")


# "Hoi {{ name }}, ..." at the start of a template: a whole message written before bodies existed
_GREETING_START = re.compile(r"^\s*[^\W\d_]+\s+\{\{-?\s*name\s*-?\}\}\s*,")
_USES_SIGNATURE = re.compile(r"\{\{-?\s*signature\b")


def is_whole_message(template: str) -> bool:
    """Whether a template is a whole message (greeting or signature included), the pre-layout style.

    Such a template is sent as written, with only the opt-out line added, so old content keeps working.
    """
    return bool(_GREETING_START.match(template) or _USES_SIGNATURE.search(template))


@dataclass(frozen=True)
class Message:
    """A reminder or follow-up text, laid out like a reply."""

    text: str
    language: str
    opening: str  # the greeting template used; "" for a whole-message template


def _values(tone: Tone, *, name: str, handle: str, brand: str) -> dict[str, str]:
    # a reminder has no response target or order number: those variables are empty here
    values = dict.fromkeys(TEMPLATE_VARIABLES, "")
    values.update(name=first_name(name, handle), brand=brand)
    values["signature"] = render(tone.signature, values) if tone.signature else ""
    return values


def write_message(
    guideline: Guideline,
    templates: Mapping[str, str],
    *,
    language: str,
    name: str,
    handle: str,
    seed: str,
    platform: str,
    previous_opening: str = "",
) -> Message:
    """Greeting, body, sign-off, signature and opt-out line, each on its own lines, in the tone's voice."""
    lang, template = pick_template(templates, language, guideline.default_language)
    tone = guideline.tone.get(lang) or guideline.tone[guideline.default_language]
    values = _values(tone, name=name, handle=handle, brand=guideline.brand)
    stop = opt_out_line(guideline.reminders, lang) or opt_out_line(
        guideline.reminders, guideline.default_language
    )
    footer = f"\n\n{render(stop, values)}" if stop else ""
    if is_whole_message(template):
        return Message(render(template, values).replace(" ,", ",") + footer, lang, "")
    text, opening = lay_out(
        tone, values, render(template, values), seed=seed, platform=platform,
        previous_opening=previous_opening, footer=footer,
    )  # fmt: skip
    return Message(text, lang, opening)


# --- content checks ------------------------------------------------------------------------------


def message_templates(g: Guideline) -> dict[str, list[tuple[Location, str]]]:
    """Reminder and follow-up texts per language, with where they are, for the content checks."""
    found: dict[str, list[tuple[Location, str]]] = {}
    for lang, text in g.reminders.template.items():
        found.setdefault(lang, []).append((("reminders", "template", lang), text))
    for lang, text in g.reminders.opt_out_line.items():
        found.setdefault(lang, []).append((("reminders", "opt_out_line", lang), text))
    for i, step in enumerate(g.follow_ups.steps):
        for lang, text in step.template.items():
            found.setdefault(lang, []).append((("follow_ups", "steps", i, "template", lang), text))
        for category, texts in step.by_category.items():
            for lang, text in texts.items():
                loc: Location = ("follow_ups", "steps", i, "by_category", category, lang)
                found.setdefault(lang, []).append((loc, text))
    return found


# a quoted word: 'stop', "stop", ‘stop’; the apostrophe in "don't" opens no quote
_QUOTED = re.compile(r"(?<!\w)['\"‘“]([^'\"‘’“”]+)['\"’”](?!\w)")


def opt_out_problems(g: Guideline) -> list[tuple[Location, str]]:
    """Opt-out lines that are missing, or that name a word which would not stop the messages."""
    policy = g.reminders
    if not policy.enabled and not g.follow_ups.steps:
        return []
    problems: list[tuple[Location, str]] = []
    known = ", ".join(policy.opt_out_words) or "none"
    for lang in g.languages:
        line = opt_out_line(policy, lang)
        own = lang in policy.opt_out_line
        loc: Location = ("reminders", "opt_out_line", lang) if own else ("reminders", "opt_out_words")
        if not line:
            problems.append((("reminders", "opt_out_line"), f"no opt-out line for {lang!r}: write one"))
            continue
        quoted = _QUOTED.findall(line) or [line]
        if not all(is_opt_out(q, policy.opt_out_words) for q in quoted):
            said = " or ".join(repr(q) for q in quoted)
            whose = "this line" if own else f"the built-in opt-out line for {lang!r}"
            fix = "" if own else f", or write reminders.opt_out_line.{lang}"
            problems.append(
                (loc, f"{whose} tells customers to send {said}, which is not in opt_out_words ({known}){fix}")
            )
    return problems
