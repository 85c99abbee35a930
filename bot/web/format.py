"""Small helpers the templates use to show times and deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from responders.domain import Guideline
from responders.hours import add_business_time

# words for times and deadlines in each language a person can choose for them (their account page)
TIME_WORDS: dict[str, dict[str, str]] = {
    "en": {"d": "d", "h": "h", "m": "m", "due": "due in {}", "late": "breached {} ago"},
    "nl": {"d": "d", "h": "u", "m": "min", "due": "over {}", "late": "{} te laat"},
}
RELATIVE_DAYS = {"en": ("yesterday", "today", "tomorrow"), "nl": ("gisteren", "vandaag", "morgen")}
WEEKDAYS = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "nl": ["ma", "di", "wo", "do", "vr", "za", "zo"],
}
MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
}
TIME_LANGUAGES = tuple(TIME_WORDS)
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands"}


def _language(language: str) -> str:
    return language if language in TIME_WORDS else "en"


def humanize(delta: timedelta, language: str = "en") -> str:
    """'2h 5m', '3d 4h', '45m'; in Dutch '2u 5min', '3d 4u', '45min'."""
    words = TIME_WORDS[_language(language)]
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}{words['d']} {hours}{words['h']}"
    if hours:
        return f"{hours}{words['h']} {mins}{words['m']}"
    return f"{mins}{words['m']}"


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


def local(at: datetime | None, zone: str = "", now: datetime | None = None, language: str = "en") -> str:
    """A time as people where it happens read it, with the zone: 'Sat 5 Dec 16:00 CET'; with
    `now`, days near it by name: 'today 16:00 CET', 'tomorrow 09:00 CET' ('vandaag' in Dutch)."""
    if at is None:
        return ""
    language = _language(language)
    tz = _zone(zone)
    shown = at.astimezone(tz)
    day = f"{WEEKDAYS[language][shown.weekday()]} {shown.day} {MONTHS[language][shown.month - 1]}"
    if now is not None:
        offset = (shown.date() - now.astimezone(tz).date()).days
        if -1 <= offset <= 1:
            day = RELATIVE_DAYS[language][offset + 1]
    return f"{day} {shown:%H:%M} {shown.tzname()}"


def deadline(
    due_at: datetime, now: datetime, calendar: Guideline | None = None, language: str = "en"
) -> tuple[str, str, str]:
    """A badge class, its text and the moment in the community's zone, for a response deadline on
    track, at risk or breached: ("on-track", "due in 2h 5m", "today 16:00 CET"); in Dutch
    ("on-track", "over 2u 5min", "vandaag 16:00 CET").

    At risk means less than one working hour is left: on a Friday evening a deadline on Monday
    morning is at risk although days of clock time remain (business hours of the community).
    """
    left = due_at - now
    words = TIME_WORDS[_language(language)]
    moment = local(due_at, calendar.timezone if calendar else "", now, language)
    if left <= timedelta(0):
        return "breached", words["late"].format(humanize(left, language)), moment
    hour_from_now = (
        add_business_time(
            now, timedelta(hours=1), timezone=calendar.timezone, hours=calendar.business_hours,
            holidays=calendar.holidays,
        )
        if calendar
        else now + timedelta(hours=1)
    )  # fmt: skip
    if due_at <= hour_from_now:
        return "at-risk", words["due"].format(humanize(left, language)), moment
    return "on-track", words["due"].format(humanize(left, language)), moment


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
