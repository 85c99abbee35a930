"""Human-toned drafts rendered from sandboxed Jinja2 templates."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from responders.domain import Act, Alternative, Analysis, Draft, FaqEntry, Guideline, Tone

# The only variables a template may use; checked when content loads.
TEMPLATE_VARIABLES: Mapping[str, str] = {
    "name": "the customer's first name; empty when only a handle or e-mail address is known",
    "brand": "the brand's name",
    "target": "the response-time target, e.g. '4 uur' or '4 hours'",
    "promise": "when a colleague answers, in local time: 'vandaag vóór 17:00', 'tomorrow before 10:00'",
    "signature": "the agent signature from the tone of voice",
    "order_number": "the order number the customer gave in this message or thread; empty if none",
    "private": "non-empty in a private chat with the brand, empty in public: {% if not private %}",
}
# empathy and apologies are for bad experiences only, never for a question or a thank-you
EMPATHY_ACTS: frozenset[Act] = frozenset({"complaint", "churn_threat"})
# calm, formal and short: no jokes, no "balen", a person takes over
FORMAL_ACTS: frozenset[Act] = frozenset({"legal_threat", "health_safety", "press"})
# acts whose acknowledgement may ask for an order number the customer has not given yet
ORDER_ACTS: frozenset[Act] = frozenset({"complaint", "churn_threat", "question", "statement"})

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
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    # Jinja's globals (range, dict, lipsum, cycler, joiner, namespace) would print object reprs
    # into a reply; a template sees only the values it is given.
    environment.globals.clear()
    return environment


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


def _unknown_name(source: str) -> str | None:
    """The first name a template reads that is not one of TEMPLATE_VARIABLES, if any.

    Rendering with StrictUndefined does not catch `{{ self }}` (Jinja's own reference to the
    template), so the names are checked before rendering.
    """
    for node in _environment().parse(source).find_all(nodes.Name):
        if node.name not in TEMPLATE_VARIABLES:
            return str(node.name)
    return None


def check_template(source: str) -> str | None:
    """Return a description of what is wrong with a template, or None when it renders."""
    allowed_names = ", ".join(TEMPLATE_VARIABLES)
    try:
        unsupported = _unsupported(source)
        if unsupported:
            allowed = ", ".join(sorted(_ALLOWED_FILTERS))
            return (
                f"template uses {unsupported}; templates may only fill in variables, "
                f"with {{% if %}} and the filters {allowed}"
            )
        unknown = _unknown_name(source)
        if unknown:
            return f"template uses an unknown variable ('{unknown}' is undefined); allowed: {allowed_names}"
        _compiled(source).render(_sample_values())
    except UndefinedError as exc:
        return f"template uses an unknown variable ({exc.message}); allowed: {allowed_names}"
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


_NAME_WORD = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*$")


def first_name(name: str, handle: str) -> str:
    """The first name to greet someone by, or "" when the name is a handle, an address or a title.

    "Sanne de Vries" gives "Sanne"; "zaterdagzuiper" (the handle again), "KurkdroogNL",
    "joris@example.nl", "wijnfan_88" and "Wijn met Willemijn" (a channel title) give "".
    """
    name = name.strip()
    if not name or "@" in name or "://" in name:
        return ""
    words = name.split()
    first = words[0]
    if not _NAME_WORD.match(first) or len(first) < 2 or len(words) > 4 or first.lower() in _NOT_NAMES:
        return ""
    if (first.isupper() and len(first) > 3) or _CAMEL.search(first):
        return ""  # "GROWFAST", "KurkdroogNL": brands and handles, not first names
    if first.islower() and len(words) == 1:
        return ""  # a lone lowercase word ("zaterdagzuiper") is a nickname more often than a name
    if any(w.islower() and w not in _PARTICLES for w in words[1:]):
        return ""  # "Wijn met Willemijn", "Team pizza": a title, not a person
    return first[0].upper() + first[1:]


_CAMEL = re.compile(r"[a-zà-ÿ][A-Z]")
# words that may be lowercase inside a person's name: "Martijn van den Berg", "Ingrid de Boer"
_PARTICLES = frozenset(
    {"van", "de", "der", "den", "het", "ter", "ten", "te", "op", "in", "la", "le", "da", "di"}
)
# what platforms and feeds put where a name should be
_NOT_NAMES = frozenset(
    {"unknown", "onbekend", "anonymous", "anoniem", "deleted", "removed", "admin", "guest", "gast", "team"}
)


def _fit(greeting: str, body: str, closing: str, limit: int) -> str:
    """Join the parts; when too long for the platform, shorten the body and keep greeting and sign-off."""
    text = f"{greeting}\n\n{body}\n\n{closing}"
    if len(text) <= limit:
        return text
    room = max(0, limit - len(greeting) - len(closing) - 5)
    cut = body[:room].rsplit(" ", 1)[0] if room else ""
    return f"{greeting}\n\n{cut}…\n\n{closing}"[:limit]


def lay_out(
    tone: Tone,
    values: Mapping[str, str],
    body: str,
    *,
    seed: str,
    platform: str,
    previous_opening: str = "",
    signoffs: tuple[str, ...] = (),
    footer: str = "",
) -> tuple[str, str]:
    """Greeting, body, sign-off and signature on lines of their own, cut to the platform's limit.

    Returns the text and the greeting template used, so the next message can open differently.
    """
    opening = _pick(tone.greetings, seed, previous_opening)
    # Without a name, "Hoi {{ name }}," must read "Hoi," rather than "Hoi ,".
    greeting = render(opening, values).replace(" ,", ",")
    closing = render(_pick(signoffs or tone.signoffs, seed + "s"), values)
    if tone.signature:
        closing = f"{closing}\n{render(tone.signature, values)}"
    return _fit(greeting, body, closing + footer, PLATFORM_MAX_LENGTH.get(platform, 4096)), opening


@dataclass(frozen=True)
class Reply:
    """What the body of a draft says, decided by the engine before the wording is picked."""

    answers: tuple[FaqEntry, ...] = ()
    acknowledgement: str = ""  # template used when there is no answer
    ask_order_number: bool = False
    promise: str = ""
    order_number: str = ""
    private: bool = False


def template_values(
    guideline: Guideline, tone: Tone, language: str, name: str, target: timedelta, reply: Reply
) -> dict[str, str]:
    """The values every template may use, for one draft."""
    return {
        "name": name,
        "brand": guideline.brand,
        "target": format_duration(target, language),
        "promise": reply.promise,
        "signature": tone.signature,
        "order_number": reply.order_number,
        "private": "ja" if reply.private else "",
    }


def _body(tone: Tone, analysis: Analysis, reply: Reply, values: Mapping[str, str], seed: str) -> str:
    """Empathy for a bad experience, thanks for praise, then every answer or the acknowledgement."""
    opening: list[str] = []
    if analysis.act in EMPATHY_ACTS:
        # praise first, then the problem: "fijn dat de wijnen smaken; balen van die lekke fles"
        if "praise" in analysis.signals and tone.thanks_for_praise:
            opening.append(render(_pick(tone.thanks_for_praise, seed + "p"), values))
        opening.append(render(_pick(tone.empathy, seed + "e"), values))
    if reply.answers:
        paragraphs = [render(faq.answer, values) for faq in reply.answers]
    else:
        paragraphs = [render(reply.acknowledgement or tone.acknowledgement, values)]
        request = tone.order_number_request_private if reply.private else tone.order_number_request
        if reply.ask_order_number and request:
            paragraphs[0] += " " + render(request, values)
    paragraphs[0] = " ".join([*opening, paragraphs[0]])
    return "\n\n".join(paragraphs)


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
    reply: Reply,
    previous_opening: str = "",
) -> tuple[str, str]:
    """Write a reply (FAQ answers) or an acknowledgement; return (text, greeting template used)."""
    values = template_values(guideline, tone, language, name, target, reply)
    body = _body(tone, analysis, reply, values, seed)
    formal = analysis.act in FORMAL_ACTS and tone.formal_signoffs
    text, greeting_source = lay_out(
        tone,
        values,
        body,
        seed=seed,
        platform=platform,
        previous_opening=previous_opening,
        signoffs=tone.formal_signoffs if formal else tone.signoffs,
    )
    if tone.emoji == "none":
        # an FAQ answer shared by several communities may carry emoji this tone does not allow
        text = _EMOJI.sub("", text).replace("  ", " ")
    return text, greeting_source


def draft_from(
    text: str,
    opening: str,
    language: str,
    answers: tuple[FaqEntry, ...],
    confidence: float,
    alternatives: tuple[Alternative, ...],
) -> Draft:
    """Wrap a composed text into a Draft value."""
    return Draft(
        text=text,
        language=language,
        kind="reply" if answers else "acknowledgement",
        faq_id=answers[0].id if answers else None,
        confidence=confidence,
        alternatives=alternatives,
        opening=opening,
        also_answered=tuple(faq.id for faq in answers[1:]),
    )
