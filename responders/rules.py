"""Guideline rules: engagement limits, escalation, priority, approval level and auto-send."""

from __future__ import annotations

from datetime import timedelta

from responders.analysis import normalize
from responders.domain import (
    PRIORITIES,
    Action,
    Analysis,
    Approval,
    Context,
    Decision,
    EscalationRule,
    Guideline,
    Mention,
    Priority,
)
from responders.hours import add_business_time


def limit_reasons(mention: Mention, analysis: Analysis, guideline: Guideline, context: Context) -> list[str]:
    """Reasons the brand must not reply at all; empty when a reply is allowed."""
    limits = guideline.limits
    reasons = []
    if limits.listen_only:
        reasons.append("community is listen-only")
    if "spam" in analysis.signals:
        reasons.append("looks like spam")
    if context.now - mention.created_at > limits.ignore_older_than:
        reasons.append(f"post is older than {limits.ignore_older_than}")
    if context.brand_replies_in_thread >= limits.max_brand_replies_per_thread:
        reasons.append(f"brand already replied {context.brand_replies_in_thread} times in this thread")
    last = context.last_reply_to_customer_at
    if last and limits.customer_cooldown and context.now - last < limits.customer_cooldown:
        reasons.append(f"customer got a reply less than {limits.customer_cooldown} ago")
    return reasons


def rule_matches(rule: EscalationRule, mention: Mention, analysis: Analysis, text: str = "") -> bool:
    """Whether one escalation rule fires; a rule fires when any of its conditions holds.

    text: the mention's text normalized, when the caller has it already.
    """
    text = text or normalize(mention.text)
    followers = mention.author.followers or 0
    return bool(
        set(rule.signals) & analysis.signals
        or any(normalize(k) in text for k in rule.keywords)
        or (rule.sentiment_below is not None and analysis.sentiment < rule.sentiment_below)
        or (rule.min_followers is not None and followers >= rule.min_followers)
        or (mention.author.handle.lower().lstrip("@") in {a.lower().lstrip("@") for a in rule.authors})
    )


def _higher(a: Priority, b: Priority) -> Priority:
    return a if PRIORITIES.index(a) <= PRIORITIES.index(b) else b


def _stricter(a: Approval, b: Approval) -> Approval:
    order: tuple[Approval, ...] = ("senior", "agent", "auto")
    return a if order.index(a) <= order.index(b) else b


def act_reasons(mention: Mention, analysis: Analysis, guideline: Guideline, answerable: bool) -> list[str]:
    """Reasons the brand stays out because of what the customer is doing; empty when it may reply."""
    act = analysis.act
    if act not in guideline.limits.no_reply_to or act == "spam":  # spam has its own reason
        return []
    if act == "conversation":
        # members asking around get a fact the FAQ knows; a reply to one member stays theirs
        if answerable and "question" in analysis.signals and mention.reply_to != "member":
            return []
        return ["customers are talking among themselves and nobody addresses the brand, so we stay out"]
    return [f"this community does not reply to messages of this kind ({act.replace('_', ' ')})"]


def decide(
    mention: Mention,
    analysis: Analysis,
    guideline: Guideline,
    context: Context,
    confidence: float,
    *,
    repeated: bool = False,
) -> Decision:
    """Apply the guideline to an analysed mention and say what to do, with every reason.

    repeated: the best FAQ answer was already sent in this thread, so a person follows up instead.
    """
    priority: Priority = "low" if analysis.sentiment_label == "positive" else "normal"
    approval: Approval = "agent"
    team = "webcare"
    reasons: list[str] = []
    text = normalize(mention.text)
    fired = [rule for rule in guideline.escalation if rule_matches(rule, mention, analysis, text)]
    for rule in fired:
        priority = _higher(priority, rule.priority)
        approval = _stricter(approval, rule.approval)
        team = rule.team if rule is fired[0] else team
        reasons.append(
            f"escalation '{rule.name}': {rule.priority}, team {rule.team}, {rule.approval} approval"
        )
    reasons.insert(0, f"act: {analysis.act.replace('_', ' ')}")
    matched = confidence >= guideline.faq.threshold and not repeated
    blocked = limit_reasons(mention, analysis, guideline, context) + act_reasons(mention, analysis, guideline, matched)
    blocked += [f"escalation '{rule.name}' says: no reply" for rule in fired if rule.no_reply]
    personal = [rule.name for rule in fired if not rule.faq_answer]
    answered = matched and not personal
    action: Action = "no_reply" if blocked else ("reply" if answered else "acknowledge")
    reasons += blocked
    if not blocked:
        reasons.append(_answer_reason(confidence, guideline.faq.threshold, personal, repeated))
    auto = guideline.auto_send
    if action == "reply" and not fired and auto.enabled and confidence >= auto.min_confidence:
        approval = "auto"
        reasons.append(f"auto-send allowed: confidence {confidence:.2f} >= {auto.min_confidence:.2f}")
    # a customer writing again in a thread we already answered gets the next-response target
    answered_before = context.brand_replies_in_thread > 0
    target: timedelta = (
        guideline.next_target_for(priority) if answered_before else guideline.target_for(priority)
    )
    return Decision(
        action=action,
        priority=priority,
        approval=approval,
        due_at=add_business_time(
            mention.created_at,
            target,
            timezone=guideline.timezone,
            hours=guideline.business_hours,
            holidays=guideline.holidays,
        ),
        team=team,
        reasons=tuple(reasons),
        escalations=tuple(rule.name for rule in fired),
    )


def _answer_reason(confidence: float, threshold: float, personal: list[str], repeated: bool) -> str:
    if repeated and confidence >= threshold:
        return "this thread already got this FAQ answer: a person follows up (acknowledge)"
    if confidence < threshold:
        return f"no FAQ answer above threshold {threshold:.2f} (best {confidence:.2f}): acknowledge"
    if personal:
        # the FAQ candidates stay visible to the agent; only the canned answer is held back
        return f"FAQ match {confidence:.2f}, but escalation '{personal[0]}' needs a person: acknowledge"
    return f"FAQ match {confidence:.2f} >= threshold {threshold:.2f}"
