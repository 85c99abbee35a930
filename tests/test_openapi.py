"""/openapi.json tells integrators the truth: the refusals each route can answer, the order body,
the content type of /metrics."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import API_TOKEN


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/openapi.json").json()
    return found


def codes(spec: dict[str, Any], method: str, path: str) -> set[str]:
    return set(spec["paths"][path][method]["responses"])


@pytest.mark.parametrize(
    ("method", "path", "refusals"),
    [
        ("post", "/api/v1/mentions", {"401", "413", "422"}),
        ("get", "/api/v1/drafts", {"401", "422"}),
        ("post", "/api/v1/drafts/{draft_id}/approve", {"401", "404", "409", "413", "422"}),
        ("post", "/api/v1/drafts/{draft_id}/reject", {"401", "404", "409", "413", "422"}),
        ("post", "/api/v1/orders", {"401", "413", "422"}),
        ("get", "/api/v1/orders/{order_id}", {"401", "404", "422"}),
        ("get", "/api/v1/response-times", {"401", "404", "422"}),
        ("get", "/api/v1/response-events", {"401", "422"}),
        ("post", "/webhooks/telegram", {"401", "404", "413", "422"}),
        ("post", "/webhooks/{source}", {"401", "404", "413", "422"}),
        ("get", "/metrics", {"401"}),
        ("get", "/queue/{draft_id}", {"404", "422"}),
        ("post", "/queue/{draft_id}/approve", {"403", "404", "413", "422"}),
        ("post", "/users/{user_id}/disable", {"403", "404", "413", "422"}),
        ("get", "/users", {"403"}),
    ],
)
def test_each_route_declares_the_refusals_it_can_answer(
    spec: dict[str, Any], method: str, path: str, refusals: set[str]
) -> None:
    assert refusals <= codes(spec, method, path)


def test_a_declared_refusal_says_what_it_means_and_how_it_looks(spec: dict[str, Any]) -> None:
    conflict = spec["paths"]["/api/v1/drafts/{draft_id}/approve"]["post"]["responses"]["409"]
    assert "someone else handled the draft" in conflict["description"]
    schema = conflict["content"]["application/json"]["schema"]
    assert schema["required"] == ["detail"]
    page = spec["paths"]["/queue/{draft_id}/approve"]["post"]["responses"]["422"]["content"]
    assert set(page) == {"application/json", "text/html"}


def test_the_api_answers_the_refusals_it_declares(api: TestClient) -> None:
    assert api.post("/api/v1/drafts/999/approve", json={}).status_code == 404
    assert api.get("/api/v1/drafts", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.get(f"/api/v1/drafts?offset={2**31}").status_code == 422


def test_the_order_body_is_described(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/api/v1/orders"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert body["required"] is True
    assert {"order_id", "customer", "purchased_at"} <= set(schema["required"])
    assert "platform" in schema["properties"]["customer"]["properties"]


def test_metrics_declares_the_content_type_it_sends(spec: dict[str, Any], client: TestClient) -> None:
    declared = spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(declared) == ["text/plain; version=0.0.4; charset=utf-8"]
    sent = client.get("/metrics", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert sent.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"


def test_numbers_are_declared_with_the_database_range(spec: dict[str, Any]) -> None:
    [draft_id] = spec["paths"]["/api/v1/drafts/{draft_id}/approve"]["post"]["parameters"]
    assert (draft_id["schema"]["minimum"], draft_id["schema"]["maximum"]) == (1, 2**31 - 1)
