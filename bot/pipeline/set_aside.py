"""Messages that cannot be taken in: told apart from passing trouble, kept with their reason."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy.exc import (
    DataError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, col, select

from bot.adapters.base import AdapterError
from bot.models import SetAside, column_length
from bot.pipeline.errors import PipelineError

# a Telegram update or a JSONL line is a few kilobytes; past this the rest is counted, not kept
PAYLOAD_LIMIT = 64_000
# PostgreSQL stores no U+0000; no encoder takes half a surrogate pair
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Unreadable(ValueError):
    """A message that can never be taken in as it is: retrying gives the same answer."""


def is_transient(exc: BaseException) -> bool:
    """Whether waiting may help: the database is down, locked, busy or not migrated yet, or the
    platform is unreachable. Anything else a message raises, it raises every time: poison."""
    if isinstance(exc, AdapterError):
        return exc.retryable
    # OperationalError: locked, connection lost, too many clients, SQLite's "no such table";
    # ProgrammingError: PostgreSQL's missing table or column, which `webcare migrate` mends
    passing = (OperationalError, InterfaceError, ProgrammingError, DisconnectionError, PoolTimeout)
    if isinstance(exc, (*passing, ConnectionError, TimeoutError, MemoryError)):
        return True
    return bool(getattr(exc, "connection_invalidated", False))


def reason_for(exc: BaseException) -> str:
    """Why a message could not be taken in, in words an admin can act on."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if isinstance(exc, DataError | IntegrityError):
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return f"the database refused it: {first}"
    if isinstance(exc, ValueError | PipelineError) and str(exc):
        return str(exc)
    return f"it could not be read ({type(exc).__name__}: {exc})"


def storable(text: str) -> str:
    """The text with U+0000 and lone surrogates written out as escapes, so every database holds it."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def set_aside(
    session: Session,
    *,
    platform: str,
    source: str,
    payload: str,
    reason: str,
    now: datetime,
    commit: bool = True,
) -> bool:
    """Keep a message that cannot be taken in (once per source and content); False if kept before.

    Commits: the caller rolls its failed transaction back first and moves on past the message.
    With commit=False it joins the caller's open transaction (a batch), which commits it.
    """
    digest = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
    source = storable(source)[: column_length(SetAside, "source")]
    known = select(SetAside.id).where(SetAside.source == source, col(SetAside.digest) == digest)
    if session.exec(known).first() is not None:
        return False
    kept = storable(payload[:PAYLOAD_LIMIT])
    if len(payload) > PAYLOAD_LIMIT:
        kept += f"\n… and {len(payload) - PAYLOAD_LIMIT} characters more"
    limit = column_length(SetAside, "reason")
    row = SetAside(
        platform=platform, source=source, payload=kept, digest=digest, reason=storable(reason)[:limit], at=now
    )
    session.add(row)
    if not commit:
        session.flush()  # a second copy in the same batch finds this one
        return True
    try:
        session.commit()
    except IntegrityError:  # another process kept the same message a moment ago
        session.rollback()
        return False
    return True
