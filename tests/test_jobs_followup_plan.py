"""The follow-up plan as a customer meets it: laid out like a reply, about what was bought, on time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bot import pipeline
from bot.clock import FixedClock
from bot.models import Draft, Job
from bot.pipeline import followups
from bot.registry import ContentRegistry
from tests.jobs_support import T0, RecordingSender, deliver, policy_registry, run_jobs

PROSECCO = {"sku": "p1", "name": "Prosecco Valdobbiadene", "quantity": 2, "category": "Sparkling"}
GIFT_CARD = {"sku": "gc", "name": "Cadeaubon", "price": 25}


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The test community: thanks at once (fits a day), tips by category after 3 days, a check after 14."""
    return policy_registry(tmp_path)


@pytest.fixture
def clock() -> FixedClock:
    """The app's clock: at T0, when the shop reports the order, unless a test says otherwise."""
    return FixedClock(T0)


def post_order(api: TestClient, order_id: str = "A-1", *items: dict[str, Any], customer: str = "u-1") -> Any:
    body = {
        "order_id": order_id,
        "customer": {"platform": "console", "id": customer, "handle": "anna_w", "name": "Anna de Wit"},
        "items": list(items) or [PROSECCO],
        "purchased_at": T0.isoformat(),
        "community": "testshop",
    }
    response = api.post("/api/v1/orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def follow_ups(session: Session) -> list[Draft]:
    return list(session.exec(select(Draft).where(Draft.kind == "follow_up").order_by(col(Draft.id))))


def test_a_prosecco_order_gets_the_sparkling_tip_laid_out_like_a_reply(
    api: TestClient, session: Session, registry: ContentRegistry
) -> None:
    plan = post_order(api)
    assert plan["items"][0]["category"] == "Sparkling" and plan["items"][0]["quantity"] == 2
    sender = RecordingSender()
    run_jobs(session, registry, sender, T0 + timedelta(minutes=1))
    run_jobs(session, registry, sender, T0 + timedelta(days=3, minutes=1))
    thanks, tip = follow_ups(session)
    assert thanks.text == (
        "Hoi Anna,\n\nBedankt voor je bestelling!\n\nGroet,\nTeam Testshop\n\n"
        "Liever geen berichten meer? Stuur 'stop'."
    )
    # the next message opens differently, and says what the tip was chosen for
    assert tip.text == (
        "Hallo Anna,\n\nTip: schenk je bubbels op 6-8 °C.\n\nGroet,\nTeam Testshop\n\n"
        "Liever geen berichten meer? Stuur 'stop'."
    )
    assert "the text for sparkling: Prosecco Valdobbiadene" in tip.reasons
    steps = api.get("/api/v1/orders/A-1").json()["follow_ups"]
    assert steps[1]["outcome"] == f"drafted follow-up tips (sparkling): draft {tip.id}"


def test_the_shop_says_which_language_the_customer_reads(
    api: TestClient, session: Session, registry: ContentRegistry
) -> None:
    body = {
        "order_id": "A-3",
        "customer": {"platform": "console", "id": "u-7", "name": "Tom Baker", "language": "en"},
        "items": [PROSECCO],
        "purchased_at": T0.isoformat(),
        "community": "testshop",
    }
    assert api.post("/api/v1/orders", json=body).status_code == 201
    run_jobs(session, registry, RecordingSender(), T0 + timedelta(minutes=1))
    [thanks] = follow_ups(session)
    assert (thanks.language, thanks.text) == (
        "en",
        "Hello Tom,\n\nThanks for your order!\n\nCheers,\nTeam Testshop\n\n"
        "Rather not get these messages? Just reply 'stop'.",
    )


def test_an_order_without_a_category_gets_no_tip_and_says_why(api: TestClient) -> None:
    plan = post_order(api, "A-2", GIFT_CARD)
    assert [(s["step"], s["status"]) for s in plan["follow_ups"]] == [
        ("thanks", "pending"),
        ("tips", "skipped"),
        ("satisfaction", "pending"),
    ]
    assert plan["follow_ups"][1]["outcome"] == (
        "nothing to say about what was bought (no item has a category or tags; "
        "this step has texts for sparkling, red)"
    )
    assert plan["items"][0]["price"] == 25  # what the shop sends besides is kept


def test_an_order_reported_five_days_late_skips_the_thanks_and_gets_the_tip_alone(
    api: TestClient, session: Session, registry: ContentRegistry, clock: FixedClock
) -> None:
    reported = clock.advance(timedelta(days=5))
    plan = post_order(api)
    assert [(s["step"], s["status"], s["due_at"][:16]) for s in plan["follow_ups"]] == [
        ("thanks", "skipped", "2026-11-24T10:00"),
        ("tips", "pending", "2026-11-29T10:00"),
        ("satisfaction", "pending", "2026-12-08T10:00"),
    ]
    assert plan["follow_ups"][0]["outcome"] == (
        "its moment has passed ('thanks' fits up to 24 hours after the purchase, it is now 5 days after it)"
    )
    report = run_jobs(session, registry, RecordingSender(), reported + timedelta(minutes=1))
    assert report.counts == {"done": 1}
    [tip] = follow_ups(session)
    assert "Tip: schenk je bubbels op 6-8 °C." in tip.text
    assert api.get("/api/v1/orders/A-1").json()["follow_ups"][0]["status"] == "skipped"


def test_a_customer_never_gets_two_follow_ups_in_one_day(
    api: TestClient, session: Session, registry: ContentRegistry, clock: FixedClock
) -> None:
    post_order(api, "A-1")
    sender = RecordingSender()
    run_jobs(session, registry, sender, T0 + timedelta(minutes=1))
    # a second order two days later: its thank-you goes out, so the first order's tip waits a day
    clock.set(T0 + timedelta(days=2, hours=23))
    body = {
        "order_id": "A-2",
        "customer": {"platform": "console", "id": "u-1", "name": "Anna de Wit"},
        "items": [PROSECCO],
        "purchased_at": clock.now().isoformat(),
        "community": "testshop",
    }
    assert api.post("/api/v1/orders", json=body).status_code == 201
    run_jobs(session, registry, sender, clock.now() + timedelta(minutes=1))
    report = run_jobs(session, registry, sender, T0 + timedelta(days=3, minutes=1))
    assert report.counts == {"pending": 1}
    tip = session.exec(select(Job).where(Job.dedupe_key == "order:A-1:tips")).one()
    assert tip.outcome == "postponed: at most one follow-up per 24 hours"
    assert tip.due_at == T0 + timedelta(days=3, hours=23, minutes=1)
    run_jobs(session, registry, sender, tip.due_at)
    assert [d.reasons[-1] for d in follow_ups(session)][
        -1
    ] == "the text for sparkling: Prosecco Valdobbiadene"


def test_a_thank_you_whose_moment_passed_in_review_is_not_sent(
    api: TestClient, session: Session, registry: ContentRegistry
) -> None:
    post_order(api)
    sender = RecordingSender()
    run_jobs(session, registry, sender, T0 + timedelta(minutes=1))
    [thanks] = follow_ups(session)
    # nobody approved it in time: the watch takes it out of the queue, saying why
    followups.sweep(session, registry, now=T0 + timedelta(days=1, hours=1))
    session.refresh(thanks)
    assert thanks.status == "expired"
    assert thanks.reasons[-1].startswith("its moment has passed ('thanks' fits up to 24 hours")


def test_an_approved_thank_you_that_could_not_go_out_in_time_is_cancelled(
    api: TestClient, session: Session, registry: ContentRegistry
) -> None:
    post_order(api)
    sender = RecordingSender()
    run_jobs(session, registry, sender, T0 + timedelta(minutes=1))
    [thanks] = follow_ups(session)
    pipeline.approve(session, thanks.id or 0, actor="user:a", role="agent", now=T0 + timedelta(hours=23))
    # the platform was down until the next day
    deliver(session, registry, sender, T0 + timedelta(days=1, hours=1))
    session.refresh(thanks)
    assert (thanks.status, sender.sent) == ("expired", [])
