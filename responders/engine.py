"""The one entry point of the core: a mention in, a decision and a draft out."""

from __future__ import annotations

from dataclasses import dataclass

from responders.analysis import analyze
from responders.compose import compose, draft_from, first_name
from responders.domain import Context, Guideline, Mention, Response
from responders.faq import FaqIndex
from responders.rules import decide


@dataclass(frozen=True)
class Community:
    """A guideline together with the FAQ index it answers from."""

    guideline: Guideline
    faq: FaqIndex


def respond(mention: Mention, context: Context, community: Community) -> Response:
    """Analyse a mention, match the FAQ, apply the rules and draft a reply."""
    guideline = community.guideline
    analysis = analyze(
        mention.text,
        default_language=guideline.default_language,
        competitors=guideline.competitors,
    )
    language = analysis.language if analysis.language in guideline.languages else guideline.default_language
    candidates = community.faq.match(mention.text, language=language, tags=guideline.faq.tags)
    best = candidates[0] if candidates else None
    confidence = best.confidence if best else 0.0
    decision = decide(mention, analysis, guideline, context, confidence)
    if decision.action == "no_reply":
        return Response(analysis, candidates, decision, None)
    faq = community.faq.entries[best.faq_id] if best and decision.action == "reply" else None
    text, opening = compose(
        guideline=guideline,
        tone=guideline.tone[language],
        language=language,
        analysis=analysis,
        name=first_name(mention.author.name, mention.author.handle),
        seed=f"{mention.platform}:{mention.external_id}",
        platform=mention.platform,
        target=guideline.target_for(decision.priority),
        faq=faq,
        previous_opening=context.previous_opening,
    )
    alternatives = tuple(c.faq_id for c in candidates[1:] if c.confidence >= guideline.faq.threshold)
    return Response(
        analysis, candidates, decision, draft_from(text, opening, language, faq, confidence, alternatives)
    )
