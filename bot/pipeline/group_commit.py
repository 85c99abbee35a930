"""Group commit: mentions posted at the same time are stored in one transaction, by one writer.

A commit (and on SQLite the one write lock) costs as much as drafting a reply, and sixteen
request threads each taking the lock in turn spend more time handing it over than writing. So
requests hand their mention to one writer thread and wait; the writer takes in everything that
is waiting, up to MAX_BATCH, commits once, and only then answers each request. A request is
answered after its mention is durable, never before.

Two kinds of writer: one queues the mentions for the drafter (bot/pipeline/inbox.py), the
API's default; the other drafts them before answering (`?wait=draft`), for callers that want the
draft's id in the answer.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import db
from bot.pipeline import inbox
from bot.pipeline.errors import CommunityUnavailable, UnknownChannel
from bot.pipeline.intake import Received, after_commit, receive
from bot.pipeline.set_aside import Unreadable, is_transient
from bot.registry import ContentRegistry
from responders import domain

log = logging.getLogger(__name__)
# Past a few dozen a bigger batch saves no commit time and only makes the first in it wait longer.
MAX_BATCH = 64
# How long a request waits for the writer before it gives up (the mention may still be stored:
# posting it again is safe, as intake is idempotent on platform and external id).
WAIT_SECONDS = 30.0
BUSY = "the mention was not stored in time; post it again (a repeat is stored once)"
# posts this recent mean more are coming: the drafter gives way (bot/pipeline/drafter.py)
BUSY_SECONDS = 0.2
# Refused before anything was written, so the rest of the batch stands.
_REFUSED_CLEANLY = (UnknownChannel, Unreadable, CommunityUnavailable)


class WriterBusy(Exception):
    """The writer did not store the mention in time; the caller may post it again."""


@dataclass
class _Ticket:
    """One request's mention, waiting for the writer's answer."""

    mention: domain.Mention
    now: datetime
    done: threading.Event = field(default_factory=threading.Event)
    result: Received | inbox.Queued | None = None
    error: Exception | None = None
    # for a caller on an event loop: called (in the writer's thread) once answered
    notify: Callable[[], None] | None = None

    def answer(self, result: Received | inbox.Queued | None = None, error: Exception | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()
        if self.notify is not None:
            self.notify()

    def outcome(self) -> Received | inbox.Queued:
        """The answer: what happened to the mention, or the error its intake raised."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def writers_for(engine: Engine) -> int:
    """How many writer threads pay off: SQLite lets one writer in at a time; PostgreSQL takes
    several transactions at once, and each writer mostly waits for the server's answers."""
    return 1 if engine.dialect.name == "sqlite" else 2


