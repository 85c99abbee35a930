"""Deadline badges (on track, at risk within one working hour, breached) and times in local time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.registry import ContentRegistry
from bot.web.format import deadline, gist, local
from responders.domain import BusinessHours


def test_badges_follow_the_clock_without_business_hours() -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert deadline(now + timedelta(hours=3), now) == ("on-track", "due in 3h 0m", "today 16:00 CET")
    assert deadline(now + timedelta(minutes=40), now) == ("at-risk", "due in 40m", "today 13:40 CET")
    assert deadline(now - timedelta(minutes=5), now) == ("breached", "breached 5m ago", "today 12:55 CET")


def test_a_monday_deadline_is_at_risk_on_friday_evening(registry: ContentRegistry) -> None:
    guideline = registry.snapshot.communities["testshop"].guideline.model_copy(
        update={
            "timezone": "Europe/Amsterdam",
            "business_hours": BusinessHours(
                days=("mon", "tue", "wed", "thu", "fri"), start=time(9), end=time(17)
            ),
        }
    )
    friday_evening = datetime(2026, 11, 20, 15, 45, tzinfo=UTC)  # 16:45 in Amsterdam
    monday_morning = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 09:30 in Amsterdam
    assert deadline(monday_morning, friday_evening, guideline)[0] == "at-risk"
    assert deadline(monday_morning, friday_evening)[0] == "on-track"  # by the clock, days are left
    assert deadline(monday_morning + timedelta(hours=2), friday_evening, guideline)[0] == "on-track"


def test_times_show_in_the_zone_asked_for_with_its_name_on_both_sides_of_daylight_saving() -> None:
    summer = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
    winter = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    assert local(summer, "Europe/Amsterdam") == "Wed 1 Jul 16:00 CEST"
    assert local(winter, "Europe/Amsterdam") == "Sat 5 Dec 15:00 CET"
    assert local(winter, "Europe/London") == "Sat 5 Dec 14:00 GMT"
    assert local(winter, "America/New_York") == "Sat 5 Dec 09:00 EST"
    assert local(winter) == "Sat 5 Dec 15:00 CET", "Europe/Amsterdam where nothing says otherwise"
    assert local(winter, "Not/AZone") == "Sat 5 Dec 15:00 CET"
    assert local(None) == ""


def test_days_near_now_are_named_in_the_zone_not_in_utc() -> None:
    now = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # Saturday in UTC, Sunday 00:30 in Amsterdam
    assert local(now + timedelta(hours=1), "Europe/Amsterdam", now) == "today 01:30 CET"
    assert local(now + timedelta(days=1), "Europe/Amsterdam", now) == "tomorrow 00:30 CET"
    assert local(now - timedelta(hours=23), "Europe/Amsterdam", now) == "yesterday 01:30 CET"
    assert local(now + timedelta(days=3), "Europe/Amsterdam", now) == "Wed 9 Dec 00:30 CET"


def test_the_gist_of_a_draft_is_the_line_after_the_greeting() -> None:
    assert gist("Hoi Anna,\n\nBestel je vóór 16:00, dan bezorgen we morgen.\n\nGroet,\nTeam") == (
        "Bestel je vóór 16:00, dan bezorgen we morgen."
    )
    assert gist("Thanks!") == "Thanks!" and gist("") == ""


def test_a_dutch_reader_sees_dates_and_deadlines_in_dutch() -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday, 13:00 in Amsterdam
    assert deadline(now + timedelta(hours=3), now, language="nl") == (
        "on-track",
        "over 3u 0min",
        "vandaag 16:00 CET",
    )
    assert deadline(now - timedelta(minutes=5), now, language="nl") == (
        "breached",
        "5min te laat",
        "vandaag 12:55 CET",
    )
    assert deadline(now + timedelta(days=1, hours=2), now, language="nl")[1:] == (
        "over 1d 2u",
        "morgen 15:00 CET",
    )
    assert local(now - timedelta(days=1), now=now, language="nl") == "gisteren 13:00 CET"
    assert local(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), language="nl") == "zo 1 mrt 10:00 CET"
    assert local(now, language="fr") == local(now), "a language without words falls back to English"
