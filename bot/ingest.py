"""Ingest mentions from a JSONL file: one mention object per line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot import pipeline
from bot.clock import Clock
from bot.pipeline.set_aside import Unreadable, is_transient, reason_for, set_aside
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from responders import domain

# mentions per commit: past a few hundred a batch saves no more time and holds the write lock longer
BATCH = 200


@dataclass
class IngestSummary:
    """Counts of what happened to the lines of a file, with the reason each line was set aside."""

    accepted: int = 0
    duplicate: int = 0
    # (line number, reason): lines that cannot be taken in, kept in the set_aside table
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
    except RecursionError as exc:
        raise ValueError("nested too deeply to read: a mention is a flat JSON object") from exc
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
    source: str = "jsonl",
) -> IngestSummary:
    """Receive each line as a mention at the clock's time; a line that cannot be taken in is set
    aside with its reason (as "<source> line <n>") and the lines after it flow.

    Mentions are committed in batches: a commit costs as much as drafting a reply. The file is
    the source of truth until then, and ingesting it again skips what was stored. A passing
    failure (database down or locked) is raised: nothing is set aside for it.
    """
    summary = IngestSummary()
    pending = _Batch(session, registry, summary, source)
    for number, raw in enumerate(lines, start=1):
        on_line()
        if not raw.strip():
            continue
        line = _Line(number, raw)
        try:
            item = parse_line(raw)
            now = clock.now()
            mention = (shift(item) if shift else item).to_mention(now)
        except ValueError as exc:
            pending.set_aside(line, exc, clock.now())
            continue
        pending.receive(line, mention, now)
        if len(pending) >= batch:
            pending.commit()
    pending.commit()
    return summary


@dataclass(frozen=True)
class _Line:
    """A line of the file, kept with its mention until the batch commits, to set it aside if need be."""

    number: int
    raw: str | bytes

    @property
    def text(self) -> str:
        """The line as written; bytes that are not UTF-8 shown as \\xNN."""
        raw = self.raw.decode("utf-8", "backslashreplace") if isinstance(self.raw, bytes) else self.raw
        return raw.rstrip("\r\n")


class _Batch:
    """Mentions received in the open transaction, counted once it commits."""

    def __init__(
        self, session: Session, registry: ContentRegistry, summary: IngestSummary, source: str
    ) -> None:
        self.session, self.registry, self.summary, self.source = session, registry, summary, source
        self.received: list[tuple[_Line, domain.Mention, pipeline.Received, datetime]] = []
        # set aside once the batch commits: set_aside commits, and must not commit half a batch
        self.aside: list[tuple[_Line, Exception, datetime]] = []

    def __len__(self) -> int:
        return len(self.received)

    def receive(self, line: _Line, mention: domain.Mention, now: datetime) -> None:
        """Add a mention to the batch (the same mention twice is a duplicate, as across batches)."""
        try:
            result = pipeline.receive(self.session, mention, self.registry, now=now, commit=False)
        except (pipeline.UnknownChannel, Unreadable) as exc:  # refused before anything was written
            self.aside.append((line, exc, now))
            return
        except Exception as exc:
            if is_transient(exc) and not isinstance(exc, OperationalError):
                raise
            self._redo_one_by_one((line, mention, now))
            return
        self.received.append((line, mention, result, now))

    def set_aside(self, line: _Line, exc: Exception, now: datetime) -> None:
        """Keep a line that cannot be taken in, once the mentions before it are committed."""
        self.aside.append((line, exc, now))

    def commit(self) -> None:
        """Commit the batch, count it, and let follow-ups hear of the messages that touch them."""
        try:
            self.session.commit()
        except Exception as exc:
            if is_transient(exc) and not isinstance(exc, OperationalError):
                raise
            self._redo_one_by_one(None)
        for _, _, result, now in self.received:
            self._count(result)
            pipeline.after_commit(self.session, self.registry, result, now=now)
        self.received.clear()
        for line, error, now in self.aside:
            self._keep(line, error, now)
        self.aside.clear()

    def _redo_one_by_one(self, failed: tuple[_Line, domain.Mention, datetime] | None) -> None:
        # Another writer stored a customer, thread or mention of this batch meanwhile, PostgreSQL
        # broke a deadlock between two overlapping batches, or one mention holds what the database
        # refuses. The batch is rolled back: receive its mentions again one by one (idempotent,
        # each in a short transaction of its own). One that fails alone too is set aside, unless
        # the failure is passing (database down), which stops the run: a re-run picks up again.
        self.session.rollback()
        again = [(line, m, t) for line, m, _, t in self.received] + ([failed] if failed else [])
        self.received.clear()
        for line, mention, when in again:
            try:
                self._count(pipeline.receive(self.session, mention, self.registry, now=when))
            except Exception as exc:
                self.session.rollback()
                if is_transient(exc):
                    raise
                self.aside.append((line, exc, when))

    def _keep(self, line: _Line, exc: Exception, now: datetime) -> None:
        reason = reason_for(exc)
        self.summary.rejected.append((line.number, reason))
        source = f"{self.source} line {line.number}"
        set_aside(self.session, platform="ingest", source=source, payload=line.text, reason=reason, now=now)

    def _count(self, result: pipeline.Received) -> None:
        if result.duplicate:
            self.summary.duplicate += 1
        else:
            self.summary.accepted += 1
