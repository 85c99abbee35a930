"""Small helpers the templates use to show times and deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta


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


def deadline(due_at: datetime, now: datetime) -> tuple[str, str]:
    """A badge class and text for a response deadline: on track, at risk (< 1h) or breached."""
    left = due_at - now
    if left <= timedelta(0):
        return "breached", f"breached {humanize(left)} ago"
    if left <= timedelta(hours=1):
        return "at-risk", f"due in {humanize(left)}"
    return "on-track", f"due in {humanize(left)}"
