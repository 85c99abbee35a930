"""What a customer writes takes effect at once: complaints end follow-ups, answers are recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot import pipeline
from bot.clock import FixedClock
from bot.models import Customer, Job
from bot.registry import ContentRegistry
from tests.factories import mention_json
from tests.jobs_support import T0, RecordingSender, deliver, policy_registry, run_jobs
from tests.test_jobs_followups import follow_up_drafts, order


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The test community with a thank-you, tips after 3 days and a satisfaction check after 14."""
    return policy_registry(tmp_path)


@pytest.fixture
def clock() -> FixedClock:
    """The app's clock: at T0 until a test moves it."""
    return FixedClock(T0)


def post_mention(
    api: TestClient, clock: FixedClock, external_id: str, text: str, at: datetime | None = None, **fields: str
) -> None:
    """A customer message written and posted through the API at `at` (the app's clock moves there)."""
    if at is not None:
        clock.set(at)
    body = mention_json(external_id, text, created_at=clock.now(), **fields)
    response = api.post("/api/v1/mentions?wait=draft", json=body)
    assert response.status_code == 202, response.text


def test_a_complaint_posted_through_the_api_cancels_the_rest_of_the_plan_at_once(
    api: TestClient, session: Session, registry: ContentRegistry, clock: FixedClock
) -> None:
    assert api.post("/api/v1/orders", json=order()).status_code == 201
    run_jobs(session, registry, RecordingSender(), T0 + timedelta(minutes=1))  # the thank-you is drafted
    post_mention(api, clock, "m-c", "Klacht: de doos was kapot aangekomen", at=T0 + timedelta(days=1))
    # no sweep, no job round: the API answer already shows the plan ended
    plan = api.get("/api/v1/orders/A-1001").json()
    assert plan["follow_ups_cancelled"] is True
    assert [(f["step"], f["status"]) for f in plan["follow_ups"]] == [
        ("thanks", "done"),
        ("tips", "cancelled"),
        ("satisfaction", "cancelled"),
    ]
    # the thank-you waiting for approval is gone from the queue and will not go out
    expired = api.get("/api/v1/drafts", params={"status": "expired"}).json()
    assert [(d["kind"], d["mention"]) for d in expired] == [("follow_up", None)]
    pending = api.get("/api/v1/drafts", params={"status": "pending"}).json()
    assert [(d["kind"], d["mention"]["external_id"]) for d in pending] == [("acknowledgement", "m-c")]


def test_a_question_before_the_purchase_does_not_cancel_anything(
    api: TestClient, session: Session, clock: FixedClock
) -> None:
    post_mention(api, clock, "m-old", "Klacht: vorige keer was de doos kapot", at=T0 - timedelta(days=2))
    clock.set(T0)
    assert api.post("/api/v1/orders", json=order()).status_code == 201
    post_mention(api, clock, "m-q", "Hoe lang duurt de bezorging?", at=T0 + timedelta(hours=1))
    plan = api.get("/api/v1/orders/A-1001").json()
    assert plan["follow_ups_cancelled"] is False
    assert {f["status"] for f in plan["follow_ups"]} == {"pending"}
    assert {j.status for j in session.exec(select(Job))} == {"pending"}


def test_the_satisfaction_answer_is_recorded_as_it_arrives(
    api: TestClient, session: Session, registry: ContentRegistry, clock: FixedClock
) -> None:
    assert api.post("/api/v1/orders", json=order()).status_code == 201
    sender = RecordingSender()
    run_jobs(session, registry, sender, T0 + timedelta(days=14, minutes=1))
    satisfaction = follow_up_drafts(session)[-1]
    asked = T0 + timedelta(days=14, minutes=2)
    pipeline.approve(session, satisfaction.id or 0, actor="user:a", role="agent", now=asked)
    deliver(session, registry, sender, asked)
    assert api.get("/api/v1/orders/A-1001").json()["satisfaction"] == ""
    post_mention(api, clock, "m-ans", "Heerlijke wijn, echt een aanrader!", at=asked + timedelta(hours=1))
    answer = api.get("/api/v1/orders/A-1001").json()
    assert answer["satisfaction"] == "positive"
    assert answer["follow_ups_cancelled"] is False


def test_an_opt_out_is_noted_as_it_arrives(api: TestClient, session: Session, clock: FixedClock) -> None:
    post_mention(api, clock, "m-stop", "Graag geen berichten meer van jullie")
    customer = session.exec(select(Customer).where(Customer.platform_user_id == "u-1")).one()
    assert customer.opted_out_at is not None


def test_follow_up_drafts_are_listed_and_approved_through_the_api(
    api: TestClient, session: Session, registry: ContentRegistry, clock: FixedClock
) -> None:
    assert api.post("/api/v1/orders", json=order()).status_code == 201
    run_jobs(session, registry, RecordingSender(), T0 + timedelta(minutes=1))
    question = "Hoe lang duurt de bezorging van mijn bestelling?"
    post_mention(api, clock, "m-q", question, at=T0 + timedelta(minutes=2), author_id="u-2")
    drafts = {d["kind"]: d for d in api.get("/api/v1/drafts").json()}
    assert set(drafts) == {"follow_up", "reply"}
    assert drafts["follow_up"]["mention"] is None
    assert drafts["follow_up"]["text"].startswith("Hallo Anna,\n\nBedankt voor je bestelling!\n\n")
    assert drafts["reply"]["mention"]["external_id"] == "m-q"
    approved = api.post(f"/api/v1/drafts/{drafts['follow_up']['id']}/approve", json={})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["mention"]) == ("approved", None)
