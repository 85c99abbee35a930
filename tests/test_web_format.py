"""Deadline badges: on track, at risk within one working hour, breached."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.registry import ContentRegistry
from bot.web.format import deadline
from responders.domain import BusinessHours


def test_badges_follow_the_clock_without_business_hours() -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert deadline(now + timedelta(hours=3), now) == ("on-track", "due in 3h 0m")
    assert deadline(now + timedelta(minutes=40), now) == ("at-risk", "due in 40m")
    assert deadline(now - timedelta(minutes=5), now) == ("breached", "breached 5m ago")


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
