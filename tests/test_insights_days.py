"""Insights count days as the community lives them: a mention at 00:30 in Amsterdam is that day's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.clock import Clock, FixedClock
from bot.insights import compute
from bot.services import Services
from tests.conftest import API_TOKEN, add_user
from tests.factories import mention_json
from tests.test_web import sign_in

NOON = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    """Saturday 5 December 2026 at 13:00 in Amsterdam, whatever day the suite runs on."""
    return FixedClock(NOON)


def _post(client: TestClient, external_id: str, at: datetime) -> None:
    body = mention_json(external_id, created_at=at, author_id=external_id)
    response = client.post(
        "/api/v1/mentions?wait=draft", json=body, headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert response.status_code == 202, response.text


def test_mentions_count_on_the_communitys_own_day(client: TestClient, services: Services) -> None:
    _post(client, "half-past-midnight", datetime(2026, 12, 4, 23, 30, tzinfo=UTC))  # 5 Dec 00:30 CET
    _post(client, "late-evening", datetime(2026, 12, 4, 22, 30, tzinfo=UTC))  # 4 Dec 23:30 CET
    _post(client, "first-day", datetime(2026, 11, 28, 23, 30, tzinfo=UTC))  # 29 Nov 00:30 CET
    _post(client, "before-the-week", datetime(2026, 11, 28, 22, 30, tzinfo=UTC))  # 28 Nov 23:30 CET
    with Session(services.engine) as session:
        amsterdam = compute(session, community="testshop", now=NOON, days=7, zone="Europe/Amsterdam")
        utc = compute(session, community="testshop", now=NOON, days=7, zone="UTC")
    assert amsterdam.days[0] == date(2026, 11, 29) and amsterdam.days[-1] == date(2026, 12, 5)
    assert amsterdam.volume == [1, 0, 0, 0, 0, 1, 1]  # 29 Nov .. 5 Dec
    # by UTC days both on the 4th count there, and the first day's half-past-midnight falls out
    assert utc.volume == [0, 0, 0, 0, 0, 2, 0]


def test_the_insights_page_ends_on_the_communitys_today(client: TestClient, services: Services) -> None:
    add_user(services)
    _post(client, "half-past-midnight", datetime(2026, 12, 4, 23, 30, tzinfo=UTC))
    sign_in(client)
    page = client.get("/insights", params={"community": "testshop", "days": 7}).text
    titles = re.findall(r"<rect class=\"bar\"[^>]*><title>([^<]+)</title>", page)
    assert titles[-2:] == ["2026-12-04: 0", "2026-12-05: 1"]
