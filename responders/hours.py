"""Business hours, holidays, quiet hours and time zones: deadlines as pure functions of values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from responders.domain import WEEKDAYS, BusinessHours, QuietHours

# A deadline search never walks further than this; a calendar with no working day at all is a bug.
_MAX_DAYS = 400


def _working_day(day: date, hours: BusinessHours, holidays: tuple[date, ...]) -> bool:
    return WEEKDAYS[day.weekday()] in hours.days and day not in holidays


def _window(day: date, hours: BusinessHours, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
    return start, end


def add_business_time(
    start: datetime,
    duration: timedelta,
    *,
    timezone: str,
    hours: BusinessHours | None,
    holidays: tuple[date, ...] = (),
) -> datetime:
    """The moment `duration` of working time has passed after `start` (UTC in, UTC out).

    Without business hours the clock runs around the clock; holidays then do not pause it either.
    """
    if hours is None:
        return start + duration
    zone = ZoneInfo(timezone)
    left = duration
    day = start.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if _working_day(day, hours, holidays):
            open_at, close_at = _window(day, hours, zone)
            begin = max(open_at, start)
            if begin < close_at:
                if begin + left <= close_at:
                    return begin + left
                left -= close_at - begin
        day += timedelta(days=1)
    raise ValueError("business hours leave no working time within a year")


def is_quiet(at: datetime, *, timezone: str, quiet: QuietHours) -> bool:
    """Whether a local time falls in quiet hours (which may wrap midnight)."""
    local = at.astimezone(ZoneInfo(timezone)).time()
    if quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def after_quiet_hours(at: datetime, *, timezone: str, quiet: QuietHours) -> datetime:
    """`at` itself when it is not in quiet hours, else the moment quiet hours end (UTC)."""
    if not is_quiet(at, timezone=timezone, quiet=quiet):
        return at
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    end_day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        end_day += timedelta(days=1)
    return datetime.combine(end_day, quiet.end, tzinfo=zone).astimezone(UTC)


def local_time(at: datetime, timezone: str) -> time:
    """The wall-clock time in a zone, for messages and tests."""
    return at.astimezone(ZoneInfo(timezone)).time()
