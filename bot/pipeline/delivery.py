"""Delivering approved replies through the platform adapters, with retries and backoff.

The outbox row is the state machine: pending -> claimed (a worker holds a lease) -> sending (the
platform call has started) -> sent | pending (retry after backoff) | failed | cancelled. A row a
crashed worker left `claimed` was never offered to the platform and simply goes back to pending. A row
left `sending` may or may not have reached the platform: it is retried only where the platform drops
a repeated idempotency key; elsewhere it fails for a human to check (at-most-once).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import update
from sqlmodel import Session, col

from bot import store
from bot.adapters.base import AdapterError, OutgoingMessage, Sender
from bot.models import Conversation, Draft, Outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
INTERRUPTED = "delivery was interrupted; check the platform before sending again"


class DeliveryPolicy(Protocol):
    """What the rest of the pipeline adds around a send: holding messages and scheduling aftercare."""

    def hold_until(self, session: Session, row: Outbox, now: datetime) -> datetime | None:
        """A later time when this message may not go out now (quiet hours), else None."""
        ...

    def cancel_reason(self, session: Session, row: Outbox, now: datetime) -> str | None:
        """Why this message must not go out at all any more (opt-out), else None."""
        ...

    def after_sent(self, session: Session, draft: Draft, now: datetime) -> None:
        """Schedule what follows a sent message (a reminder, a satisfaction check), same transaction."""
        ...


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0
    cancelled: int = 0
    # rows another worker took over because this one held them past the lease
    lost: int = 0


def backoff(attempts: int) -> timedelta:
    """Wait 30 s, 1 min, 2 min ... up to an hour between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def deliver_due(
    session: Session,
    senders: Mapping[str, Sender],
    *,
    now: datetime,
    worker: str,
    limit: int = 50,
    lease: timedelta = LEASE,
    policy: DeliveryPolicy | None = None,
) -> DeliveryReport:
    """Send due outbox rows through their platform's sender, with retries and backoff."""
    report = DeliveryReport()
    _recover_interrupted(session, senders, now=now)
    for row in store.claim_outbox(session, now=now, worker=worker, lease=lease, limit=limit):
        outcome = _deliver_one(session, row, senders, now=now, worker=worker, policy=policy)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _deliver_one(
    session: Session,
    row: Outbox,
    senders: Mapping[str, Sender],
    *,
    now: datetime,
    worker: str,
    policy: DeliveryPolicy | None,
) -> str:
    """Take one claimed row through the state machine; returns the DeliveryReport field to count."""
    reason = policy.cancel_reason(session, row, now) if policy else None
    if reason is not None:
        _cancel(session, row, reason, now=now)
        return "cancelled"
    hold = policy.hold_until(session, row, now) if policy else None
    if hold is not None:
        _release(session, row, until=hold)
        return "held"
    if not _start_sending(session, row, worker=worker):
        return "lost"
    sender = senders.get(row.platform)
    try:
        if sender is None:
            raise AdapterError(f"no {row.platform} adapter is configured", retryable=True)
        receipt = sender.send(
            OutgoingMessage(row.idempotency_key, row.channel, row.text, row.thread_ref, row.reply_to)
        )
    except AdapterError as exc:
        if exc.interrupted:
            return _interrupted_send(session, row, sender, str(exc), now=now)
        error_class = "retryable" if exc.retryable else "permanent"
        outcome = _record_failure(session, row, str(exc), error_class=error_class, now=now)
        return "retrying" if outcome == "pending" else "failed"
    _record_sent(session, row, receipt.platform_message_id, now=now, policy=policy)
    return "sent"


def _interrupted_send(
    session: Session, row: Outbox, sender: Sender | None, error: str, *, now: datetime
) -> str:
    """The platform may have the message: like a crash mid-send, retry only where it deduplicates."""
    if sender is not None and sender.capabilities.deduplicates:
        outcome = _record_failure(session, row, error, error_class="retryable", now=now)
        return "retrying" if outcome == "pending" else "failed"
    # At-most-once: never send again what the platform may already show the customer.
    _record_failure(session, row, f"{INTERRUPTED} ({error})", error_class="interrupted", now=now)
    return "failed"


