"""Post-purchase follow-ups (funnel step 8): a plan of job rows per order, cancelled on a complaint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import store
from bot.models import Conversation, Customer, CustomerOrder, Draft, Job, Mention
from bot.pipeline import work
from bot.pipeline.errors import UnknownChannel
from bot.pipeline.reminders import draft_message, guideline_of, note_opt_out
from bot.pipeline.review import approve_by_policy
from bot.registry import ContentRegistry
from responders import domain, hours, nudges, plans


@dataclass(frozen=True)
class OrderEvent:
    """A purchase as the shop reports it."""

    order_ref: str
    platform: str
    customer: domain.Author
    purchased_at: datetime
    items: list[dict[str, Any]] = field(default_factory=list)
    community_id: str | None = None
    language: str = ""  # the shop's language for this customer, when it knows it


def _community_for(session: Session, event: OrderEvent, customer: Customer, registry: ContentRegistry) -> str:
    if event.community_id:
        if event.community_id not in registry.snapshot.communities:
            raise UnknownChannel(f"no community {event.community_id!r}")
        return event.community_id
    stmt = (
        select(Conversation.community_id)
        .where(Conversation.customer_id == customer.id)
        .order_by(col(Conversation.updated_at).desc())
    )
    known = session.exec(stmt).first()
    if known:
        return known
    listening = {
        gid for (platform, _), gid in registry.snapshot.channels.items() if platform == event.platform
    }
    if len(listening) == 1:
        return listening.pop()
    raise UnknownChannel("cannot tell which community this customer belongs to: send `community`")


def record_order(
    session: Session, event: OrderEvent, registry: ContentRegistry, *, now: datetime
) -> tuple[CustomerOrder, bool]:
    """Store an order once and plan its follow-ups; (order, created). Idempotent on the order id."""
    existing = session.exec(select(CustomerOrder).where(CustomerOrder.order_ref == event.order_ref)).first()
    if existing is not None:
        return existing, False
    customer = store.upsert_customer(session, platform=event.platform, author=event.customer, now=now)
    assert customer.id is not None
    if event.language and not customer.language:
        customer.language = event.language  # what they write later tells more, and wins
        session.add(customer)
    community_id = _community_for(session, event, customer, registry)
    order = CustomerOrder(
        order_ref=event.order_ref,
        customer_id=customer.id,
        community_id=community_id,
        items=event.items,
        purchased_at=event.purchased_at,
        created_at=now,
    )
    try:
        session.add(order)
        session.flush()
        _plan(session, order, registry, now=now)
        store.audit(
            session,
            actor="api",
            action="order.record",
            object_type="order",
            object_id=event.order_ref,
            now=now,
        )
        session.commit()
    except IntegrityError:
        # the same order posted twice at once: the other request stored it
        session.rollback()
        stmt = select(CustomerOrder).where(CustomerOrder.order_ref == event.order_ref)
        return session.exec(stmt).one(), False
    return order, True


def _plan(session: Session, order: CustomerOrder, registry: ContentRegistry, *, now: datetime) -> None:
    """A job per step: due at its moment, or recorded as skipped with the reason (a late order)."""
    guideline = guideline_of(registry, order.community_id)
    assert guideline is not None and order.id is not None
    lines = plans.order_lines(order.items)
    for step in plans.plan(guideline.follow_ups, order.purchased_at, now, lines):
        skipped = {"status": "skipped", "outcome": step.skipped, "done_at": now} if step.skipped else {}
        work.schedule(
            session,
            kind="follow_up",
            due_at=step.due_at,
            dedupe_key=f"order:{order.order_ref}:{step.name}",
            now=now,
            community_id=order.community_id,
            customer_id=order.customer_id,
            order_id=order.id,
            payload={"step": step.name},
            **skipped,
        )


def _dm_conversation(session: Session, customer: Customer, community_id: str, now: datetime) -> Conversation:
    """The direct chat with a customer (channel = their platform id, no thread)."""
    stmt = select(Conversation).where(
        Conversation.platform == customer.platform,
        Conversation.channel == customer.platform_user_id,
        Conversation.thread_ref == "",
    )
    conversation = session.exec(stmt).first()
    if conversation is None:
        assert customer.id is not None
        conversation = Conversation(
            community_id=community_id,
            customer_id=customer.id,
            platform=customer.platform,
            channel=customer.platform_user_id,
            thread_ref="",
            status="waiting_customer",
            created_at=now,
            updated_at=now,
        )
        session.add(conversation)
        session.flush()
    return conversation


def check_cancellation(
    session: Session, order: CustomerOrder, policy: domain.FollowUps, now: datetime
) -> bool:
    """Cancel the rest of the plan when the customer asked for a refund, a return or complained."""
    if order.follow_ups_cancelled_at is not None:
        return True
    stmt = select(Mention).where(
        Mention.customer_id == order.customer_id, col(Mention.created_at) >= order.purchased_at
    )
    for mention in session.exec(stmt):
        if nudges.cancels_follow_ups(mention.text, frozenset(mention.signals), policy):
            _cancel(session, order, mention, now)
            return True
    return False


def _cancel(session: Session, order: CustomerOrder, mention: Mention, now: datetime) -> None:
    assert order.id is not None
    order.follow_ups_cancelled_at, order.cancel_reason = now, f"customer wrote: {mention.text[:200]}"
    session.add(order)
    work.cancel_jobs(session, order_id=order.id, why="customer complained or returned", now=now)
    _expire_pending_drafts(session, order.id, now=now)


def _plan_open(session: Session, order_id: int) -> bool:
    """Whether a step is still to come: a pending job, or a drafted step waiting for approval."""
    jobs = select(Job.id).where(Job.order_id == order_id)
    pending_job = select(Job.id).where(Job.order_id == order_id, Job.status == "pending")
    waiting = select(Draft.id).where(col(Draft.job_id).in_(jobs), Draft.status == "pending")
    return session.exec(pending_job.limit(1)).first() is not None or (
        session.exec(waiting.limit(1)).first() is not None
    )


def on_customer_message(session: Session, mention: Mention, registry: ContentRegistry, now: datetime) -> None:
    """As soon as a customer writes: a complaint ends their open plans, an awaited answer is recorded."""
    awaited = (col(CustomerOrder.satisfaction_asked_at).is_not(None)) & (CustomerOrder.satisfaction == "")
    stmt = select(CustomerOrder).where(
        CustomerOrder.customer_id == mention.customer_id,
        col(CustomerOrder.purchased_at) <= mention.created_at,
        col(CustomerOrder.follow_ups_cancelled_at).is_(None) | awaited,
    )
    for order in session.exec(stmt).all():
        assert order.id is not None
        guideline = guideline_of(registry, order.community_id)
        complaint = guideline is not None and nudges.cancels_follow_ups(
            mention.text, frozenset(mention.signals), guideline.follow_ups
        )
        if complaint and order.follow_ups_cancelled_at is None and _plan_open(session, order.id):
            _cancel(session, order, mention, now)
        asked = order.satisfaction_asked_at
        if asked is not None and not order.satisfaction and mention.created_at >= asked:
            order.satisfaction, order.satisfaction_text = mention.sentiment_label, mention.text[:2000]
            session.add(order)


def _expire_pending_drafts(session: Session, order_id: int, *, now: datetime) -> None:
    jobs = select(Job.id).where(Job.order_id == order_id)
    stmt = select(Draft).where(col(Draft.job_id).in_(jobs), Draft.status == "pending")
    for draft in session.exec(stmt):
        draft.status, draft.updated_at = "expired", now
        draft.reasons = [*draft.reasons, "follow-ups cancelled: the customer complained or returned"]
        session.add(draft)


def run_follow_up(session: Session, job: Job, context: work.JobContext) -> work.Result:
    """Draft one step of an order's follow-up plan, unless the plan was cancelled meanwhile."""
    order = session.get(CustomerOrder, job.order_id)
    guideline = guideline_of(context.registry, job.community_id)
    if order is None or guideline is None:
        return work.Cancelled("order or community no longer exists")
    now, policy = context.now, guideline.follow_ups
    step = next((s for s in policy.steps if s.name == job.payload.get("step")), None)
    customer = session.get(Customer, order.customer_id)
    assert customer is not None
    if check_cancellation(session, order, policy, now):
        session.commit()
        return work.Cancelled("follow-ups cancelled: the customer complained or returned")
    if step is None:
        return work.Cancelled(f"step {job.payload.get('step')!r} is no longer in the guideline")
    if note_opt_out(session, customer, guideline.reminders.opt_out_words, since=order.purchased_at):
        session.commit()
        return work.Cancelled("customer opted out")
    sender = context.senders.get(customer.platform)
    if sender is None or not sender.capabilities.can_start_conversation:
        return work.Cancelled(f"{customer.platform} does not allow messages the customer did not ask for")
    return _draft_step(session, job, order, customer, guideline, step, now)


