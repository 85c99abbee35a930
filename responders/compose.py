"""Human-toned drafts rendered from sandboxed Jinja2 templates."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from responders.domain import Analysis, Draft, FaqEntry, Guideline, Tone

# The only variables a template may use; checked when content loads.
TEMPLATE_VARIABLES: Mapping[str, str] = {
    "name": "the customer's first name or handle",
    "brand": "the brand's name",
    "target": "the response-time target, e.g. '4 uur' or '4 hours'",
    "signature": "the agent signature from the tone of voice",
}

_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\ufe0f]")

PLATFORM_MAX_LENGTH: Mapping[str, int] = {
    "telegram": 4096,
    "reddit": 10000,
    "webhook": 10000,
    "rss": 10000,
    "console": 10000,
}


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    # Plain-text replies: escaping happens where text is shown (web templates), not here.
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=4096)
def _compiled(source: str):  # type: ignore[no-untyped-def]
    return _environment().from_string(source)


def _sample_values() -> dict[str, str]:
    return {name: name for name in TEMPLATE_VARIABLES}


# A reply template fills in a few values. Loops, arithmetic and calls would let one line run for
# hours or print gigabytes (`{{ "x" * 10**9 }}`) while the content loads, so only this is allowed.
_ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Filter,
)
_ALLOWED_FILTERS = frozenset({"capitalize", "lower", "upper", "title", "trim"})
_NODE_NAMES = {
    nodes.For: "loops",
    nodes.Call: "calls",
    nodes.Assign: "{% set %}",
    nodes.Macro: "macros",
    nodes.Getattr: "attribute access",
    nodes.Getitem: "item access",
    nodes.Concat: "joining with ~",
    nodes.Test: "`is` tests",
}


def _unsupported(source: str) -> str | None:
    """What a template uses beyond variables, `{% if %}` and a few filters, if anything."""
    for node in _environment().parse(source).find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            kind = _NODE_NAMES.get(type(node))
            if kind is None:
                kind = "arithmetic" if isinstance(node, nodes.BinExpr) else type(node).__name__
            return kind
        if isinstance(node, nodes.Filter) and node.name not in _ALLOWED_FILTERS:
            return f"the filter {node.name!r}"
    return None


def check_template(source: str) -> str | None:
    """Return a description of what is wrong with a template, or None when it renders."""
    try:
        unsupported = _unsupported(source)
        if unsupported:
            allowed = ", ".join(sorted(_ALLOWED_FILTERS))
            return (
                f"template uses {unsupported}; templates may only fill in variables, "
                f"with {{% if %}} and the filters {allowed}"
            )
        _compiled(source).render(_sample_values())
    except UndefinedError as exc:
        allowed = ", ".join(TEMPLATE_VARIABLES)
        return f"template uses an unknown variable ({exc.message}); allowed: {allowed}"
    except TemplateError as exc:
        return f"template error: {exc.message}"
    return None


def render(source: str, values: Mapping[str, str]) -> str:
    """Render one template with the given values."""
    return str(_compiled(source).render(dict(values))).strip()


def format_duration(delta: timedelta, language: str) -> str:
    """Say a duration the way a person would: '4 uur', '2 days'."""
    hours = round(delta.total_seconds() / 3600)
    if delta < timedelta(hours=1):
        minutes = max(1, round(delta.total_seconds() / 60))
        return f"{minutes} minuten" if language == "nl" else f"{minutes} minutes"
    if hours < 48:
        if language == "nl":
            return f"{hours} uur"
        return "1 hour" if hours == 1 else f"{hours} hours"
    days = round(hours / 24)
    return f"{days} dagen" if language == "nl" else f"{days} days"


def _pick(options: tuple[str, ...], seed: str, avoid: str = "") -> str:
    """Pick a variant deterministically from the seed, avoiding the previous one when possible."""
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(options)
    for offset in range(len(options)):
        choice = options[(start + offset) % len(options)]
        if choice != avoid or len(options) == 1:
            return choice
    return options[start]


def first_name(name: str, handle: str) -> str:
    """The name to greet someone by: their first name, else their handle."""
    first = name.split()[0] if name.strip() else ""
    return first or handle.lstrip("@") or ""


def _fit(greeting: str, body: str, closing: str, limit: int) -> str:
    """Join the parts; when too long for the platform, shorten the body and keep greeting and sign-off."""
    text = f"{greeting}\n\n{body}\n\n{closing}"
    if len(text) <= limit:
        return text
    room = max(0, limit - len(greeting) - len(closing) - 5)
    cut = body[:room].rsplit(" ", 1)[0] if room else ""
    return f"{greeting}\n\n{cut}…\n\n{closing}"[:limit]


def compose(
    *,
    guideline: Guideline,
    tone: Tone,
    language: str,
    analysis: Analysis,
    name: str,
    seed: str,
    platform: str,
    target: timedelta,
    faq: FaqEntry | None,
    previous_opening: str = "",
) -> tuple[str, str]:
    """Write a reply (FAQ answer) or an acknowledgement; return (text, greeting template used)."""
    values = {
        "name": name,
        "brand": guideline.brand,
        "target": format_duration(target, language),
        "signature": tone.signature,
    }
    greeting_source = _pick(tone.greetings, seed, previous_opening)
    # Without a name, "Hoi {{ name }}," must read "Hoi," rather than "Hoi ,".
    greeting = render(greeting_source, values).replace(" ,", ",")
    body: list[str] = []
    if analysis.sentiment_label == "negative":
        body.append(render(_pick(tone.empathy, seed + "e"), values))
    body.append(render(faq.answer, values) if faq else render(tone.acknowledgement, values))
    closing = render(_pick(tone.signoffs, seed + "s"), values)
    if tone.signature:
        closing = f"{closing}\n{render(tone.signature, values)}"
    text = _fit(greeting, " ".join(body), closing, PLATFORM_MAX_LENGTH.get(platform, 4096))
    if tone.emoji == "none":
        # an FAQ answer shared by several communities may carry emoji this tone does not allow
        text = _EMOJI.sub("", text).replace("  ", " ")
    return text, greeting_source


def draft_from(
    text: str,
    opening: str,
    language: str,
    faq: FaqEntry | None,
    confidence: float,
    alternatives: tuple[str, ...],
) -> Draft:
    """Wrap a composed text into a Draft value."""
    return Draft(
        text=text,
        language=language,
        kind="reply" if faq else "acknowledgement",
        faq_id=faq.id if faq else None,
        confidence=confidence,
        alternatives=alternatives,
        opening=opening,
    )
