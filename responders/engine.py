"""The one entry point of the core: a mention in, a decision and a draft out."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from responders.analysis import analyze
from responders.compose import ORDER_ACTS, Reply, compose, draft_from, first_name
from responders.domain import (
    Act,
    Alternative,
    Analysis,
    Candidate,
    Context,
    Decision,
    FaqEntry,
    Guideline,
    Mention,
    Response,
)
from responders.faq import FaqIndex
from responders.hours import add_business_time
from responders.promise import promise
from responders.rules import answer_bar, decide
from responders.text import bare_number, order_number, words

# sentences, and the parts of a sentence around "maar" / "but": each may ask its own thing
_PARTS = re.compile(r"(?<=[.!?\n])\s+|\s+(?:maar|but|en verder|also|ook nog)\s+", re.IGNORECASE)
_PART_MIN_WORDS = 3
# what members say before the question itself: "weet iemand of ...", "does anyone know if ..."
_ASKING_AROUND = re.compile(
    r"\b(?:weet iemand|heeft iemand|iemand|wie weet|vraagje|"
    r"does anyone know|anyone know|does anybody know|anybody know|quick question)\b\s*(?:of|hoe|wanneer|"
    r"waar|wat|welke|if|whether|how|when|where|what|which)?\b[:,]?\s*",
    re.IGNORECASE,
)
# a second answer in one reply must be a sure one: a wrong extra paragraph costs more than a click
_SECOND_ANSWER_AT = 0.8
# an alternative worth a click: below the answer threshold, but not a wild guess
_ALTERNATIVE_SHARE_OF_THRESHOLD = 0.75
# a promise due this soon is too tight to keep: promise the next slot instead
_PROMISE_MARGIN = timedelta(minutes=15)


@dataclass(frozen=True)
class Community:
    """A guideline together with the FAQ index it answers from."""

    guideline: Guideline
    faq: FaqIndex


@dataclass(frozen=True)
class _Match:
    candidate: Candidate
    part: int  # which part of the message it answers; -1: the whole message
    asks: bool  # whether that part asks something


def _parts(text: str) -> list[str]:
    parts = [_ASKING_AROUND.sub("", p) for p in _PARTS.split(text)]
    return [p for p in parts if p and len(words(p)) >= _PART_MIN_WORDS]


def _leads_to_question(text: str, part: str) -> bool:
    """Whether a question follows the part: it is then what the question is about ("Wij willen 30
    kerstpakketten laten bezorgen. Kunnen jullie een offerte maken?"); a remark after the last
    question is an aside ("Kan ik mijn bestelling nog aanpassen? Wil er nog een fles bij")."""
    return "?" in text[max(0, text.find(part)) :]


def _matches(
    faq: FaqIndex, text: str, language: str, tags: tuple[str, ...], *, asking_only: bool = False
) -> list[_Match]:
    """FAQ candidates for the whole message and for each of its parts, best per entry first.

    asking_only: of the parts, only those that ask something or lead to a question (a question is
    answered from what it asks: "Kan ik mijn bestelling nog aanpassen? Wil er nog een fles bij" is
    no broken bottle)."""
    best: dict[str, _Match] = {}
    parts = _parts(text)
    asked_around = len(parts) == 1 and parts[0] != text
    scored = [(-1, text)] + (list(enumerate(parts)) if len(parts) > 1 or asked_around else [])
    for index, part in scored:
        asks = "?" in part or index == -1
        if asking_only and not (asks or _leads_to_question(text, part)):
            continue
        for candidate in faq.match(part, language=language, tags=tags):
            known = best.get(candidate.faq_id)
            if known is None or candidate.confidence > known.candidate.confidence:
                best[candidate.faq_id] = _Match(candidate, index, asks)
    return sorted(best.values(), key=lambda m: -m.candidate.confidence)


def _fit_for_act(
    matches: list[_Match], faq: FaqIndex, guideline: Guideline, analysis: Analysis, language: str
) -> list[_Match]:
    """Drop answers written for another act, and the ones a part of the message matches less
    well than such an answer; a thank-you gets the community's thank-you answer."""
    entries = faq.entries

    def written_for_act(m: _Match) -> bool:
        acts = entries[m.candidate.faq_id].acts
        return not acts or analysis.act in acts

    excluded = [m for m in matches if not written_for_act(m)]
    # "been waiting 10 days for my refund" is most like the refund answer, which is not written
    # for complaints; the order-tracking answer behind it shares words, not the subject
    kept = [
        m
        for m in matches
        if written_for_act(m)
        and not any(x.part == m.part and x.candidate.confidence > m.candidate.confidence for x in excluded)
    ]
    if analysis.act != "thanks":
        return kept
    tags = set(guideline.faq.tags)
    thanks = [
        e for e in entries.values()
        if "thanks" in e.acts and e.language == language and (not tags or tags & set(e.tags))
    ]  # fmt: skip
    if not thanks:
        return kept
    entry = next((e for e in thanks if e.id in {m.candidate.faq_id for m in kept}), thanks[0])
    known = next((m for m in kept if m.candidate.faq_id == entry.id), None)
    # however it is worded, praise is answered with thanks: sure enough to draft, never less sure
    sure = max(known.candidate.confidence if known else 0.0, guideline.faq.threshold)
    first = _Match(Candidate(entry.id, round(sure, 3), known.candidate.matched if known else ""), -1, True)
    return [first, *(m for m in kept if m.candidate.faq_id != entry.id)]


def _answers(matches: list[_Match], decision: Decision, threshold: float, act: Act) -> list[_Match]:
    """The answer, and a second one when another part of the message asks another thing.

    For a complaint, the part that reports the problem is answered first ("fles met kurk gehad,
    jammer. Trouwens, organiseren jullie proeverijen?").
    """
    if decision.action != "reply" or not matches:
        return []
    reported = [
        m for m in matches if act == "complaint" and not m.asks and m.candidate.confidence >= threshold
    ]
    first = reported[0] if reported else matches[0]
    for other in matches:
        different_part = other.part != first.part and -1 not in (other.part, first.part)
        sure = other.candidate.confidence >= max(threshold, _SECOND_ANSWER_AT)
        if other is not first and sure and different_part and other.asks:
            return [first, other]
    return [first]


def _promise(decision: Decision, guideline: Guideline, context: Context, language: str) -> str:
    """When a person will answer, never a moment already past (a late post gets a fresh target)."""
    due: datetime = decision.due_at
    if due < context.now + _PROMISE_MARGIN:
        due = add_business_time(
            context.now,
            guideline.target_for(decision.priority),
            timezone=guideline.timezone,
            hours=guideline.business_hours,
            holidays=guideline.holidays,
        )
    return promise(due, now=context.now, timezone=guideline.timezone, language=language)


# (Dutch name, English name) of the languages a guideline may answer in
_LANGUAGE_NAMES = {
    "nl": ("Nederlands", "Dutch"),
    "en": ("Engels", "English"),
    "de": ("Duits", "German"),
    "fr": ("Frans", "French"),
    "es": ("Spaans", "Spanish"),
}
# (thanks, which languages are answered here, who reads it); the middle part is left out when
# none of the guideline's languages has a name here
_FOREIGN_ACKNOWLEDGEMENT = {
    "nl": (
        "Dank je voor je bericht!",
        " We schrijven hier in het {languages};",
        " een collega leest met je mee en komt bij je terug.",
    ),
    "en": (
        "Thanks for your message!",
        " We answer here in {languages};",
        " a colleague will read it and get back to you.",
    ),
}


def _language_list(languages: tuple[str, ...], language: str) -> str:
    """'Nederlands of Engels' / 'Dutch or English': the guideline's languages, named in one."""
    index = 0 if language == "nl" else 1
    names = [_LANGUAGE_NAMES[code][index] for code in languages if code in _LANGUAGE_NAMES]
    joiner = " of " if language == "nl" else " or "
    return ", ".join(names[:-1]) + joiner + names[-1] if len(names) > 1 else "".join(names)


def _foreign_acknowledgement(languages: tuple[str, ...], language: str) -> str:
    """Thanks in the default language and English, naming the languages the community answers in."""
    wanted = [language if language in _FOREIGN_ACKNOWLEDGEMENT else "en"]
    if wanted[0] != "en":
        wanted.append("en")
    return "\n\n".join(_foreign_acknowledgement_in(languages, lang) for lang in wanted)


def _foreign_acknowledgement_in(languages: tuple[str, ...], language: str) -> str:
    thanks, where, who = _FOREIGN_ACKNOWLEDGEMENT[language]
    names = _language_list(languages, language)
    if not names:
        return f"{thanks} {who.strip()[:1].upper()}{who.strip()[1:]}"
    return thanks + where.format(languages=names) + who


def _acknowledgement(guideline: Guideline, decision: Decision, analysis: Analysis, language: str) -> str:
    """The fired escalation rule's own acknowledgement, else the tone's for this act."""
    for rule in guideline.escalation:
        if rule.name in decision.escalations and rule.acknowledgement.get(language):
            return rule.acknowledgement[language]
    return guideline.tone[language].acknowledgement_for(analysis.act)


def _needs_order_number(analysis: Analysis) -> bool:
    """Whether an agent will want the order number: a question, complaint or remark about an order,
    not a happy one ("Super snelle levering, morgen ga ik de Rioja proberen")."""
    happy_remark = analysis.act == "statement" and analysis.sentiment_label == "positive"
    return analysis.act in ORDER_ACTS and "about_order" in analysis.signals and not happy_remark


def respond(mention: Mention, context: Context, community: Community) -> Response:
    """Analyse a mention, match the FAQ, apply the rules and draft a reply."""
    guideline = community.guideline
    analysis = analyze(
        mention.text,
        default_language=guideline.default_language,
        competitors=guideline.competitors,
        brand_names=guideline.brand_names or (guideline.brand,),
        reply_to=mention.reply_to,
    )
    foreign = analysis.language not in guideline.languages
    language = guideline.default_language if foreign else analysis.language
    # an FAQ answer in a language the customer did not write in helps less than a person would
    only_acknowledge = foreign and guideline.other_languages == "acknowledge"
    matches = (
        []
        if only_acknowledge
        else _matches(
            community.faq, mention.text, language, guideline.faq.tags, asking_only=analysis.act == "question"
        )
    )
    fitting = _fit_for_act(matches, community.faq, guideline, analysis, language)
    # the message's closest answer, when it was left out because it is written for another act
    passed_over = matches[0] if matches and analysis.act != "thanks" and matches[0] not in fitting else None
    matches = fitting
    candidates = tuple(m.candidate for m in matches[:3])
    best = candidates[0] if candidates else None
    repeated = best is not None and best.faq_id in context.answered_in_thread
    decision = decide(
        mention, analysis, guideline, context, best.confidence if best else 0.0, repeated=repeated
    )
    if passed_over is not None and decision.action == "acknowledge":
        closest = passed_over.candidate
        why = f"closest FAQ answer '{closest.faq_id}' ({closest.confidence:.2f}) is not for a {analysis.act}"
        decision = replace(decision, reasons=(*decision.reasons, why))
    if decision.action == "no_reply":
        return Response(analysis, candidates, decision, None)
    answers = _answers(matches, decision, answer_bar(analysis, guideline, context), analysis.act)
    number = order_number(mention.text) or context.order_number
    if not number and "about_order" in analysis.signals:
        number = bare_number(mention.text)  # "it's 100477, tracking still says in transit"
    reply = Reply(
        answers=tuple(community.faq.entries[m.candidate.faq_id] for m in answers),
        acknowledgement=(
            _foreign_acknowledgement(tuple(guideline.languages), language)
            if only_acknowledge
            else _acknowledgement(guideline, decision, analysis, language)
        ),
        ask_order_number=not number and _needs_order_number(analysis),
        promise=_promise(decision, guideline, context, language),
        order_number=number,
        private=mention.private,
    )
    write = _writer(mention, context, community, analysis, language, decision)
    text, opening = write(reply)
    used = {m.candidate.faq_id for m in answers}
    floor = guideline.faq.threshold * _ALTERNATIVE_SHARE_OF_THRESHOLD
    alternatives = tuple(
        _alternative(
            community.faq.entries[c.faq_id],
            c.confidence,
            write(replace(reply, answers=(community.faq.entries[c.faq_id],)))[0],
        )
        for c in candidates
        if c.faq_id not in used and c.confidence >= floor and c.faq_id not in context.answered_in_thread
    )
    confidence = best.confidence if best else 0.0
    return Response(
        analysis,
        candidates,
        decision,
        draft_from(text, opening, language, reply.answers, confidence, alternatives),
    )


def _alternative(faq: FaqEntry, confidence: float, text: str) -> Alternative:
    return Alternative(faq_id=faq.id, question=faq.question, text=text, confidence=confidence)


def _writer(
    mention: Mention,
    context: Context,
    community: Community,
    analysis: Analysis,
    language: str,
    decision: Decision,
) -> Callable[[Reply], tuple[str, str]]:
    """compose() with everything but the reply fixed: the draft and its alternatives read alike."""
    guideline = community.guideline

    def write(reply: Reply) -> tuple[str, str]:
        return compose(
            guideline=guideline,
            tone=guideline.tone[language],
            language=language,
            analysis=analysis,
            name=first_name(mention.author.name, mention.author.handle),
            seed=f"{mention.platform}:{mention.external_id}",
            platform=mention.platform,
            target=guideline.target_for(decision.priority),
            reply=reply,
            previous_opening=context.previous_opening,
        )

    return write
