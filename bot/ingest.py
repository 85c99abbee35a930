"""Ingest mentions from a JSONL file: one mention object per line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from bot import pipeline
from bot.clock import Clock
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from responders import domain

# mentions per commit: past a few hundred a batch saves no more time and holds the write lock longer
BATCH = 200


@dataclass
class IngestSummary:
    """Counts of what happened to the lines of a file, with the reason for each rejection."""

    accepted: int = 0
    duplicate: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "line"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def parse_line(line: str | bytes) -> MentionIn:
    """Validate one JSONL line (text, or UTF-8 bytes as read from a file); raises ValueError with a
    readable reason."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at column {exc.start + 1})") from exc
    try:
        return MentionIn.model_validate(data)
    except ValidationError as exc:
        raise ValueError(_reason(exc)) from exc


def ingest_lines(
    session: Session,
    lines: Iterable[str | bytes],
    registry: ContentRegistry,
    *,
    clock: Clock,
    shift: Callable[[MentionIn], MentionIn] | None = None,
    on_line: Callable[[], None] = lambda: None,
    batch: int = BATCH,
) -> IngestSummary:
    """Receive each line as a mention at the clock's time; bad lines are counted with their reason.

    Mentions are committed in batches: a commit costs as much as drafting a reply. The file is
    the source of truth until then, and ingesting it again skips what was stored.
    """
    summary = IngestSummary()
    pending = _Batch(session, registry, summary)
    for number, raw in enumerate(lines, start=1):
        on_line()
        if not raw.strip():
            continue
        try:
            item = parse_line(raw)
            now = clock.now()
            pending.receive((shift(item) if shift else item).to_mention(now), now)
        except (ValueError, pipeline.UnknownChannel) as exc:
            summary.rejected.append((number, str(exc)))
            continue
        if len(pending) >= batch:
            pending.commit()
    pending.commit()
    return summary


class _Batch:
    """Mentions received in the open transaction, counted once it commits."""

    def __init__(self, session: Session, registry: ContentRegistry, summary: IngestSummary) -> None:
        self.session, self.registry, self.summary = session, registry, summary
        self.received: list[tuple[domain.Mention, pipeline.Received, datetime]] = []

    def __len__(self) -> int:
        return len(self.received)

    def receive(self, mention: domain.Mention, now: datetime) -> None:
        """Add a mention to the batch (the same mention twice is a duplicate, as across batches)."""
        try:
            result = pipeline.receive(self.session, mention, self.registry, now=now, commit=False)
        except (IntegrityError, OperationalError):
            self._redo_one_by_one(mention, now)
            return
        self.received.append((mention, result, now))

    def commit(self) -> None:
        """Commit the batch, count it, and let follow-ups hear of the messages that touch them."""
        self.session.commit()
        for _, result, now in self.received:
            self._count(result)
            pipeline.after_commit(self.session, self.registry, result, now=now)
        self.received.clear()

    def _redo_one_by_one(self, failed: domain.Mention, now: datetime) -> None:
        # Another writer stored a customer, thread or mention of this batch meanwhile, or
        # PostgreSQL broke a deadlock between two overlapping batches. The batch is rolled back:
        # receive its mentions again one by one (idempotent, each in a short transaction of its
        # own) and count what that finds. Should a single mention fail too, the error is real.
        self.session.rollback()
        again = [(m, t) for m, _, t in self.received] + [(failed, now)]
        self.received.clear()
        for mention, when in again:
            self._count(pipeline.receive(self.session, mention, self.registry, now=when))

    def _count(self, result: pipeline.Received) -> None:
        if result.duplicate:
            self.summary.duplicate += 1
        else:
            self.summary.accepted += 1
