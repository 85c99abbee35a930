"""Receiving mentions: stored once, analysed, drafted."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import store
from bot.models import Draft, Mention
from bot.pipeline.errors import UnknownChannel
from bot.pipeline.review import approve_by_policy
from bot.registry import ContentRegistry
from responders import domain
from responders.engine import Community, respond

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """What happened to one incoming mention."""

    mention_id: int
    draft_id: int | None
    duplicate: bool
    action: str


def receive(
    session: Session, mention: domain.Mention, registry: ContentRegistry, *, now: datetime
) -> Received:
    """Store a mention once and draft the community's answer; idempotent on (platform, external_id)."""
    existing = store.find_mention(session, platform=mention.platform, external_id=mention.external_id)
    if existing is not None:
        return _duplicate(session, existing)
    community = registry.community_for(mention.platform, mention.channel)
    if community is None:
        raise UnknownChannel(f"no community listens to {mention.platform} channel {mention.channel!r}")
    try:
        result = _store_new(session, mention, community, now)
        session.commit()
    except IntegrityError:
        # Another request stored the same mention a moment ago: that one wins.
        session.rollback()
        existing = store.find_mention(session, platform=mention.platform, external_id=mention.external_id)
        if existing is None:
            raise
        return _duplicate(session, existing)
    return result


def _duplicate(session: Session, existing: Mention) -> Received:
    assert existing.id is not None
    draft = store.draft_for_mention(session, mention_id=existing.id)
    return Received(existing.id, draft.id if draft else None, True, draft.action if draft else "no_reply")


def _store_new(session: Session, mention: domain.Mention, community: Community, now: datetime) -> Received:
    guideline = community.guideline
    customer = store.upsert_customer(session, platform=mention.platform, author=mention.author, now=now)
    assert customer.id is not None
    conversation = store.upsert_conversation(
        session, community_id=guideline.id, customer_id=customer.id, mention=mention, now=now
    )
    assert conversation.id is not None
    context = domain.Context(
        now=now,
        brand_replies_in_thread=conversation.brand_replies,
        last_reply_to_customer_at=store.last_reply_to_customer(session, customer_id=customer.id),
        previous_opening=store.last_opening(session, community_id=guideline.id),
    )
    response = respond(mention, context, community)
    analysis, decision, draft = response.analysis, response.decision, response.draft
    row = Mention(
        platform=mention.platform,
        external_id=mention.external_id,
        community_id=guideline.id,
        conversation_id=conversation.id,
        customer_id=customer.id,
        channel=mention.channel,
        thread_ref=mention.thread_ref,
        url=mention.url,
        text=mention.text,
        created_at=mention.created_at,
        received_at=now,
        language=analysis.language,
        sentiment=analysis.sentiment,
        sentiment_label=analysis.sentiment_label,
        signals=sorted(analysis.signals),
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    draft_row = Draft(
        mention_id=row.id,
        conversation_id=conversation.id,
        community_id=guideline.id,
        kind=draft.kind if draft else "reply",
        status="pending" if draft else "ignored",
        action=decision.action,
        text=draft.text if draft else "",
        original_text=draft.text if draft else "",
        language=draft.language if draft else analysis.language,
        opening=draft.opening if draft else "",
        faq_id=draft.faq_id if draft else None,
        confidence=draft.confidence if draft else 0.0,
        priority=decision.priority,
        team=decision.team,
        approval_level=decision.approval,
        due_at=decision.due_at,
        reasons=list(decision.reasons),
        alternatives=list(draft.alternatives) if draft else [],
        candidates=[asdict(c) for c in response.candidates],
        created_at=now,
        updated_at=now,
    )
    session.add(draft_row)
    if draft and conversation.first_response_due_at is None:
        conversation.first_response_due_at = decision.due_at
    conversation.next_response_due_at = decision.due_at if draft else conversation.next_response_due_at
    session.add(conversation)
    session.flush()
    assert draft_row.id is not None
    if decision.approval == "auto":
        approve_by_policy(session, draft_row, now=now)
    return Received(row.id, draft_row.id, False, decision.action)


def sync_communities(session: Session, registry: ContentRegistry, *, now: datetime) -> None:
    """Make sure every loaded community has its row with the revision in force."""
    snapshot = registry.snapshot
    for gid, community in snapshot.communities.items():
        store.upsert_community(
            session,
            community_id=gid,
            name=community.guideline.name,
            revision=snapshot.revisions[gid],
            now=now,
        )
    session.commit()