def _draft_step(
    session: Session,
    job: Job,
    order: CustomerOrder,
    customer: Customer,
    guideline: domain.Guideline,
    step: domain.FollowUpStep,
    now: datetime,
) -> work.Result:
    """Draft a due step while its moment lasts, with the text for what was bought."""
    policy, lines = guideline.follow_ups, plans.order_lines(order.items)
    too_late = plans.moment_passed(step, order.purchased_at, now)
    text = plans.step_text(step, lines)
    if too_late or text is None:
        return work.Skipped(too_late or plans.no_text_reason(step, lines))
    at, why = plans.after_gap(policy, step, order.purchased_at, _last_message_at(session, customer, job), now)
    if at is None or at > now:
        return work.Later(at, why) if at is not None else work.Skipped(why)
    quiet = guideline.reminders.quiet_hours
    if hours.is_quiet(now, timezone=guideline.timezone, quiet=quiet):
        return work.Later(
            hours.after_quiet_hours(now, timezone=guideline.timezone, quiet=quiet), "quiet hours"
        )
    conversation = _dm_conversation(session, customer, guideline.id, now)
    reasons = (text.reason,) if text.reason else ()
    draft = draft_message(
        session,
        job,
        conversation,
        customer,
        guideline,
        text.templates,
        kind="follow_up",
        now=now,
        seed=f"{order.order_ref}:{step.name}",
        reasons=reasons,
    )
    if policy.auto_send and draft.status == "pending":
        approve_by_policy(session, draft, now=now)
    session.commit()
    about = f" ({text.category})" if text.category else ""
    return work.Done(f"drafted follow-up {step.name}{about}: draft {draft.id}")


