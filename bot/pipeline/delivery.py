"""Delivering approved replies through the platform adapters, with retries and backoff."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import store
from bot.adapters.base import AdapterError, OutgoingMessage, Sender
from bot.models import Conversation, Draft, Outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)


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
