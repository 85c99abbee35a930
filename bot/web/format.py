"""Small helpers the templates use to show times and deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta

from responders.domain import Guideline
from responders.hours import add_business_time


def humanize(delta: timedelta) -> str:
    """'2h 5m', '3d 4h', '45m'."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def deadline(due_at: datetime, now: datetime, calendar: Guideline | None = None) -> tuple[str, str]:
    """A badge class and text for a response deadline: on track, at risk or breached.

    At risk means less than one working hour is left: on a Friday evening a deadline on Monday
    morning is at risk although days of clock time remain (business hours of the community).
    """
    left = due_at - now
    if left <= timedelta(0):
        return "breached", f"breached {humanize(left)} ago"
    hour_from_now = (
        add_business_time(
            now, timedelta(hours=1), timezone=calendar.timezone, hours=calendar.business_hours,
            holidays=calendar.holidays,
        )
        if calendar
        else now + timedelta(hours=1)
    )  # fmt: skip
    if due_at <= hour_from_now:
        return "at-risk", f"due in {humanize(left)}"
    return "on-track", f"due in {humanize(left)}"