def _last_message_at(session: Session, customer: Customer, job: Job) -> datetime | None:
    """When the customer was last sent (or is about to be sent) a reminder or follow-up."""
    stmt = (
        select(Draft.created_at)
        .join(Conversation, col(Conversation.id) == Draft.conversation_id)
        .where(Conversation.customer_id == customer.id, col(Draft.kind).in_(("reminder", "follow_up")))
        .where(col(Draft.status).not_in(("rejected", "expired")), col(Draft.job_id) != job.id)
        .order_by(col(Draft.created_at).desc())
    )
    return session.exec(stmt.limit(1)).first()


def _step_of(
    session: Session, draft: Draft, registry: ContentRegistry
) -> tuple[domain.FollowUpStep, CustomerOrder] | None:
    """The plan step and order a follow-up draft was written for, if both still exist."""
    if draft.kind != "follow_up" or draft.job_id is None:
        return None
    job = session.get(Job, draft.job_id)
    guideline = guideline_of(registry, draft.community_id)
    if job is None or job.order_id is None or guideline is None:
        return None
    step = next((s for s in guideline.follow_ups.steps if s.name == job.payload.get("step")), None)
    order = session.get(CustomerOrder, job.order_id)
    return (step, order) if step is not None and order is not None else None


def after_sent(session: Session, draft: Draft, registry: ContentRegistry, now: datetime) -> None:
    """When a satisfaction check went out, remember when, so the customer's answer is recorded."""
    found = _step_of(session, draft, registry)
    if found is not None and found[0].satisfaction_check:
        found[1].satisfaction_asked_at = now
        session.add(found[1])


def too_late(session: Session, draft: Draft, registry: ContentRegistry, now: datetime) -> str | None:
    """Why a follow-up draft may no longer go out (its step's moment passed), or None."""
    found = _step_of(session, draft, registry)
    return plans.moment_passed(found[0], found[1].purchased_at, now) if found is not None else None


def _expire_late_drafts(session: Session, registry: ContentRegistry, now: datetime) -> None:
    """Follow-ups still waiting for review when their moment passed leave the queue, saying why."""
    stmt = select(Draft).where(Draft.kind == "follow_up", Draft.status == "pending")
    for draft in session.exec(stmt).all():
        why = too_late(session, draft, registry, now)
        if why is not None:
            draft.status, draft.updated_at, draft.reasons = "expired", now, [*draft.reasons, why]
            session.add(draft)


def record_satisfaction(session: Session) -> int:
    """Store the first answer each asked customer gave after the satisfaction check; returns how many."""
    stmt = select(CustomerOrder).where(
        col(CustomerOrder.satisfaction_asked_at).is_not(None), CustomerOrder.satisfaction == ""
    )
    recorded = 0
    for order in session.exec(stmt).all():
        answer = session.exec(
            select(Mention)
            .where(Mention.customer_id == order.customer_id)
            .where(col(Mention.created_at) >= order.satisfaction_asked_at)
            .order_by(col(Mention.created_at))
        ).first()
        if answer is not None:
            order.satisfaction, order.satisfaction_text = answer.sentiment_label, answer.text[:2000]
            session.add(order)
            recorded += 1
    session.commit()
    return recorded


def sweep(session: Session, registry: ContentRegistry, *, now: datetime) -> int:
    """Cancel open plans whose customer complained since, expire follow-ups whose moment passed.

    Returns how many plans were cancelled.
    """
    _expire_late_drafts(session, registry, now)
    open_jobs = select(Job.order_id).where(Job.kind == "follow_up", Job.status == "pending")
    stmt = select(CustomerOrder).where(
        col(CustomerOrder.follow_ups_cancelled_at).is_(None), col(CustomerOrder.id).in_(open_jobs)
    )
    cancelled = 0
    for order in session.exec(stmt).all():
        guideline = guideline_of(registry, order.community_id)
        if guideline is not None and check_cancellation(session, order, guideline.follow_ups, now):
            cancelled += 1
    session.commit()
    return cancelled
