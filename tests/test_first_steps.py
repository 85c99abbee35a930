"""What a new user meets first: the README's example works on any day, a mention that gets no draft
says why in a sentence, and /openapi.json describes every request body."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.clock import Clock, FixedClock
from bot.ingest import ingest_lines
from bot.models import Mention
from bot.registry import ContentRegistry
from bot.services import Services

ROOT = Path(__file__).resolve().parent.parent
# years after the README was written: its example must not depend on the day it is tried
NOW = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    """The app's clock, far past the day the README was written."""
    return FixedClock(NOW)


@pytest.fixture
def registry() -> ContentRegistry:
    """The demo content, as `make run` serves it."""
    return ContentRegistry(ROOT / "guidelines", ROOT / "faq")


def readme_mention() -> dict[str, Any]:
    """The body of the README's `curl -X POST .../api/v1/mentions` example."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(
        r"curl -s -X POST http://127\.0\.0\.1:8000/api/v1/mentions .*?-d '(\{.*?\})'", readme, re.S
    )
    assert found, "the README's mention example is gone"
    body: dict[str, Any] = json.loads(found[1])
    return body


def test_the_readme_example_makes_a_draft_on_any_day(api: TestClient, services: Services) -> None:
    answer = api.post("/api/v1/mentions", json=readme_mention())
    assert answer.status_code == 202, answer.text
    assert answer.json()["action"] == "queued" and answer.json()["intake_id"]
    services.drafter.drain()  # what `make run`'s drafter thread does a moment later
    [draft] = api.get("/api/v1/drafts", params={"status": "pending"}).json()
    # without created_at the mention is dated when webcare received it
    assert datetime.fromisoformat(draft["mention"]["created_at"]) == NOW
    assert "Anna" in draft["text"]


def test_an_old_post_gets_no_draft_and_the_reason_says_why_in_words(api: TestClient) -> None:
    body = readme_mention() | {"created_at": (NOW - timedelta(days=9, hours=3)).isoformat()}
    answer = api.post("/api/v1/mentions?wait=draft", json=body).json()
    assert answer["action"] == "no_reply"
    [ignored] = api.get("/api/v1/drafts", params={"status": "ignored"}).json()
    assert "the post is 9 days old; this community ignores posts older than 7 days" in ignored["reasons"]


def test_a_jsonl_line_without_a_time_is_dated_when_it_is_ingested(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    summary = ingest_lines(session, [json.dumps(readme_mention())], registry, clock=clock)
    assert (summary.accepted, summary.rejected) == (1, [])
    assert session.exec(select(Mention)).one().created_at == NOW


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_openapi_describes_every_request_body_of_the_api_and_the_webhooks(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        if path.startswith(("/api/", "/webhooks/"))
        for method, operation in operations.items()
        if method in {"post", "put", "patch"}
        and not operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    ]
    assert missing == []
    order = spec["paths"]["/api/v1/orders"]["post"]
    schema = order["requestBody"]["content"]["application/json"]["schema"]
    assert {"order_id", "customer", "purchased_at"} <= set(schema["required"])
    assert "id" in schema["properties"]["customer"]["properties"]  # nested models written out
    headers = {p["name"] for p in order["parameters"] if p["in"] == "header"}
    assert headers == {"X-Webcare-Signature", "X-Webcare-Timestamp"}
    # every reference points at a schema the document has
    components = spec["components"]["schemas"]
    assert [r for r in _refs(spec) if r.removeprefix("#/components/schemas/") not in components] == []
