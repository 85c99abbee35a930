"""Ingest mentions from a JSONL file: one mention object per line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import Session

from bot import pipeline
from bot.models import utcnow
from bot.registry import ContentRegistry
from bot.schemas import MentionIn


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


def parse_line(line: str) -> MentionIn:
    """Validate one JSONL line; raises ValueError with a readable reason."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    try:
        return MentionIn.model_validate(data)
    except ValidationError as exc:
        raise ValueError(_reason(exc)) from exc


def ingest_lines(
    session: Session,
    lines: Iterable[str],
    registry: ContentRegistry,
    *,
    now: Callable[[], datetime] = utcnow,
    shift: Callable[[MentionIn], MentionIn] | None = None,
    on_line: Callable[[], None] = lambda: None,
) -> IngestSummary:
    """Receive each line as a mention; bad lines are counted with their reason, never fatal."""
    summary = IngestSummary()
    for number, raw in enumerate(lines, start=1):
        on_line()
        if not raw.strip():
            continue
        try:
            item = parse_line(raw)
            result = pipeline.receive(
                session, (shift(item) if shift else item).to_mention(), registry, now=now()
            )
        except (ValueError, pipeline.UnknownChannel) as exc:
            summary.rejected.append((number, str(exc)))
            continue
        if result.duplicate:
            summary.duplicate += 1
        else:
            summary.accepted += 1
    return summary
