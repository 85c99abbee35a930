"""Post-purchase follow-ups: POST /api/v1/orders, a plan of job rows, cancelled by a complaint."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, col, select

from bot import pipeline
from bot.clock import FixedClock
from bot.models import CustomerOrder, Draft, Job
from bot.pipeline import followups
from bot.registry import ContentRegistry
from bot.services import Services
from tests.jobs_support import T0, RecordingSender, deliver, policy_registry, receive, run_jobs

SECRET = "shop-secret-0123"


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The test community with a thank-you, tips after 3 days and a satisfaction check after 14."""
    return policy_registry(tmp_path)


@pytest.fixture
def clock() -> FixedClock:
    """The app's clock: at T0, when the orders of this module are placed."""
    return FixedClock(T0)


def order(order_id: str = "A-1001", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer": {"platform": "console", "id": "u-1", "handle": "anna_w", "name": "Anna de Wit"},
        "items": [{"sku": "w1", "name": "Rioja Reserva", "category": "red"}],
        "purchased_at": T0.isoformat(),
        "community": "testshop",
    }
    body.update(changes)
    return body


def signed(body: bytes, at: datetime, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Webcare-Timestamp": stamp, "X-Webcare-Signature": f"sha256={digest}"}


def test_an_order_becomes_a_follow_up_plan_once(api: TestClient) -> None:
    first = api.post("/api/v1/orders", json=order())
    assert first.status_code == 201, first.text
    plan = first.json()
    assert plan["created"] is True
    assert [(f["step"], f["status"]) for f in plan["follow_ups"]] == [
        ("thanks", "pending"),
        ("tips", "pending"),
        ("satisfaction", "pending"),
    ]
    assert plan["follow_ups"][2]["due_at"].startswith("2026-12-08T10:00")
    again = api.post("/api/v1/orders", json=order())
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["follow_ups"] == plan["follow_ups"]
    assert api.get("/api/v1/orders/A-1001").json()["order_id"] == "A-1001"


def test_orders_need_a_token_or_a_valid_signature(client: TestClient, services: Services) -> None:
    body = json.dumps(order()).encode()
    assert client.post("/api/v1/orders", content=body).status_code == 401
    services.settings.orders_secret = SecretStr(SECRET)
    wrong = client.post(
        "/api/v1/orders", content=body, headers=signed(body, services.clock.now(), "not-the-secret")
    )
    assert wrong.status_code == 401 and "signature" in wrong.json()["detail"]
    good = client.post("/api/v1/orders", content=body, headers=signed(body, services.clock.now()))
    assert good.status_code == 201, good.text


def test_a_bad_order_gets_a_clear_error_and_stores_nothing(api: TestClient, services: Services) -> None:
    response = api.post("/api/v1/orders", json=order(purchased_at="2026-11-20 10:00"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "purchased_at"]
    unknown = api.post("/api/v1/orders", json=order(community="nope"))
    assert unknown.status_code == 422 and "nope" in unknown.json()["detail"][0]["msg"]
    with Session(services.engine) as session:
        assert session.exec(select(CustomerOrder)).all() == []


def follow_up_drafts(session: Session) -> list[Draft]:
    return list(session.exec(select(Draft).where(Draft.kind == "follow_up").order_by(col(Draft.id))))


def test_the_plan_drafts_each_step_on_time_and_records_satisfaction(
    api: TestClient, session: Session, registry: ContentRegistry
) -> None:
    assert api.post("/api/v1/orders", json=order()).status_code == 201
    sender = RecordingSender()
    run_jobs(session, registry, sender, T0 + timedelta(minutes=1))
    [thanks] = follow_up_drafts(session)
    assert (thanks.status, thanks.text) == (
        "pending",
        "Hallo Anna,\n\nBedankt voor je bestelling!\n\nGroet,\nTeam Testshop\n\n"
        "Liever geen berichten meer? Stuur 'stop'.",
    )
    pipeline.approve(session, thanks.id or 0, actor="user:a", role="agent", now=T0 + timedelta(minutes=5))
    deliver(session, registry, sender, T0 + timedelta(minutes=5))
    assert [(m.channel, m.text) for m in sender.sent] == [("u-1", thanks.text)]
    run_jobs(session, registry, sender, T0 + timedelta(days=3, minutes=1))
    run_jobs(session, registry, sender, T0 + timedelta(days=14, minutes=1))
    satisfaction = follow_up_drafts(session)[-1]
    assert "\n\nHoe beviel je bestelling?\n\n" in satisfaction.text
    asked = T0 + timedelta(days=14, minutes=2)
    pipeline.approve(session, satisfaction.id or 0, actor="user:a", role="agent", now=asked)
    deliver(session, registry, sender, asked)
    receive(session, registry, "m-ans", "Heerlijke wijn, echt een aanrader!", asked + timedelta(hours=1))
    # intake recorded the answer as it arrived: the jobs' catch-up finds nothing left to do
    assert followups.record_satisfaction(session) == 0
    answer = api.get("/api/v1/orders/A-1001").json()
    assert answer["satisfaction"] == "positive"
    assert [f["status"] for f in answer["follow_ups"]] == ["done", "done", "done"]


def test_a_return_request_cancels_the_rest_of_the_plan(
    api: TestClient, session: Session, registry: ContentRegistry
) -> None:
    assert api.post("/api/v1/orders", json=order()).status_code == 201
    sender = RecordingSender()
    run_jobs(session, registry, sender, T0 + timedelta(minutes=1))
    receive(session, registry, "m-ret", "Ik wil de fles retour sturen, hij lekt", T0 + timedelta(days=1))
    # intake cancelled the plan as the message arrived: the jobs' sweep finds nothing left to do
    assert followups.sweep(session, registry, now=T0 + timedelta(days=1, minutes=1)) == 0
    run_jobs(session, registry, sender, T0 + timedelta(days=20))
    plan = api.get("/api/v1/orders/A-1001").json()
    assert plan["follow_ups_cancelled"] is True
    assert [f["status"] for f in plan["follow_ups"]] == ["done", "cancelled", "cancelled"]
    # the thank-you that was still waiting for approval will not go out either
    assert [d.status for d in follow_up_drafts(session)] == ["expired"]
    assert sender.sent == []


def test_a_complaint_found_when_a_step_falls_due_cancels_it(
    api: TestClient, session: Session, registry: ContentRegistry
) -> None:
    # the complaint came in before the shop reported the order, so only the due step can notice it
    receive(session, registry, "m-c", "Klacht: de doos was kapot", T0 + timedelta(hours=1))
    assert api.post("/api/v1/orders", json=order()).status_code == 201
    report = run_jobs(session, registry, RecordingSender(), T0 + timedelta(days=30))
    assert report.counts == {"cancelled": 3}
    assert follow_up_drafts(session) == []
    assert {j.status for j in session.exec(select(Job))} == {"cancelled"}
