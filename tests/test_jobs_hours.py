"""Business hours, holidays, time zones and quiet hours: the deadlines a webcare team expects."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from responders.domain import BusinessHours, FollowUps, QuietHours, Reminders
from responders.hours import add_business_time, after_quiet_hours, is_quiet
from responders.nudges import NudgeFacts, cancels_follow_ups, is_opt_out, nudge_blocker

AMS = "Europe/Amsterdam"
OFFICE = BusinessHours(days=("mon", "tue", "wed", "thu", "fri"), start=time(9), end=time(17))


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_without_business_hours_the_clock_runs_around_the_clock() -> None:
    assert add_business_time(utc(2026, 11, 20, 22), timedelta(hours=4), timezone=AMS, hours=None) == utc(
        2026, 11, 21, 2
    )


def test_a_friday_evening_message_is_due_monday_morning() -> None:
    # Friday 20 Nov 2026 18:00 Amsterdam (17:00 UTC): office closed, 4 working hours -> Monday 13:00 local
    due = add_business_time(utc(2026, 11, 20, 17), timedelta(hours=4), timezone=AMS, hours=OFFICE)
    assert due == utc(2026, 11, 23, 12)


def test_working_time_left_today_carries_over_to_the_next_day() -> None:
    # Thursday 15:00 local (14:00 UTC) + 4h: 2 h today, 2 h Friday from 09:00 -> Friday 11:00 local
    due = add_business_time(utc(2026, 11, 19, 14), timedelta(hours=4), timezone=AMS, hours=OFFICE)
    assert due == utc(2026, 11, 20, 10)


def test_holidays_are_skipped() -> None:
    christmas = (date(2026, 12, 25),)
    # Thursday 24 Dec 16:00 local + 2 h: 1 h on the 24th, Friday the 25th is a holiday -> Monday 28th 10:00
    due = add_business_time(
        utc(2026, 12, 24, 15), timedelta(hours=2), timezone=AMS, hours=OFFICE, holidays=christmas
    )
    assert due == utc(2026, 12, 28, 9)


def test_daylight_saving_time_is_respected() -> None:
    # 30 March 2026 (summer time, UTC+2): 09:00 local is 07:00 UTC
    due = add_business_time(utc(2026, 3, 30, 5), timedelta(hours=1), timezone=AMS, hours=OFFICE)
    assert due == utc(2026, 3, 30, 8)


def test_a_calendar_without_working_days_is_an_error() -> None:
    every_day = tuple(date(2026, 1, 1) + timedelta(days=i) for i in range(800))
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(utc(2026, 1, 1), timedelta(hours=1), timezone=AMS, hours=OFFICE, holidays=every_day)


def test_quiet_hours_wrap_midnight_in_local_time() -> None:
    quiet = QuietHours(start=time(21), end=time(9))
    assert is_quiet(utc(2026, 11, 20, 21), timezone=AMS, quiet=quiet)  # 22:00 local
    assert is_quiet(utc(2026, 11, 20, 7), timezone=AMS, quiet=quiet)  # 08:00 local
    assert not is_quiet(utc(2026, 11, 20, 12), timezone=AMS, quiet=quiet)
    # 22:00 local on Friday -> 09:00 local Saturday
    assert after_quiet_hours(utc(2026, 11, 20, 21), timezone=AMS, quiet=quiet) == utc(2026, 11, 21, 8)
    # 02:00 local -> 09:00 the same day
    assert after_quiet_hours(utc(2026, 11, 20, 1), timezone=AMS, quiet=quiet) == utc(2026, 11, 20, 8)
    noon = utc(2026, 11, 20, 12)
    assert after_quiet_hours(noon, timezone=AMS, quiet=quiet) == noon


def _facts(**changes: object) -> NudgeFacts:
    base: dict[str, object] = {
        "asked_at": utc(2026, 11, 20, 10),
        "last_customer_message_at": utc(2026, 11, 20, 9),
        "opted_out": False,
        "nudges_sent": 0,
        "platform_allows": True,
    }
    base.update(changes)
    return NudgeFacts(**base)  # type: ignore[arg-type]


def test_one_nudge_only_while_it_is_welcome() -> None:
    policy = Reminders(enabled=True, max_nudges=1)
    assert nudge_blocker(_facts(), policy) is None
    assert nudge_blocker(_facts(opted_out=True), policy) == "customer opted out"
    assert nudge_blocker(_facts(last_customer_message_at=utc(2026, 11, 20, 11)), policy) == "customer replied"
    assert "maximum is 1" in (nudge_blocker(_facts(nudges_sent=1), policy) or "")
    assert "platform" in (nudge_blocker(_facts(platform_allows=False), policy) or "")
    assert "off" in (nudge_blocker(_facts(), Reminders(enabled=False)) or "")


def test_opt_out_words_match_whole_words_and_phrases() -> None:
    words = ("stop", "geen berichten meer")
    assert is_opt_out("STOP", words)
    assert is_opt_out("Graag geen berichten meer, dank je", words)
    assert not is_opt_out("Niet stoppen met die goede service!", words)
    # what the opt-out line says, copied with its quotes
    assert is_opt_out("'stop'", words)


def test_a_refund_return_or_complaint_ends_the_follow_up_plan() -> None:
    policy = FollowUps()
    assert cancels_follow_ups("Ik wil deze fles retour sturen", frozenset(), policy)
    assert cancels_follow_ups("anything", frozenset({"complaint"}), policy)
    assert not cancels_follow_ups("Lekkere wijn, dank je!", frozenset({"praise"}), policy)
