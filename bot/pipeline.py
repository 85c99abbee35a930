"""The use cases: receive a mention, approve or reject a draft, deliver approved replies."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import store
from bot.adapters.base import AdapterError, OutgoingMessage, Sender
from bot.models import Conversation, Draft, Mention, Outbox
from bot.registry import ContentRegistry
from responders import domain
from responders.engine import Community, respond

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
SENIOR_ROLES = frozenset({"senior", "community_manager", "admin"})


class PipelineError(Exception):
    """Base of the errors a use case reports to its caller."""


class UnknownChannel(PipelineError):
    """No community listens to the platform channel a mention came from."""


class NotFound(PipelineError):
    """The draft does not exist."""


class Conflict(PipelineError):
    """Someone else acted on the draft first, or it is not in a state that allows this."""


class Forbidden(PipelineError):
    """The actor's role does not allow this action."""


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
        _approve(session, draft_row, actor="policy:auto-send", text=None, now=now)
    return Received(row.id, draft_row.id, False, decision.action)


def approve(
    session: Session,
    draft_id: int,
    *,
    actor: str,
    role: str,
    now: datetime,
    text: str | None = None,
    version: int | None = None,
) -> Draft:
    """Approve a pending draft (maybe edited) and queue it for delivery, exactly once."""
    draft = _pending(session, draft_id)
    if draft.approval_level == "senior" and role not in SENIOR_ROLES:
        raise Forbidden("this draft needs a senior's approval")
    _approve(session, draft, actor=actor, text=text, now=now, version=version)
    session.commit()
    session.refresh(draft)
    return draft


def _approve(
    session: Session, draft: Draft, *, actor: str, text: str | None, now: datetime, version: int | None = None
) -> None:
    assert draft.id is not None and draft.mention_id is not None
    final = draft.text if text is None or not text.strip() else text.strip()
    changed = store.change_draft(
        session,
        draft_id=draft.id,
        from_status="pending",
        version=version,
        values={
            "status": "approved",
            "text": final,
            "decided_by": actor,
            "decided_at": now,
            "updated_at": now,
        },
    )
    if not changed:
        session.rollback()
        raise Conflict("this draft was already handled by someone else")
    mention = session.get(Mention, draft.mention_id)
    assert mention is not None
    session.add(
        Outbox(
            draft_id=draft.id,
            idempotency_key=f"draft:{draft.id}",
            platform=mention.platform,
            channel=mention.channel,
            thread_ref=mention.thread_ref,
            reply_to=mention.external_id,
            text=final,
            next_attempt_at=now,
            created_at=now,
        )
    )
    edited = final != draft.original_text
    store.audit(
        session,
        actor=actor,
        action="draft.approve_edited" if edited else "draft.approve",
        object_type="draft",
        object_id=str(draft.id),
        now=now,
        before={"status": "pending", "text": draft.original_text},
        after={"status": "approved", "text": final},
    )


def reject(
    session: Session, draft_id: int, *, actor: str, reason: str, now: datetime, version: int | None = None
) -> Draft:
    """Reject a pending draft with a reason; nothing is sent."""
    draft = _pending(session, draft_id)
    changed = store.change_draft(
        session,
        draft_id=draft_id,
        from_status="pending",
        version=version,
        values={
            "status": "rejected",
            "reject_reason": reason,
            "decided_by": actor,
            "decided_at": now,
            "updated_at": now,
        },
    )
    if not changed:
        session.rollback()
        raise Conflict("this draft was already handled by someone else")
    store.audit(
        session,
        actor=actor,
        action="draft.reject",
        object_type="draft",
        object_id=str(draft_id),
        now=now,
        before={"status": "pending"},
        after={"status": "rejected", "reason": reason},
    )
    session.commit()
    session.refresh(draft)
    return draft


def _pending(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"draft {draft_id} does not exist")
    if draft.status != "pending":
        raise Conflict(f"draft {draft_id} is {draft.status}, not pending")
    return draft


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Wait 30 s, 1 min, 2 min ... up to an hour between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def deliver_due(
    session: Session, senders: Mapping[str, Sender], *, now: datetime, worker: str, limit: int = 50
) -> DeliveryReport:
    """Send due outbox rows through their platform's sender, with retries and backoff."""
    report = DeliveryReport()
    _recover_interrupted(session, senders, now=now)
    for row in store.claim_outbox(session, now=now, worker=worker, lease=LEASE, limit=limit):
        sender = senders.get(row.platform)
        try:
            if sender is None:
                raise AdapterError(f"no {row.platform} adapter is configured", retryable=True)
            receipt = sender.send(
                OutgoingMessage(row.idempotency_key, row.channel, row.text, row.thread_ref, row.reply_to)
            )
        except AdapterError as exc:
            outcome = _record_failure(session, row, str(exc), retryable=exc.retryable, now=now)
            report.retrying += outcome == "pending"
            report.failed += outcome == "failed"
            continue
        _record_sent(session, row, receipt.platform_message_id, now=now)
        report.sent += 1
    return report


def _record_sent(session: Session, row: Outbox, message_id: str, *, now: datetime) -> None:
    row = session.merge(row)
    row.status, row.platform_message_id, row.sent_at, row.last_error = "sent", message_id, now, ""
    draft = session.get(Draft, row.draft_id)
    assert draft is not None
    draft.status, draft.updated_at = "sent", now
    conversation = session.get(Conversation, draft.conversation_id)
    assert conversation is not None
    conversation.brand_replies += 1
    conversation.last_brand_reply_at = now
    conversation.status = "waiting_customer"
    conversation.next_response_due_at = None
    session.add_all([row, draft, conversation])
    session.commit()
    log.info("reply delivered", extra={"draft_id": draft.id, "platform": row.platform})


def _record_failure(session: Session, row: Outbox, error: str, *, retryable: bool, now: datetime) -> str:
    row = session.merge(row)
    row.last_error = error[:2000]
    row.claimed_by, row.claimed_until = "", None
    if retryable and row.attempts < MAX_ATTEMPTS:
        row.status, row.next_attempt_at = "pending", now + backoff(row.attempts)
    else:
        row.status = "failed"
        draft = session.get(Draft, row.draft_id)
        assert draft is not None
        draft.status, draft.updated_at = "failed", now
        session.add(draft)
    session.add(row)
    session.commit()
    log.warning("delivery failed", extra={"outbox_id": row.id, "status": row.status, "error": row.last_error})
    return row.status


def _recover_interrupted(session: Session, senders: Mapping[str, Sender], *, now: datetime) -> None:
    """Rows a crashed worker left mid-send: retry where the platform deduplicates, else fail safe."""
    for row in store.interrupted_outbox(session, now=now):
        sender = senders.get(row.platform)
        if sender is not None and sender.capabilities.deduplicates:
            row.status, row.next_attempt_at, row.claimed_by = "pending", now, ""
            session.add(row)
            session.commit()
        else:
            # At-most-once: we cannot know whether the platform got it, so a human checks.
            _record_failure(
                session,
                row,
                "delivery was interrupted; check the platform before sending again",
                retryable=False,
                now=now,
            )


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
