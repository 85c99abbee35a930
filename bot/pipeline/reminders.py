"""Gentle reminders (funnel step 7): one friendly nudge when the customer went quiet after our question."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import Conversation, Customer, Draft, Job, Mention
from bot.pipeline import work
from bot.pipeline.review import approve_by_policy
from bot.registry import ContentRegistry
from responders import hours, nudges
from responders.domain import Guideline


def guideline_of(registry: ContentRegistry, community_id: str | None) -> Guideline | None:
    """The guideline in force for a community, if it still exists."""
    community = registry.snapshot.communities.get(community_id or "")
    return community.guideline if community else None


def schedule_after_sent(session: Session, draft: Draft, registry: ContentRegistry, now: datetime) -> None:
    """After a reply that asks the customer something, plan one nudge for when they stay quiet."""
    guideline = guideline_of(registry, draft.community_id)
    if draft.kind not in ("reply", "acknowledgement") or guideline is None:
        return
    policy = guideline.reminders
    if not policy.enabled or policy.max_nudges == 0 or not nudges.asks_customer(draft.text):
        return
    conversation = session.get(Conversation, draft.conversation_id)
    assert conversation is not None
    due = hours.after_quiet_hours(now + policy.delay, timezone=guideline.timezone, quiet=policy.quiet_hours)
    work.schedule(
        session,
        kind="reminder",
        due_at=due,
        dedupe_key=f"reminder:draft:{draft.id}",
        now=now,
        community_id=draft.community_id,
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        payload={"asked_at": now.isoformat(), "after_draft": draft.id},
    )


def note_opt_out(session: Session, customer: Customer, words: tuple[str, ...], *, since: datetime) -> bool:
    """Record an opt-out the customer wrote since a moment; True when they opted out (now or before)."""
    if customer.opted_out_at is not None:
        return True
    stmt = select(Mention).where(Mention.customer_id == customer.id, col(Mention.received_at) >= since)
    for mention in session.exec(stmt):
        if nudges.is_opt_out(mention.text, words):
            customer.opted_out_at = mention.received_at
            session.add(customer)
            return True
    return False


def run_reminder(session: Session, job: Job, context: work.JobContext) -> work.Result:
    """Draft the nudge when it is still welcome; otherwise say why not."""
    guideline = guideline_of(context.registry, job.community_id)
    conversation = session.get(Conversation, job.conversation_id)
    if guideline is None or conversation is None:
        return work.Cancelled("community or conversation no longer exists")
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    policy, now = guideline.reminders, context.now
    asked_at = datetime.fromisoformat(job.payload["asked_at"])
    sender = context.senders.get(conversation.platform)
    facts = nudges.NudgeFacts(
        asked_at=asked_at,
        last_customer_message_at=conversation.last_customer_message_at,
        opted_out=note_opt_out(session, customer, policy.opt_out_words, since=asked_at),
        nudges_sent=_nudges(session, conversation.id),
        platform_allows=sender is not None and sender.capabilities.can_start_conversation,
    )
    blocker = nudges.nudge_blocker(facts, policy)
    if blocker:
        session.commit()
        return work.Cancelled(blocker)
    if hours.is_quiet(now, timezone=guideline.timezone, quiet=policy.quiet_hours):
        later = hours.after_quiet_hours(now, timezone=guideline.timezone, quiet=policy.quiet_hours)
        return work.Later(later, "quiet hours")
    templates = policy.template or nudges.DEFAULT_REMINDER
    draft = draft_message(
        session,
        job,
        conversation,
        customer,
        guideline,
        templates,
        kind="reminder",
        now=now,
        seed=f"r{job.id}",
    )
    if policy.auto_send:
        approve_by_policy(session, draft, now=now)
    session.commit()
    return work.Done(f"drafted reminder {draft.id}")


def _nudges(session: Session, conversation_id: int | None) -> int:
    stmt = (
        select(func.count())
        .select_from(Draft)
        .where(Draft.conversation_id == conversation_id, Draft.kind == "reminder")
        .where(col(Draft.status).not_in(("rejected", "expired")))
    )
    return int(session.exec(stmt).one())


def draft_message(
    session: Session,
    job: Job,
    conversation: Conversation,
    customer: Customer,
    guideline: Guideline,
    templates: Mapping[str, str],
    *,
    kind: str,
    now: datetime,
    seed: str,
    reasons: tuple[str, ...] = (),
) -> Draft:
    """Write a reminder or follow-up draft for a job; a retried job finds the draft it made before."""
    existing = session.exec(select(Draft).where(Draft.job_id == job.id)).first()
    if existing is not None:
        return existing
    assert conversation.id is not None
    message = nudges.write_message(
        guideline,
        templates,
        language=customer_language(session, customer, guideline),
        name=customer.name,
        handle=customer.handle,
        seed=seed,
        platform=conversation.platform,
        previous_opening=_last_opening(session, conversation.id),
    )
    draft = Draft(
        conversation_id=conversation.id,
        community_id=guideline.id,
        kind=kind,
        text=message.text,
        original_text=message.text,
        language=message.language,
        opening=message.opening,
        # a nudge is no customer waiting for an answer: it is due within the low-priority target,
        # and sorts and shows as such, not as a deadline breached the moment it is drafted
        due_at=now + guideline.target_for("low"),
        reasons=[f"{kind.replace('_', '-')} planned by the guideline (job {job.id})", *reasons],
        approval_level="auto" if _auto(guideline, kind) else "agent",
        job_id=job.id,
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    return draft


def customer_language(session: Session, customer: Customer, guideline: Guideline) -> str:
    """The language the customer last wrote in here, else the one their shop gave, else the default."""
    stmt = (
        select(Mention.language)
        .where(
            Mention.customer_id == customer.id, Mention.community_id == guideline.id, Mention.language != ""
        )
        .order_by(col(Mention.created_at).desc())
    )
    return session.exec(stmt.limit(1)).first() or customer.language or guideline.default_language


def _last_opening(session: Session, conversation_id: int) -> str:
    """The greeting of the brand's last draft here, so the next message opens differently."""
    stmt = (
        select(Draft.opening).where(Draft.conversation_id == conversation_id).order_by(col(Draft.id).desc())
    )
    return session.exec(stmt.limit(1)).first() or ""


def _auto(guideline: Guideline, kind: str) -> bool:
    return guideline.reminders.auto_send if kind == "reminder" else guideline.follow_ups.auto_send
