"""Gentle reminders: one friendly nudge after our question, never in quiet hours, never after an opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot import pipeline
from bot.models import Customer, Draft, Job
from bot.pipeline import work
from bot.registry import ContentRegistry
from tests.jobs_support import T0, RecordingSender, deliver, policy_registry, receive, run_jobs

THREAD = {"thread_ref": "thread-1"}


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The test community with reminders on (2 days, quiet 21:00-09:00, one nudge)."""
    return policy_registry(tmp_path)


def ask_customer(session: Session, registry: ContentRegistry, sender: RecordingSender) -> None:
    """The customer writes, an agent answers with a question, the answer is delivered at T0."""
    draft_id = receive(
        session, registry, "m-1", "Mijn bestelling is nog niet binnen", T0 - timedelta(hours=1), **THREAD
    )
    pipeline.approve(
        session,
        draft_id,
        actor="user:a",
        role="senior",
        now=T0,
        text="Wat is je ordernummer? Dan zoeken we het uit.",
    )
    deliver(session, registry, sender, T0)
    assert len(sender.sent) == 1


def reminders(session: Session) -> list[Draft]:
    return list(session.exec(select(Draft).where(Draft.kind == "reminder")))


def test_a_quiet_customer_gets_one_friendly_nudge_for_approval_after_the_delay(
    session: Session, registry: ContentRegistry
) -> None:
    sender = RecordingSender()
    ask_customer(session, registry, sender)
    assert run_jobs(session, registry, sender, T0 + timedelta(days=1)).total == 0  # not yet
    report = run_jobs(session, registry, sender, T0 + timedelta(days=2, minutes=1))
    assert report.counts == {"done": 1}
    [nudge] = reminders(session)
    # no customer waits for it: due within the low-priority target, not "breached" on arrival
    low = registry.snapshot.communities["testshop"].guideline.target_for("low")
    assert nudge.due_at == T0 + timedelta(days=2, minutes=1) + low
    # laid out like a reply: greeting, body, sign-off and signature, and how to stop these messages
    assert (nudge.status, nudge.text) == (
        "pending",
        "Hoi Anna,\n\nKunnen we je nog ergens mee helpen?\n\nGroet,\nTeam Testshop\n\n"
        "Liever geen berichten meer? Stuur 'stop'.",
    )
    pipeline.approve(
        session, nudge.id or 0, actor="user:a", role="agent", now=T0 + timedelta(days=2, hours=1)
    )
    deliver(session, registry, sender, T0 + timedelta(days=2, hours=1))
    assert [m.text for m in sender.sent][1] == nudge.text
    assert sender.sent[1].channel == "shop-nl"
    # the nudge asks a question too, but a second nudge never comes
    assert run_jobs(session, registry, sender, T0 + timedelta(days=10)).total == 0
    assert len(reminders(session)) == 1


def test_a_customer_who_writes_english_is_nudged_in_english(
    session: Session, registry: ContentRegistry
) -> None:
    sender = RecordingSender()
    question = "My order still hasn't arrived, any idea where it is?"
    draft_id = receive(session, registry, "m-1", question, T0 - timedelta(hours=1), **THREAD)
    answer = "What is your order number? We'll look into it."
    pipeline.approve(session, draft_id, actor="user:a", role="senior", now=T0, text=answer)
    deliver(session, registry, sender, T0)
    run_jobs(session, registry, sender, T0 + timedelta(days=2, minutes=1))
    [nudge] = reminders(session)
    assert (nudge.language, nudge.text) == (
        "en",
        "Hi Anna,\n\nCan we still help you with anything?\n\nCheers,\nTeam Testshop\n\n"
        "Rather not get these messages? Just reply 'stop'.",
    )


def test_no_nudge_once_the_customer_replied(session: Session, registry: ContentRegistry) -> None:
    sender = RecordingSender()
    ask_customer(session, registry, sender)
    receive(session, registry, "m-2", "Het is 4711", T0 + timedelta(hours=3), **THREAD)
    report = run_jobs(session, registry, sender, T0 + timedelta(days=2, minutes=1))
    assert report.counts == {"cancelled": 1}
    assert reminders(session) == []
    assert session.exec(select(Job.outcome)).one() == "customer replied"


