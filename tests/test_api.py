"""The intake and review API: what an integration sees."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from bot import pipeline
from bot.adapters.console import ConsoleSender
from bot.main import create_app
from bot.models import Draft, Mention, Outbox
from bot.services import Services
from tests.conftest import API_TOKEN, UNDER_FAKETIME
from tests.factories import mention_json


def test_a_posted_mention_becomes_a_pending_draft_with_an_faq_answer(api: TestClient) -> None:
    response = api.post("/api/v1/mentions?wait=draft", json=mention_json())
    assert response.status_code == 202
    assert response.json()["duplicate"] is False

    drafts = api.get("/api/v1/drafts", params={"status": "pending"}).json()
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft["faq_id"] == "levertijd"
    assert draft["language"] == "nl"
    assert draft["text"].startswith(("Hoi Anna,", "Hallo Anna,"))
    assert "1 tot 2 werkdagen" in draft["text"]
    assert draft["mention"]["text"].startswith("Hoe lang duurt")


def test_the_same_mention_twice_gives_one_mention_and_one_draft(api: TestClient, services: Services) -> None:
    first = api.post("/api/v1/mentions?wait=draft", json=mention_json("dup-1")).json()
    second = api.post("/api/v1/mentions?wait=draft", json=mention_json("dup-1")).json()
    assert second["duplicate"] is True
    assert (second["mention_id"], second["draft_id"]) == (first["mention_id"], first["draft_id"])
    with Session(services.engine) as session:
        assert session.exec(select(func.count()).select_from(Mention)).one() == 1
        assert session.exec(select(func.count()).select_from(Draft)).one() == 1


def test_invalid_input_says_which_field_and_why(api: TestClient) -> None:
    body = mention_json()
    body["author"] = {"handle": "no id"}
    body["created_at"] = "yesterday"
    response = api.post("/api/v1/mentions?wait=draft", json=body)
    assert response.status_code == 422
    problems = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert ("body", "author", "id") in problems
    assert ("body", "created_at") in problems


def test_a_mention_for_a_channel_nobody_listens_to_is_refused_with_the_reason(api: TestClient) -> None:
    response = api.post("/api/v1/mentions?wait=draft", json=mention_json(channel="somewhere-else"))
    assert response.status_code == 422
    assert "no community listens" in response.json()["detail"][0]["msg"]


def test_oversized_text_is_refused_not_truncated(api: TestClient) -> None:
    response = api.post("/api/v1/mentions?wait=draft", json=mention_json(text="x" * 40_001))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "text"]
    assert len(response.content) < 1000  # the refusal does not echo the 40 kB text back


def test_a_refusal_names_field_and_reason_but_never_echoes_the_value(api: TestClient) -> None:
    body = mention_json()
    body["author"] = {"id": "a1", "followers": "secret-looking-value"}
    response = api.post("/api/v1/mentions?wait=draft", json=body)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "author", "followers"] and "integer" in problem["msg"]
    assert "secret-looking-value" not in response.text


def test_a_body_over_5_mb_is_refused_before_it_is_read(api: TestClient) -> None:
    huge = b'{"text": "' + b"x" * 6_000_000 + b'"}'
    declared = api.post(
        "/api/v1/mentions?wait=draft", content=huge, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413
    assert "larger than 5 MB" in declared.json()["detail"]
    # a chunked body declares no length: counted as it arrives
    chunks = (huge[i : i + 1_000_000] for i in range(0, len(huge), 1_000_000))
    streamed = api.post(
        "/api/v1/mentions?wait=draft", content=chunks, headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


def test_the_api_needs_a_valid_bearer_token(client: TestClient) -> None:
    assert client.post("/api/v1/mentions?wait=draft", json=mention_json()).status_code == 401
    assert client.get("/api/v1/drafts").status_code == 401
    client.headers["Authorization"] = "Bearer wrong"
    assert client.get("/api/v1/drafts").status_code == 401
    assert client.post("/api/v1/drafts/1/approve").status_code == 401


def test_drafts_come_nearest_deadline_first(api: TestClient, services: Services) -> None:
    now = services.clock.now()
    api.post("/api/v1/mentions?wait=draft", json=mention_json("late", created_at=now - timedelta(minutes=1)))
    api.post(
        "/api/v1/mentions?wait=draft",
        json=mention_json("early", created_at=now - timedelta(hours=5), author_id="u-2"),
    )
    # a legal threat is urgent: one hour target, so it comes first despite being newest
    api.post(
        "/api/v1/mentions?wait=draft",
        json=mention_json("legal", "Ik schakel mijn advocaat in!", author_id="u-3"),
    )
    order = [d["mention"]["external_id"] for d in api.get("/api/v1/drafts").json()]
    assert order == ["legal", "early", "late"]


def test_approving_twice_sends_once_and_the_second_call_gets_409(
    api: TestClient, services: Services, console_sender: ConsoleSender
) -> None:
    draft_id = api.post("/api/v1/mentions?wait=draft", json=mention_json()).json()["draft_id"]
    first = api.post(f"/api/v1/drafts/{draft_id}/approve", json={"text": "Hoi Anna, binnen 2 dagen! Groet"})
    second = api.post(f"/api/v1/drafts/{draft_id}/approve")
    assert first.status_code == 200
    assert first.json()["status"] == "approved"
    assert second.status_code == 409

    with Session(services.engine, expire_on_commit=False) as session:
        now = services.clock.now()
        pipeline.deliver_due(session, services.senders, now=now, worker="t")
        pipeline.deliver_due(session, services.senders, now=now + timedelta(hours=1), worker="t")
        outbox = session.exec(select(Outbox)).all()
    assert [m.text for m in console_sender.sent] == ["Hoi Anna, binnen 2 dagen! Groet"]
    assert len(outbox) == 1 and outbox[0].status == "sent"
    assert api.get("/api/v1/drafts", params={"status": "sent"}).json()[0]["id"] == draft_id


def test_rejecting_needs_a_reason_and_sends_nothing(api: TestClient, console_sender: ConsoleSender) -> None:
    draft_id = api.post("/api/v1/mentions?wait=draft", json=mention_json()).json()["draft_id"]
    assert api.post(f"/api/v1/drafts/{draft_id}/reject", json={}).status_code == 422
    response = api.post(f"/api/v1/drafts/{draft_id}/reject", json={"reason": "already answered in the group"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert api.post(f"/api/v1/drafts/{draft_id}/approve").status_code == 409
    assert api.post("/api/v1/drafts/9999/approve").status_code == 404
    assert console_sender.sent == []


@pytest.mark.skipif(UNDER_FAKETIME, reason="the content watch is an APScheduler tick: a timed wait")
def test_a_web_only_server_drafts_with_faq_answers_edited_on_disk(services: Services) -> None:
    # `webcare serve --no-jobs`: the workers reload edited files, and so must the web process
    [faq_file] = services.registry.faq_dir.rglob("*.yaml")
    with TestClient(create_app(services, run_jobs=False, watch_content=True)) as client:
        client.headers["Authorization"] = f"Bearer {API_TOKEN}"
        faq_file.write_text(faq_file.read_text().replace("1 tot 2 werkdagen", "2 tot 3 werkdagen"))
        texts: list[str] = []
        deadline = time.monotonic() + 20  # the content watch looks every 5 s
        while time.monotonic() < deadline and not any("2 tot 3 werkdagen" in t for t in texts):
            n = len(texts)
            posted = client.post(
                "/api/v1/mentions?wait=draft", json=mention_json(f"m-{n}", author_id=f"u-{n}")
            ).json()
            drafts = client.get("/api/v1/drafts", params={"status": "pending"}).json()
            texts += [d["text"] for d in drafts if d["id"] == posted["draft_id"]]
            time.sleep(0.5)
    assert "1 tot 2 werkdagen" in texts[0]
    assert "2 tot 3 werkdagen" in texts[-1]