def _start_sending(session: Session, row: Outbox, *, worker: str) -> bool:
    """Mark the row as being sent, committed before the platform call; False if the lease was lost."""
    stmt = (
        update(Outbox)
        .where(col(Outbox.id) == row.id, col(Outbox.status) == "claimed", col(Outbox.claimed_by) == worker)
        .values(status="sending")
    )
    started = getattr(session.execute(stmt), "rowcount", 0) == 1
    session.commit()
    return bool(started)


def _release(session: Session, row: Outbox, *, until: datetime) -> None:
    """Give a claimed row back untouched, due again at `until`; the attempt does not count."""
    row = session.merge(row)
    row.status, row.next_attempt_at, row.attempts = "pending", until, row.attempts - 1
    row.claimed_by, row.claimed_until = "", None
    session.add(row)
    session.commit()


def _cancel(session: Session, row: Outbox, reason: str, *, now: datetime) -> None:
    row = session.merge(row)
    row.status, row.last_error, row.error_class = "cancelled", reason, "cancelled"
    row.claimed_by, row.claimed_until = "", None
    draft = session.get(Draft, row.draft_id)
    assert draft is not None
    draft.status, draft.updated_at = "expired", now
    session.add_all([row, draft])
    session.commit()


def _record_sent(
    session: Session, row: Outbox, message_id: str, *, now: datetime, policy: DeliveryPolicy | None
) -> None:
    row = session.merge(row)
    row.status, row.platform_message_id, row.sent_at = "sent", message_id, now
    row.last_error, row.error_class = "", ""
    draft = session.get(Draft, row.draft_id)
    assert draft is not None
    draft.status, draft.updated_at = "sent", now
    session.add_all([row, draft])
    # increment in SQL: workers sending into the same conversation must not lose a count
    session.execute(
        update(Conversation)
        .where(col(Conversation.id) == draft.conversation_id)
        .values(
            brand_replies=Conversation.brand_replies + 1,
            last_brand_reply_at=now,
            status="waiting_customer",
            next_response_due_at=None,
        )
    )
    if policy is not None:
        policy.after_sent(session, draft, now)
    session.commit()
    log.info("message delivered", extra={"draft_id": draft.id, "kind": draft.kind, "platform": row.platform})


def _record_failure(session: Session, row: Outbox, error: str, *, error_class: str, now: datetime) -> str:
    row = session.merge(row)
    row.last_error, row.error_class = error[:2000], error_class
    row.claimed_by, row.claimed_until = "", None
    if error_class == "retryable" and row.attempts < MAX_ATTEMPTS:
        row.status, row.next_attempt_at = "pending", now + backoff(row.attempts)
    else:
        row.status = "failed"
        if error_class == "retryable":
            row.last_error = f"gave up after {row.attempts} attempts: {row.last_error}"[:2000]
        _fail_draft(session, row.draft_id, now=now)
    session.add(row)
    session.commit()
    log.warning("delivery failed", extra={"outbox_id": row.id, "status": row.status, "error": row.last_error})
    return row.status


def _fail_draft(session: Session, draft_id: int, *, now: datetime) -> None:
    draft = session.get(Draft, draft_id)
    assert draft is not None
    draft.status, draft.updated_at = "failed", now
    session.add(draft)


def _recover_interrupted(session: Session, senders: Mapping[str, Sender], *, now: datetime) -> None:
    """Rows a crashed worker left mid-send: retry where the platform deduplicates, else fail safe."""
    for row in store.interrupted_outbox(session, now=now):
        sender = senders.get(row.platform)
        # never offered to the platform, or offered where a repeat is dropped: safe to try again
        retry = row.status == "claimed" or (sender is not None and sender.capabilities.deduplicates)
        # compare-and-set: only the worker that flips the row acts on it
        values = (
            {"status": "pending", "next_attempt_at": now, "claimed_by": "", "claimed_until": None}
            if retry
            else {"status": "failed", "last_error": INTERRUPTED, "error_class": "interrupted"}
        )
        stmt = (
            update(Outbox)
            .where(col(Outbox.id) == row.id, col(Outbox.status) == row.status)
            .where(col(Outbox.claimed_until) == row.claimed_until)
            .values(**values)
        )
        flipped = getattr(session.execute(stmt), "rowcount", 0) == 1
        if flipped and not retry:
            # At-most-once: we cannot know whether the platform got it, so a human checks.
            _fail_draft(session, row.draft_id, now=now)
            log.warning("delivery interrupted; marked failed", extra={"outbox_id": row.id})
        session.commit()
