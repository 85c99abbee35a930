"""Retention and erasure: customer data past a community's retention_days, or on a GDPR request,
and ended sign-in sessions (they hold staff IP addresses and browsers)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlmodel import Session, col, func, select

from bot import store
from bot.models import (
    Conversation,
    Customer,
    CustomerOrder,
    Draft,
    ExampleSuggestion,
    Inbound,
    Job,
    Mention,
    Outbox,
    SignInFailure,
    SlaEvent,
    UserSession,
    Viewing,
)
from bot.registry import ContentRegistry

# ended sessions stay this long, so a security review can still see where an account was used
ENDED_SESSIONS_KEPT = timedelta(days=30)

log = logging.getLogger(__name__)


def _delete_drafts(session: Session, draft_ids: list[int]) -> None:
    if not draft_ids:
        return
    session.execute(delete(SlaEvent).where(col(SlaEvent.draft_id).in_(draft_ids)))
    # a suggestion points at the customer's words: it goes with them
    session.execute(delete(ExampleSuggestion).where(col(ExampleSuggestion.draft_id).in_(draft_ids)))
    session.execute(delete(Outbox).where(col(Outbox.draft_id).in_(draft_ids)))
    # who had the item open: it points at the draft, and says nothing once the draft is gone
    session.execute(delete(Viewing).where(col(Viewing.draft_id).in_(draft_ids)))
    session.execute(delete(Draft).where(col(Draft.id).in_(draft_ids)))


def _delete_jobs(session: Session, condition: Any) -> None:
    jobs = select(Job.id).where(condition)
    # a draft outlives the job that wrote it; it only forgets which job that was
    session.execute(update(Draft).where(col(Draft.job_id).in_(jobs)).values(job_id=None))
    session.execute(delete(Job).where(condition))


def _delete_mentions(session: Session, condition: Any) -> None:
    mentions = select(Mention.id).where(condition)
    drafts = select(Draft.id).where(col(Draft.mention_id).in_(mentions))
    _delete_drafts(session, [i for i in session.exec(drafts).all() if i is not None])
    session.execute(delete(Mention).where(condition))


def _delete_conversations(session: Session, conversation_ids: list[int]) -> None:
    if not conversation_ids:
        return
    drafts = select(Draft.id).where(col(Draft.conversation_id).in_(conversation_ids))
    _delete_drafts(session, [i for i in session.exec(drafts).all() if i is not None])
    session.execute(delete(Mention).where(col(Mention.conversation_id).in_(conversation_ids)))
    _delete_jobs(session, col(Job.conversation_id).in_(conversation_ids))
    session.execute(delete(Conversation).where(col(Conversation.id).in_(conversation_ids)))


def find_customers(session: Session, platform: str, handle: str) -> list[Customer]:
    """The customers on a platform known by a handle, as staff see it (a leading @ and case ignored)."""
    wanted = handle.strip().removeprefix("@").lower()
    query = select(Customer).where(Customer.platform == platform.strip().lower())
    return [c for c in session.exec(query).all() if c.handle.removeprefix("@").lower() == wanted]


def erasure_counts(session: Session, customer_id: int) -> dict[str, int]:
    """What erasing a customer removes: their mentions, drafts, conversations and orders."""
    conversations = select(Conversation.id).where(Conversation.customer_id == customer_id)
    conversation_ids = [i for i in session.exec(conversations).all() if i is not None]
    in_conversations = col(Mention.conversation_id).in_(conversation_ids)
    mentions = session.exec(select(func.count()).select_from(Mention).where(in_conversations)).one()
    drafts = session.exec(
        select(func.count()).select_from(Draft).where(col(Draft.conversation_id).in_(conversation_ids))
    ).one()
    orders = session.exec(
        select(func.count()).select_from(CustomerOrder).where(col(CustomerOrder.customer_id) == customer_id)
    ).one()
    return {
        "mentions": int(mentions),
        "drafts": int(drafts),
        "conversations": len(conversation_ids),
        "orders": int(orders),
    }


def describe_customer(customer: Customer) -> str:
    """A customer as staff know them: name, platform and handle."""
    handle = f"@{customer.handle.removeprefix('@')}" if customer.handle else customer.platform_user_id
    name = customer.name or handle
    return f"{name} ({customer.platform} {handle})"


def erase_customer(session: Session, customer_id: int, *, actor: str, now: datetime) -> bool:
    """Erase everything about one customer (GDPR); the audit log keeps only that it happened."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return False
    conversations = select(Conversation.id).where(Conversation.customer_id == customer_id)
    _delete_conversations(session, [i for i in session.exec(conversations).all() if i is not None])
    # follow-up drafts live in conversations (gone now); jobs and orders hang off the customer
    _delete_jobs(session, col(Job.customer_id) == customer_id)
    session.execute(delete(CustomerOrder).where(col(CustomerOrder.customer_id) == customer_id))
    # posts still waiting for the drafter would bring the customer back a moment later
    session.execute(
        delete(Inbound).where(
            col(Inbound.platform) == customer.platform, col(Inbound.author_id) == customer.platform_user_id
        )
    )
    session.execute(delete(Customer).where(col(Customer.id) == customer_id))
    store.audit(
        session,
        actor=actor,
        action="customer.erase",
        object_type="customer",
        object_id=str(customer_id),
        now=now,
    )
    session.commit()
    return True