def test_no_nudge_after_an_opt_out_and_the_opt_out_is_remembered(
    session: Session, registry: ContentRegistry
) -> None:
    sender = RecordingSender()
    ask_customer(session, registry, sender)
    # opting out in another thread still counts
    receive(
        session, registry, "m-9", "Graag geen berichten meer", T0 + timedelta(hours=2), thread_ref="other"
    )
    run_jobs(session, registry, sender, T0 + timedelta(days=2, minutes=1))
    assert reminders(session) == []
    customer = session.exec(select(Customer)).one()
    assert customer.opted_out_at is not None


def test_a_nudge_due_in_quiet_hours_waits_for_the_morning(
    session: Session, registry: ContentRegistry
) -> None:
    sender = RecordingSender()
    ask_customer(session, registry, sender)
    job = session.exec(select(Job)).one()
    night = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam
    job.due_at = night
    session.add(job)
    session.commit()
    assert run_jobs(session, registry, sender, night).counts == {"pending": 1}
    session.refresh(job)
    assert job.due_at == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
    assert reminders(session) == []
    assert run_jobs(session, registry, sender, job.due_at).counts == {"done": 1}


def test_an_approved_nudge_is_held_until_quiet_hours_end(session: Session, registry: ContentRegistry) -> None:
    sender = RecordingSender()
    ask_customer(session, registry, sender)
    run_jobs(session, registry, sender, T0 + timedelta(days=2, minutes=1))
    [nudge] = reminders(session)
    night = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)  # 22:30 local: an agent approves late
    pipeline.approve(session, nudge.id or 0, actor="user:a", role="agent", now=night)
    deliver(session, registry, sender, night)
    assert len(sender.sent) == 1
    deliver(session, registry, sender, datetime(2026, 11, 27, 8, 1, tzinfo=UTC))
    assert len(sender.sent) == 2


def test_no_nudge_where_the_platform_does_not_allow_unprompted_messages(
    session: Session, registry: ContentRegistry
) -> None:
    sender = RecordingSender(can_start_conversation=False)
    ask_customer(session, registry, sender)
    report = run_jobs(session, registry, sender, T0 + timedelta(days=2, minutes=1))
    assert report.counts == {"cancelled": 1}
    assert "platform" in session.exec(select(Job.outcome)).one()


def test_a_reply_without_a_question_plans_no_nudge(session: Session, registry: ContentRegistry) -> None:
    sender = RecordingSender()
    draft_id = receive(session, registry, "m-1", "Mijn bestelling is nog niet binnen", T0, **THREAD)
    pipeline.approve(
        session, draft_id, actor="user:a", role="senior", now=T0, text="Hij is onderweg, morgen in huis."
    )
    deliver(session, registry, sender, T0)
    assert session.exec(select(Job)).all() == []


def test_a_job_whose_worker_died_is_taken_again_and_drafts_once(
    session: Session, registry: ContentRegistry
) -> None:
    sender = RecordingSender()
    ask_customer(session, registry, sender)
    due = T0 + timedelta(days=2, minutes=1)
    [taken] = work.claim_jobs(session, now=due, worker="dead", lease=work.JOB_LEASE, limit=10)
    assert run_jobs(session, registry, sender, due + timedelta(minutes=1)).total == 0  # still leased
    assert run_jobs(session, registry, sender, due + work.JOB_LEASE + timedelta(seconds=1)).counts == {
        "done": 1
    }
    job = session.get(Job, taken.id)
    assert job is not None
    session.refresh(job)
    assert (job.status, job.attempts) == ("done", 2)
    assert len(reminders(session)) == 1


def test_a_job_that_keeps_breaking_is_retried_with_backoff_then_failed(
    session: Session, registry: ContentRegistry
) -> None:
    work.schedule(session, kind="reminder", due_at=T0, dedupe_key="broken", now=T0, payload={})
    session.commit()
    # a second schedule of the same work stores nothing new
    assert work.schedule(session, kind="reminder", due_at=T0, dedupe_key="broken", now=T0) is None

    def broken(session: Session, job: Job, context: work.JobContext) -> work.Result:
        raise RuntimeError("template exploded")

    at = T0
    for attempt in range(1, work.MAX_JOB_ATTEMPTS + 1):
        context = work.JobContext(registry, {}, at)
        report = work.run_due_jobs(session, {"reminder": broken}, context, worker="w")
        expected = "failed" if attempt == work.MAX_JOB_ATTEMPTS else "pending"
        assert report.counts == {expected: 1}
        at += timedelta(hours=1)
    job = session.exec(select(Job)).one()
    assert job.status == "failed" and "template exploded" in job.outcome
