"""Delivering approved replies: once, with retries, and safe after a crash."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot import pipeline, store
from bot.adapters.base import AdapterError, Capabilities, OutgoingMessage, Receipt
from bot.adapters.console import ConsoleSender
from bot.clock import Clock
from bot.models import Conversation, Draft, Outbox
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from tests.factories import mention_json


class FlakySender:
    """A platform that fails the first `failures` sends with the given error."""

    platform = "console"
    capabilities = Capabilities()

    def __init__(self, failures: int, *, retryable: bool) -> None:
        self.failures = failures
        self.retryable = retryable
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> Receipt:
        if self.failures:
            self.failures -= 1
            raise AdapterError("platform said 502", retryable=self.retryable)
        self.sent.append(message)
        return Receipt(f"flaky-{len(self.sent)}")


def _approved_draft(session: Session, registry: ContentRegistry, now: datetime) -> int:
    received = pipeline.receive(
        session, MentionIn.model_validate(mention_json()).to_mention(), registry, now=now
    )
    assert received.draft_id is not None
    pipeline.approve(session, received.draft_id, actor="user:a", role="agent", now=now)
    return received.draft_id


def _start_sending(session: Session) -> None:
    session.execute(update(Outbox).where(col(Outbox.status) == "claimed").values(status="sending"))
    session.commit()


def test_a_failing_platform_is_retried_with_backoff_until_it_works(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    draft_id = _approved_draft(session, registry, clock.now())
    sender = FlakySender(2, retryable=True)
    now = clock.now()
    first = pipeline.deliver_due(session, {"console": sender}, now=now, worker="w")
    assert (first.sent, first.retrying) == (0, 1)
    # not due again until the backoff has passed
    assert (
        pipeline.deliver_due(session, {"console": sender}, now=now + timedelta(seconds=10), worker="w").sent
        == 0
    )
    pipeline.deliver_due(session, {"console": sender}, now=now + timedelta(seconds=31), worker="w")
    done = pipeline.deliver_due(session, {"console": sender}, now=now + timedelta(minutes=5), worker="w")
    assert done.sent == 1
    assert len(sender.sent) == 1
    row = session.exec(select(Outbox)).one()
    assert (row.status, row.attempts, row.platform_message_id) == ("sent", 3, "flaky-1")
    draft = session.get(Draft, draft_id)
    assert draft is not None
    session.refresh(draft)
    assert draft.status == "sent"
    conversation = session.get(Conversation, draft.conversation_id)
    assert conversation is not None and conversation.brand_replies == 1


def test_a_permanent_error_fails_the_draft_and_keeps_the_reason(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    draft_id = _approved_draft(session, registry, clock.now())
    report = pipeline.deliver_due(
        session, {"console": FlakySender(1, retryable=False)}, now=clock.now(), worker="w"
    )
    assert report.failed == 1
    row = session.exec(select(Outbox)).one()
    assert (row.status, row.error_class) == ("failed", "permanent") and "502" in row.last_error
    draft = session.get(Draft, draft_id)
    assert draft is not None
    session.refresh(draft)
    assert draft.status == "failed"


def test_a_missing_adapter_keeps_the_reply_waiting(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    _approved_draft(session, registry, clock.now())
    report = pipeline.deliver_due(session, {}, now=clock.now(), worker="w")
    assert report.retrying == 1
    row = session.exec(select(Outbox)).one()
    assert row.status == "pending" and "no console adapter" in row.last_error


def test_a_send_interrupted_by_a_crash_is_not_repeated_on_a_platform_that_cannot_deduplicate(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    _approved_draft(session, registry, clock.now())
    now = clock.now()
    claimed = store.claim_outbox(session, now=now, worker="dead", lease=pipeline.LEASE, limit=10)
    assert len(claimed) == 1
    _start_sending(session)  # the worker called the platform and died before recording the result
    sender = FlakySender(0, retryable=True)
    pipeline.deliver_due(
        session, {"console": sender}, now=now + pipeline.LEASE + timedelta(seconds=1), worker="w"
    )
    assert sender.sent == []
    row = session.exec(select(Outbox)).one()
    session.refresh(row)
    assert (row.status, row.error_class) == ("failed", "interrupted") and "interrupted" in row.last_error
    draft = session.exec(select(Draft)).one()
    session.refresh(draft)
    assert draft.status == "failed"  # shows in the queue for a person to check the platform


def test_a_send_interrupted_by_a_crash_is_retried_where_the_platform_deduplicates(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    _approved_draft(session, registry, clock.now())
    now = clock.now()
    store.claim_outbox(session, now=now, worker="dead", lease=pipeline.LEASE, limit=10)
    _start_sending(session)
    console = ConsoleSender()
    later = now + pipeline.LEASE + timedelta(seconds=1)
    pipeline.deliver_due(session, {"console": console}, now=later, worker="w")
    pipeline.deliver_due(session, {"console": console}, now=later, worker="w")
    assert len(console.sent) == 1


def test_two_workers_never_claim_the_same_row(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    for i in range(5):
        body = mention_json(f"m-{i}", author_id=f"u-{i}")
        received = pipeline.receive(
            session, MentionIn.model_validate(body).to_mention(), registry, now=clock.now()
        )
        assert received.draft_id is not None
        pipeline.approve(session, received.draft_id, actor="user:a", role="agent", now=clock.now())
    now = clock.now()
    first = store.claim_outbox(session, now=now, worker="a", lease=pipeline.LEASE, limit=3)
    second = store.claim_outbox(session, now=now, worker="b", lease=pipeline.LEASE, limit=3)
    assert len(first) == 3 and len(second) == 2
    assert not {r.id for r in first} & {r.id for r in second}


def test_a_row_claimed_by_a_crashed_worker_but_never_sent_is_delivered_anyway(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    _approved_draft(session, registry, clock.now())
    now = clock.now()
    store.claim_outbox(session, now=now, worker="dead", lease=pipeline.LEASE, limit=10)
    # the worker died before it called the platform: the row is safe to send, even without dedup
    sender = FlakySender(0, retryable=True)
    later = now + pipeline.LEASE + timedelta(seconds=1)
    pipeline.deliver_due(session, {"console": sender}, now=later, worker="w")
    assert len(sender.sent) == 1
    assert session.exec(select(Outbox.status)).one() == "sent"


def test_a_retryable_error_gives_up_after_the_maximum_attempts(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    draft_id = _approved_draft(session, registry, clock.now())
    sender = FlakySender(100, retryable=True)
    now = clock.now()
    for _ in range(pipeline.MAX_ATTEMPTS):
        pipeline.deliver_due(session, {"console": sender}, now=now, worker="w")
        now += timedelta(hours=2)
    row = session.exec(select(Outbox)).one()
    session.refresh(row)
    assert (row.status, row.error_class, row.attempts) == ("failed", "retryable", pipeline.MAX_ATTEMPTS)
    assert row.last_error.startswith(f"gave up after {pipeline.MAX_ATTEMPTS} attempts")
    draft = session.get(Draft, draft_id)
    assert draft is not None
    session.refresh(draft)
    assert draft.status == "failed"
