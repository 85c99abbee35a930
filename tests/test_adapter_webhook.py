"""Signed webhooks at /webhooks/{source}: HMAC-SHA256 over the raw body, a replay window, field mapping."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import pipeline
from bot.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.adapters.wiring import build_senders
from bot.clock import Clock
from bot.main import create_app
from bot.models import Conversation, Draft, Mention, Outbox, SetAside
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import Settings
from tests.conftest import add_user
from tests.fakes.content import adapter_registry
from tests.test_web import sign_in

SECRETS = {"shop-reviews": "shop-secret-123", "forum": "forum-secret-456"}


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    return adapter_registry(tmp_path / "content")


@pytest.fixture
def hook_services(engine: Engine, registry: ContentRegistry, db_url: str, clock: Clock) -> Services:
    settings = Settings(
        database_url=db_url,
        guidelines_dir=registry.guidelines_dir,
        faq_dir=registry.faq_dir,
        webhook_secrets=SECRETS,
    )
    with Session(engine) as session:
        pipeline.sync_communities(session, registry, now=clock.now())
    return Services(settings, engine, registry, build_senders(settings), clock)


@pytest.fixture
def hooks(hook_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(hook_services, run_jobs=False)) as client:
        yield client


# an hour ago, to the second: recent enough to answer (guidelines ignore week-old posts)
POSTED_AT = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)


def review(
    review_id: str = "r-77", body: str = "Hoe lang duurt de bezorging van mijn bestelling?"
) -> dict[str, Any]:
    return {
        "event": "review.created",
        "review": {
            "id": review_id,
            "body": body,
            "url": f"https://shop.example/reviews/{review_id}",
            "created_at": POSTED_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "customer": {"id": 5150, "name": "Piet Jansen"},
        },
    }


def post(
    client: TestClient,
    source: str,
    payload: Any,
    *,
    secret: str | None = None,
    at: int | None = None,
    body: bytes | None = None,
) -> Any:
    raw = body if body is not None else json.dumps(payload).encode()
    stamp = str(at if at is not None else int(time.time()))
    signature = sign(secret or SECRETS[source], stamp, raw)
    headers = {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: stamp, "Content-Type": "application/json"}
    return client.post(f"/webhooks/{source}", content=raw, headers=headers)


def mentions(engine: Engine) -> list[Mention]:
    with Session(engine) as session:
        return list(session.exec(select(Mention)).all())


def test_a_signed_event_becomes_a_mention_with_the_mapped_fields_and_a_draft(
    hooks: TestClient, engine: Engine
) -> None:
    response = post(hooks, "shop-reviews", review())
    assert response.status_code == 202, response.text
    assert response.json()["duplicate"] is False
    [mention] = mentions(engine)
    assert mention.platform == "webhook" and mention.channel == "shop-reviews"
    assert mention.text == "Hoe lang duurt de bezorging van mijn bestelling?"
    assert mention.url == "https://shop.example/reviews/r-77"
    assert mention.created_at == POSTED_AT
    with Session(engine) as session:
        draft = session.get(Draft, response.json()["draft_id"])
        assert draft is not None and draft.status == "pending" and "1 tot 2 werkdagen" in draft.text
    again = post(hooks, "shop-reviews", review())
    assert again.status_code == 202 and again.json()["duplicate"] is True
    assert len(mentions(engine)) == 1


def test_the_default_mapping_takes_the_documented_shape(hooks: TestClient, engine: Engine) -> None:
    payload = {"id": "topic-9", "text": "Hoe snel leveren jullie?", "author": {"id": "u9", "name": "Kees"}}
    assert post(hooks, "forum", payload).status_code == 202
    [mention] = mentions(engine)
    assert (mention.external_id, mention.text) == ("forum:topic-9", "Hoe snel leveren jullie?")


@pytest.mark.parametrize(
    "case",
    [
        "wrong secret",
        "tampered body",
        "no headers",
        "replayed an hour later",
        "from the future",
        "other source",
    ],
)
def test_a_bad_signature_or_an_old_timestamp_is_refused_with_401(
    hooks: TestClient, engine: Engine, case: str
) -> None:
    payload, raw = review(), json.dumps(review()).encode()
    if case == "wrong secret":
        response = post(hooks, "shop-reviews", payload, secret="guessed")
    elif case == "tampered body":
        stamp = str(int(time.time()))
        headers = {SIGNATURE_HEADER: sign(SECRETS["shop-reviews"], stamp, raw), TIMESTAMP_HEADER: stamp}
        response = hooks.post(
            "/webhooks/shop-reviews", content=raw.replace(b"r-77", b"r-78"), headers=headers
        )
    elif case == "no headers":
        response = hooks.post("/webhooks/shop-reviews", content=raw)
    elif case == "replayed an hour later":
        response = post(hooks, "shop-reviews", payload, at=int(time.time()) - 3600)
    elif case == "from the future":
        response = post(hooks, "shop-reviews", payload, at=int(time.time()) + 3600)
    else:
        response = post(hooks, "shop-reviews", payload, secret=SECRETS["forum"])
    assert response.status_code == 401, response.text
    assert mentions(engine) == []


def test_a_payload_that_does_not_map_gets_422_with_the_reason(hooks: TestClient, engine: Engine) -> None:
    broken = review()
    del broken["review"]["body"]
    response = post(hooks, "shop-reviews", broken)
    assert response.status_code == 422
    assert "text (at 'review.body')" in response.json()["detail"]
    not_json = post(hooks, "shop-reviews", None, body=b"{not json")
    assert not_json.status_code == 422 and "not JSON" in not_json.json()["detail"]
    wrong_type = review()
    wrong_type["review"]["body"] = {"html": "<p>hi</p>"}
    assert "holds a dict" in post(hooks, "shop-reviews", wrong_type).json()["detail"]
    assert mentions(engine) == []


def test_an_unknown_source_is_404(hooks: TestClient) -> None:
    assert post(hooks, "forum", review(), secret="x").status_code == 401
    response = hooks.post("/webhooks/nope", content=b"{}")
    assert response.status_code == 404


def test_end_to_end_the_reply_is_made_by_hand_and_marked_as_answered(
    hooks: TestClient, hook_services: Services, engine: Engine
) -> None:
    draft_id = post(hooks, "shop-reviews", review()).json()["draft_id"]
    add_user(hook_services)
    csrf = sign_in(hooks)
    page = hooks.get(f"/queue/{draft_id}").text
    assert "https://shop.example/reviews/r-77" in page and "Mark answered" in page
    assert hooks.post(f"/queue/{draft_id}/answered", data={"csrf_token": "forged"}).status_code == 403
    done = hooks.post(f"/queue/{draft_id}/answered", data={"csrf_token": csrf})
    assert done.status_code == 200 and "Marked as answered" in done.text
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == "answered" and draft.decided_by == "user:agent1"
        conversation = session.get(Conversation, draft.conversation_id)
        assert conversation is not None and conversation.status == "waiting_customer"
        assert conversation.next_response_due_at is None, "no deadline warnings for an answered item"
        assert session.exec(select(Outbox)).all() == []


def test_an_approved_webhook_reply_fails_visibly_instead_of_vanishing(
    hooks: TestClient, hook_services: Services, engine: Engine
) -> None:
    draft_id = post(hooks, "shop-reviews", review()).json()["draft_id"]
    now = hook_services.clock.now()
    with Session(engine, expire_on_commit=False) as session:
        pipeline.approve(session, draft_id, actor="user:agent1", role="agent", now=now)
        report = pipeline.deliver_due(session, hook_services.senders, now=now, worker="t")
        assert report.failed == 1
        outbox = session.exec(select(Outbox)).one()
        assert "mark the item as answered" in outbox.last_error
        assert hook_services.senders["webhook"].capabilities.can_start_conversation is False


def test_an_event_for_a_community_that_cannot_take_it_in_is_kept_for_an_admin(
    hooks: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_args: Any, **_kwargs: Any) -> None:
        raise pipeline.CommunityUnavailable("community 'testshop' cannot take in messages: bad time zone")

    monkeypatch.setattr("bot.pipeline.intake.receive", unavailable)
    first = post(hooks, "shop-reviews", review())
    again = post(hooks, "shop-reviews", review())  # the source retries: still one row
    assert first.status_code == again.status_code == 202, first.text
    assert first.json()["set_aside"] is True and first.json()["mention_id"] is None
    with Session(engine) as session:
        [kept] = session.exec(select(SetAside)).all()
    assert kept.platform == "webhook" and "bad time zone" in kept.reason
    assert "Hoe lang duurt de bezorging" in kept.payload
    assert mentions(engine) == []
