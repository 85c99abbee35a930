"""A promised answer time, written as people write it: "vandaag vóór 17:00", "on Monday before 10:00"."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
        "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ),
}  # fmt: skip
_WORDS = {
    "nl": {"today": "vandaag", "tomorrow": "morgen", "before": "vóór", "on": "op"},
    "en": {"today": "today", "tomorrow": "tomorrow", "before": "before", "on": "on"},
}


def _round_up_to_hour(at: datetime) -> datetime:
    """16:05 becomes 17:00: a promise is kept when the answer comes before it."""
    whole = at.replace(minute=0, second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(hours=1)


def _day(due: datetime, today: datetime, language: str) -> str:
    words = _WORDS[language]
    days = (due.date() - today.date()).days
    if days <= 0:
        return words["today"]
    if days == 1:
        return words["tomorrow"]
    if days < 7:
        weekday = _WEEKDAYS[language][due.weekday()]
        return weekday if language == "nl" else f"on {weekday}"
    return f"{words['on']} {due.day} {_MONTHS[language][due.month - 1]}"


def promise(due_at: datetime, *, now: datetime, timezone: str, language: str) -> str:
    """When a colleague will answer, in the community's local time; never a moment already past."""
    zone = ZoneInfo(timezone)
    language = language if language in _WORDS else "en"
    due = _round_up_to_hour(max(due_at, now).astimezone(zone))
    day = _day(due, now.astimezone(zone), language)
    return f"{day} {_WORDS[language]['before']} {due:%H:%M}"
