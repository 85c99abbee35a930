"""Database engine and session helpers for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web server read while a worker writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_sqlite_writers: dict[str, threading.Lock] = {}
_sqlite_writers_guard = threading.Lock()


@contextmanager
def write_turn(session: Session) -> Iterator[None]:
    """On SQLite, one thread of this process writes at a time; elsewhere, no lock.

    SQLite lets one writer in and makes the others retry with growing sleeps, so under a burst
    of concurrent posts some waited over a second while others went first. Queueing the threads
    here serves them in turn, each taking a few milliseconds.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    url = str(bind.engine.url)
    with _sqlite_writers_guard:
        lock = _sqlite_writers.setdefault(url, threading.Lock())
    with lock:
        yield


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite, create the folder and switch on WAL and foreign keys."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