class GroupCommit:
    """Writer threads that take in the mentions of concurrent requests, a batch per commit."""

    def __init__(
        self,
        engine: Engine,
        registry: ContentRegistry,
        *,
        max_batch: int = MAX_BATCH,
        writers: int = 0,
        queued: Callable[[], None] | None = None,
    ) -> None:
        """queued: the writer queues mentions for the drafter and calls this after each commit
        (the drafter's wake-up); without it, the writer drafts before it answers."""
        self.engine, self.registry, self.max_batch = engine, registry, max_batch
        self.writers = writers or writers_for(engine)
        self.queued = queued
        self._last_write = float("-inf")  # time.monotonic() of the last batch written
        self._waiting: queue.SimpleQueue[_Ticket | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    def receive(
        self, mention: domain.Mention, *, now: datetime, wait: float = WAIT_SECONDS
    ) -> Received | inbox.Queued:
        """Store the mention (with its draft) and return what happened once it is committed.

        Raises what pipeline.receive raises for this mention (UnknownChannel, Unreadable, ...),
        or WriterBusy when it was not stored within `wait` seconds.
        """
        ticket = self._hand_in(_Ticket(mention, now))
        if not ticket.done.wait(wait):
            raise WriterBusy(BUSY)
        return ticket.outcome()

    async def receive_async(
        self, mention: domain.Mention, *, now: datetime, wait: float = WAIT_SECONDS
    ) -> Received | inbox.Queued:
        """receive, for a caller on an event loop: waits without holding a thread."""
        loop = asyncio.get_running_loop()
        answered = loop.create_future()

        def settle() -> None:
            if not answered.done():  # a request whose client went away was cancelled meanwhile
                answered.set_result(None)

        def wake() -> None:
            loop.call_soon_threadsafe(settle)

        ticket = self._hand_in(_Ticket(mention, now, notify=wake))
        try:
            await asyncio.wait_for(answered, wait)
        except TimeoutError:
            raise WriterBusy(BUSY) from None
        return ticket.outcome()

    def busy(self, within: float = BUSY_SECONDS) -> bool:
        """Whether mentions were posted within the last `within` seconds."""
        return time.monotonic() - self._last_write < within or not self._waiting.empty()

    def _hand_in(self, ticket: _Ticket) -> _Ticket:
        self._ensure_started()
        self._waiting.put(ticket)
        return ticket

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the mentions handed in so far, then stop the writers."""
        with self._start_lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._waiting.put(None)  # one stop sign each, after every mention handed in before
        for thread in threads:
            thread.join(timeout)

    def _ensure_started(self) -> None:
        if self._threads:
            return
        with self._start_lock:
            if not self._threads:
                self._threads = [
                    threading.Thread(target=self._run, name=f"group-commit-{n}", daemon=True)
                    for n in range(self.writers)
                ]
                for thread in self._threads:
                    thread.start()

    def _run(self) -> None:
        while True:
            first = self._waiting.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Ticket]) -> None:
        """Take in a batch in one transaction; if that fails, each on its own. Answers every ticket."""
        self._last_write = time.monotonic()
        if self.queued is not None:
            self._queue(batch, self.queued)
            return
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                answers = _together(session, self.registry, batch)
            except Exception:
                session.rollback()
                log.warning("a batch of mentions failed together; storing each on its own", exc_info=True)
                # each in a transaction of its own, follow-ups told by pipeline.receive itself
                answers = [_alone(session, self.registry, ticket) for ticket in batch]
            else:
                for ticket, (result, _) in zip(batch, answers, strict=True):
                    if result is not None:
                        after_commit(session, self.registry, result, now=ticket.now)
        for ticket, (result, error) in zip(batch, answers, strict=True):
            ticket.answer(result, error)

    def _queue(self, batch: list[_Ticket], queued: Callable[[], None]) -> None:
        """Queue a batch for the drafter in one transaction; if that fails, each on its own."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                answers = _queued_together(session, self.registry, batch)
            except Exception as exc:
                session.rollback()
                if is_transient(exc):  # database down or locked: the caller posts again (a 503)
                    log.warning("a batch of mentions could not be queued: %s", exc)
                    answers = [WriterBusy(BUSY) for _ in batch]
                else:
                    log.warning(
                        "a batch of mentions failed together; queueing each on its own", exc_info=True
                    )
                    answers = [_queued_alone(session, self.registry, ticket) for ticket in batch]
        queued()
        for ticket, answer in zip(batch, answers, strict=True):
            if isinstance(answer, Exception):
                ticket.answer(error=answer)
            else:
                ticket.answer(answer)


def _together(
    session: Session, registry: ContentRegistry, batch: list[_Ticket]
) -> list[tuple[Received | None, Exception | None]]:
    """Every mention of the batch in one transaction, committed once; raises when any write
    failed (a clash with another writer, a value the database refuses), rolling all back."""
    answers: list[tuple[Received | None, Exception | None]] = []
    with db.write_turn(session):
        for ticket in batch:
            try:
                answers.append(
                    (receive(session, ticket.mention, registry, now=ticket.now, commit=False), None)
                )
            except _REFUSED_CLEANLY as exc:
                answers.append((None, exc))
        session.commit()
    return answers


def _alone(
    session: Session, registry: ContentRegistry, ticket: _Ticket
) -> tuple[Received | None, Exception | None]:
    """One mention in a transaction of its own (pipeline.receive retries clashes itself)."""
    try:
        return receive(session, ticket.mention, registry, now=ticket.now), None
    except Exception as exc:
        session.rollback()
        if not isinstance(exc, _REFUSED_CLEANLY) and not is_transient(exc):
            log.exception("mention not stored", extra={"external_id": ticket.mention.external_id})
        return None, exc


def _queued_together(
    session: Session, registry: ContentRegistry, batch: list[_Ticket]
) -> list[inbox.Queued | Exception]:
    with db.write_turn(session):
        answers = inbox.queue(session, registry, [(t.mention, t.now) for t in batch])
        session.commit()
    return answers


def _queued_alone(session: Session, registry: ContentRegistry, ticket: _Ticket) -> inbox.Queued | Exception:
    try:
        [answer] = _queued_together(session, registry, [ticket])
    except Exception as exc:
        session.rollback()
        return exc
    return answer
