"""The API's intake queue: 202 once the mention is stored, the draft a moment later, and nothing
lost or drafted twice when the process stops or a mention cannot be taken in."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from bot.models import Draft, Inbound, Mention, SetAside
from bot.pipeline import inbox, intake
from bot.pipeline.drafter import Drafter
from bot.services import Services
from tests.factories import mention_json
from tests.test_group_commit import _in_parallel


def _count(services: Services, table: Any) -> int:
    with Session(services.engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def test_a_posted_mention_is_queued_then_drafted(api: TestClient, services: Services) -> None:
    answer = api.post("/api/v1/mentions", json=mention_json("q-1"))
    assert answer.status_code == 202
    body = answer.json()
    assert body["action"] == "queued" and body["intake_id"] and not body["duplicate"]
    assert (body["mention_id"], body["draft_id"]) == (None, None)
    assert _count(services, Inbound) == 1 and _count(services, Mention) == 0

    again = api.post("/api/v1/mentions", json=mention_json("q-1")).json()
    assert again["duplicate"] and again["action"] == "queued", "a repeat while it waits is not queued twice"

    assert services.drafter.drain() == 1
    [draft] = api.get("/api/v1/drafts").json()
    assert draft["mention"]["external_id"] == "q-1" and "Anna" in draft["text"]
    assert _count(services, Inbound) == 0
    later = api.post("/api/v1/mentions", json=mention_json("q-1")).json()
    assert later["duplicate"] and later["draft_id"] == draft["id"] and later["mention_id"]
    following = api.post("/api/v1/mentions", json=mention_json("q-2")).json()
    assert following["intake_id"] > body["intake_id"], "a drafted post's queue id is never handed out again"


def test_a_mention_queued_before_a_crash_is_drafted_by_the_next_process(
    api: TestClient, services: Services
) -> None:
    api.post("/api/v1/mentions", json=mention_json("before-crash"))
    # the process that answered is gone; a new one (its own drafter) finds the row
    successor = Drafter(services.engine, services.registry)
    assert successor.drain() == 1
    assert _count(services, Mention) == _count(services, Draft) == 1


def test_a_database_failure_mid_batch_drafts_nothing_and_loses_nothing(
    api: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        api.post("/api/v1/mentions", json=mention_json(f"m-{n}", author_id=f"u-{n}"))
    real = intake.receive
    calls = 0

    def fails_on_the_second(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr("bot.pipeline.inbox.receive", fails_on_the_second)
    assert services.drafter.drain() == 0
    assert _count(services, Mention) == 0 and _count(services, Inbound) == 3, "rolled back, all still queued"
    assert services.drafter.drain() == 3
    assert _count(services, Mention) == _count(services, Draft) == 3 and _count(services, Inbound) == 0


def test_a_mention_that_cannot_be_taken_in_is_set_aside_and_the_rest_drafted(
    api: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        api.post("/api/v1/mentions", json=mention_json(f"m-{n}", author_id=f"u-{n}"))
    real = intake.receive

    def refuses_one(session: Session, mention: Any, *args: Any, **kwargs: Any) -> Any:
        if mention.external_id == "m-1":
            raise ValueError("a value the database refuses")
        return real(session, mention, *args, **kwargs)

    monkeypatch.setattr("bot.pipeline.inbox.receive", refuses_one)
    services.drafter.drain()
    with Session(services.engine) as session:
        stored = session.exec(select(Mention.external_id).order_by(col(Mention.external_id))).all()
        [kept] = session.exec(select(SetAside)).all()
    assert stored == ["m-0", "m-2"] and _count(services, Inbound) == 0
    assert (
        kept.source == "api m-1" and kept.reason == "a value the database refuses" and '"m-1"' in kept.payload
    )


def test_an_unknown_channel_is_refused_before_anything_is_queued(api: TestClient, services: Services) -> None:
    response = api.post("/api/v1/mentions", json=mention_json(channel="somewhere-else"))
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "unknown_channel"
    assert _count(services, Inbound) == 0


def test_concurrent_posts_are_each_stored_once(api: TestClient, services: Services) -> None:
    posts = [mention_json(f"c-{n}", author_id=f"u-{n}") for n in range(16)]
    answers = _in_parallel(32, lambda i: api.post("/api/v1/mentions", json=posts[i % 16]))
    assert all(a.status_code == 202 for a in answers)
    bodies = [a.json() for a in answers]
    assert sum(not b["duplicate"] for b in bodies) == 16
    assert len({b["intake_id"] for b in bodies if not b["duplicate"]}) == 16
    # two drafters at once (two worker processes): each mention is taken in by one of them
    drafters = [Drafter(services.engine, services.registry) for _ in range(2)]
    _in_parallel(2, lambda i: drafters[i].drain())
    assert _count(services, Mention) == _count(services, Draft) == 16 and _count(services, Inbound) == 0


def test_the_drafter_thread_drafts_what_the_api_queues(api: TestClient, services: Services) -> None:
    services.drafter.start()
    try:
        api.post("/api/v1/mentions", json=mention_json("live-1"))
        for _ in range(200):
            if _count(services, Draft):
                break
            time.sleep(0.05)  # not a timed lock wait: those never end under CI's faketime
    finally:
        services.drafter.stop()
    assert _count(services, Draft) == 1 and _count(services, Inbound) == 0
    assert not [t for t in threading.enumerate() if t.name == "drafter"]


def test_a_queued_mention_keeps_every_field() -> None:
    from bot.schemas import MentionIn

    body = mention_json("f-1", thread_ref="t-9", private=True, reply_to="brand", text="Hé 👋🏽 \u202e")
    mention = MentionIn.model_validate(body).to_mention(datetime(2026, 12, 5, 12, 0, tzinfo=UTC))
    assert inbox.from_json(inbox.to_json(mention)) == mention


def test_metrics_count_the_mentions_waiting_for_the_drafter(api: TestClient, services: Services) -> None:
    for n in range(3):
        api.post("/api/v1/mentions", json=mention_json(f"m-{n}", author_id=f"u-{n}"))
    assert "webcare_mentions_queued 3.0" in api.get("/metrics").text
    services.drafter.drain()
    assert "webcare_mentions_queued 0.0" in api.get("/metrics").text


def test_erasing_a_customer_also_erases_their_posts_still_waiting(
    api: TestClient, services: Services
) -> None:
    from bot.pipeline import retention

    api.post("/api/v1/mentions?wait=draft", json=mention_json("first", author_id="anna"))
    api.post("/api/v1/mentions", json=mention_json("second", author_id="anna"))
    api.post("/api/v1/mentions", json=mention_json("other", author_id="bob"))
    with Session(services.engine) as session:
        anna = session.exec(select(Mention.customer_id).where(Mention.external_id == "first")).one()
        assert retention.erase_customer(session, anna, actor="user:admin", now=services.clock.now())
    services.drafter.drain()
    with Session(services.engine) as session:
        assert session.exec(select(Mention.external_id)).all() == ["other"], "anna does not come back"


def test_a_database_that_is_down_when_posting_gets_a_503_to_post_again(
    api: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr("bot.pipeline.group_commit.inbox.queue", locked)
    response = api.post("/api/v1/mentions", json=mention_json("locked-1"))
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    monkeypatch.undo()
    assert api.post("/api/v1/mentions", json=mention_json("locked-1")).json()["action"] == "queued"
