"""Small helpers the templates use to show times and deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


# where no community says otherwise (the audit log, users, sessions): the demo's and most users' zone
DEFAULT_ZONE = "Europe/Amsterdam"


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def known_zone(name: str) -> bool:
    """Whether the machine's time zone data has this zone ('Europe/Amsterdam')."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local(at: datetime | None, zone: str = "", now: datetime | None = None) -> str:
    """A time as people where it happens read it, with the zone: 'Sat 5 Dec 16:00 CET'; with
    `now`, days near it by name: 'today 16:00 CET', 'tomorrow 09:00 CET'."""
    if at is None:
        return ""
    tz = _zone(zone)
    shown = at.astimezone(tz)
    day = f"{shown:%a} {shown.day} {shown:%b}"
    if now is not None:
        offset = (shown.date() - now.astimezone(tz).date()).days
        day = {-1: "yesterday", 0: "today", 1: "tomorrow"}.get(offset, day)
    return f"{day} {shown:%H:%M} {shown.tzname()}"


def deadline(due_at: datetime, now: datetime, calendar: Guideline | None = None) -> tuple[str, str, str]:
    """A badge class, its text and the moment in the community's zone, for a response deadline on
    track, at risk or breached: ("on-track", "due in 2h 5m", "today 16:00 CET").

    At risk means less than one working hour is left: on a Friday evening a deadline on Monday
    morning is at risk although days of clock time remain (business hours of the community).
    """
    left = due_at - now
    moment = local(due_at, calendar.timezone if calendar else "", now)
    if left <= timedelta(0):
        return "breached", f"breached {humanize(left)} ago", moment
    hour_from_now = (
        add_business_time(
            now, timedelta(hours=1), timezone=calendar.timezone, hours=calendar.business_hours,
            holidays=calendar.holidays,
        )
        if calendar
        else now + timedelta(hours=1)
    )  # fmt: skip
    if due_at <= hour_from_now:
        return "at-risk", f"due in {humanize(left)}", moment
    return "on-track", f"due in {humanize(left)}", moment


# platforms by a short label in the dense queue list; the channel shows on hover
PLATFORM_LABELS = {
    "telegram": "Telegram",
    "reddit": "Reddit",
    "rss": "RSS",
    "webhook": "Webhook",
    "console": "Console",
}


def gist(text: str) -> str:
    """The line of a draft that says what it answers: the first after the greeting ("Hoi Anna,")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if not line.endswith(","):
            return line
    return lines[0] if lines else ""
