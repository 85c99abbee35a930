"""Job rows: scheduled once, claimed atomically by one worker, retried when a worker dies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.adapters.base import Sender
from bot.models import Job
from bot.registry import ContentRegistry

log = logging.getLogger(__name__)

JOB_LEASE = timedelta(minutes=5)
MAX_JOB_ATTEMPTS = 5


@dataclass(frozen=True)
class Done:
    """The job did its work."""

    outcome: str


@dataclass(frozen=True)
class Later:
    """The job may not run yet (quiet hours): try again at `at` without counting an attempt."""

    at: datetime
    why: str


@dataclass(frozen=True)
class Cancelled:
    """The job no longer applies (customer replied, opted out, complained)."""

    why: str


@dataclass(frozen=True)
class Skipped:
    """This step of a plan will not go out (its moment passed), while the rest of the plan goes on."""

    why: str


Result = Done | Later | Cancelled | Skipped


@dataclass(frozen=True)
class JobContext:
    """What a job handler may use besides its session."""

    registry: ContentRegistry
    senders: Mapping[str, Sender]
    now: datetime


Handler = Callable[[Session, Job, JobContext], Result]


@dataclass
class JobReport:
    """What one round of due jobs did, by outcome."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        """Count one job's outcome."""
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def total(self) -> int:
        """How many jobs the round handled."""
        return sum(self.counts.values())


def schedule(
    session: Session, *, kind: str, due_at: datetime, dedupe_key: str, now: datetime, **values: Any
) -> Job | None:
    """Add a job unless one with the same dedupe key exists; None when it was already there."""
    job = Job(kind=kind, due_at=due_at, dedupe_key=dedupe_key, created_at=now, **values)
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        return None
    return job


def _claimable(now: datetime) -> Any:
    # due pending jobs, and running jobs whose worker's lease ran out (it crashed)
    return or_(
        and_(col(Job.status) == "pending", col(Job.due_at) <= now),
        and_(col(Job.status) == "running", col(Job.claimed_until) < now),
    )


def claim_jobs(session: Session, *, now: datetime, worker: str, lease: timedelta, limit: int) -> list[Job]:
    """Atomically take due jobs for one worker; two workers never get the same row."""
    due = (
        select(Job.id)
        .where(_claimable(now))
        .order_by(col(Job.due_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Job)
        .where(col(Job.id).in_(due.scalar_subquery()), _claimable(now))
        .values(status="running", claimed_by=worker, claimed_until=now + lease, attempts=Job.attempts + 1)
        .returning(Job)
    )
    rows = list(session.execute(stmt).scalars())
    session.commit()
    return rows


def run_due_jobs(
    session: Session,
    handlers: Mapping[str, Handler],
    context: JobContext,
    *,
    worker: str,
    lease: timedelta = JOB_LEASE,
    limit: int = 100,
) -> JobReport:
    """Claim due jobs and run each through the handler for its kind; one job's error stops no other."""
    report = JobReport()
    now = context.now
    for job in claim_jobs(session, now=now, worker=worker, lease=lease, limit=limit):
        handler = handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            result = handler(session, job, context)
        except Exception as exc:  # a broken job must not stop the ticker; it is retried, then failed
            session.rollback()
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
            report.add(_finish_failed(session, job, f"{type(exc).__name__}: {exc}", now=now))
            continue
        report.add(_finish(session, job, result, now=now))
    return report


def _finish(session: Session, job: Job, result: Result, *, now: datetime) -> str:
    job = session.merge(job)
    job.claimed_by, job.claimed_until = "", None
    if isinstance(result, Later):
        job.status, job.due_at, job.outcome = "pending", result.at, f"postponed: {result.why}"
        job.attempts -= 1
    elif isinstance(result, Cancelled):
        job.status, job.done_at, job.outcome = "cancelled", now, result.why
    elif isinstance(result, Skipped):
        job.status, job.done_at, job.outcome = "skipped", now, result.why
    else:
        job.status, job.done_at, job.outcome = "done", now, result.outcome
    session.add(job)
    session.commit()
    return job.status


def _finish_failed(session: Session, job: Job, error: str, *, now: datetime) -> str:
    job = session.merge(job)
    job.claimed_by, job.claimed_until, job.outcome = "", None, error[:2000]
    if job.attempts < MAX_JOB_ATTEMPTS:
        job.status, job.due_at = "pending", now + timedelta(minutes=2**job.attempts)
    else:
        job.status, job.done_at = "failed", now
    session.add(job)
    session.commit()
    return job.status


def cancel_jobs(session: Session, *, order_id: int, why: str, now: datetime) -> int:
    """Cancel the pending jobs of an order; returns how many."""
    stmt = (
        update(Job)
        .where(col(Job.order_id) == order_id, col(Job.status) == "pending")
        .values(status="cancelled", outcome=why, done_at=now)
    )
    return int(getattr(session.execute(stmt), "rowcount", 0))
