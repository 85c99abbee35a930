"""The one clock: every part of webcare asks it for the time, so a test can set the date.

`SystemClock` is the only place in bot/ and responders/ that reads the wall clock
(tests/test_layout.py holds that line).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Where the current time comes from."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is set or advanced: for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        """The time it was set to."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to `at`."""
        self._at = _aware(at)

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward by `by`; returns the new time."""
        self._at += by
        return self._at


def _aware(at: datetime) -> datetime:
    # the database layer refuses naive datetimes: refuse them here, where the mistake is made
    if at.tzinfo is None:
        raise ValueError("FixedClock needs a timezone-aware datetime")
    return at.astimezone(UTC)


def file_age_seconds(path: Path) -> float:
    """How long ago a file was last modified, in seconds of the machine's clock.

    A modification time is written by the operating system from the machine's clock, so its age is
    measured against that clock, never against an injected one that may stand still in a test.
    """
    return time.time() - path.stat().st_mtime