def apply_retention(session: Session, registry: ContentRegistry, *, now: datetime) -> dict[str, int]:
    """Erase conversations, orders and customers of each community older than its retention_days."""
    erased: dict[str, int] = {}
    for gid, community in registry.snapshot.communities.items():
        days = community.guideline.retention_days
        if days is None:
            continue
        try:
            cutoff = now - timedelta(days=days)
        except OverflowError:  # content that slipped past validation: the other communities are kept tidy
            log.error("retention skipped: retention_days out of range", extra={"community": gid})
            continue
        conversations = select(Conversation.id).where(
            Conversation.community_id == gid, col(Conversation.updated_at) < cutoff
        )
        stale = [i for i in session.exec(conversations).all() if i is not None]
        _delete_conversations(session, stale)
        _delete_mentions(session, and_(col(Mention.community_id) == gid, col(Mention.received_at) < cutoff))
        old = and_(col(CustomerOrder.community_id) == gid, col(CustomerOrder.purchased_at) < cutoff)
        _delete_jobs(session, col(Job.order_id).in_(select(CustomerOrder.id).where(old)))
        session.execute(delete(CustomerOrder).where(old))
        customers = _orphans(session)
        if stale or customers:
            store.audit(
                session,
                actor="system:retention",
                action="retention.erase",
                object_type="community",
                object_id=gid,
                now=now,
                after={"conversations": len(stale), "customers": customers, "retention_days": days},
            )
            erased[gid] = len(stale)
        session.commit()
    return erased


def _orphans(session: Session) -> int:
    """Delete customers nothing refers to any more; returns how many."""
    in_use = or_(
        col(Customer.id).in_(select(Conversation.customer_id)),
        col(Customer.id).in_(select(CustomerOrder.customer_id)),
        col(Customer.id).in_(select(Mention.customer_id)),
    )
    ids = [i for i in session.exec(select(Customer.id).where(~in_use)).all() if i is not None]
    if ids:
        _delete_jobs(session, col(Job.customer_id).in_(ids))
        session.execute(delete(Customer).where(col(Customer.id).in_(ids)))
    return len(ids)


def purge_sessions(session: Session, *, now: datetime) -> int:
    """Delete sign-in sessions that expired or were revoked long enough ago, and failed sign-ins
    older than a day (names and addresses, kept only to throttle); returns the sessions deleted."""
    cutoff = now - ENDED_SESSIONS_KEPT
    ended = or_(col(UserSession.expires_at) < cutoff, col(UserSession.revoked_at) < cutoff)
    gone = session.exec(select(UserSession.id).where(ended)).all()
    if gone:
        session.execute(delete(UserSession).where(col(UserSession.id).in_(gone)))
    session.execute(delete(SignInFailure).where(col(SignInFailure.at) < now - timedelta(days=1)))
    session.commit()
    return len(gone)
