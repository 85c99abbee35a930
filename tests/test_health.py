"""/healthz for load balancers and /metrics for Prometheus."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from bot.services import Services
from tests.factories import mention_json


def test_healthz_answers_without_sign_in_and_checks_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "content": "ok"}


def test_healthz_says_503_when_the_database_is_gone(client: TestClient, services: Services) -> None:
    services.engine = create_engine("sqlite:////nonexistent-dir/nothing.db")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_metrics_need_the_token_and_count_the_queue(api: TestClient, client: TestClient) -> None:
    api.post("/api/v1/mentions?wait=draft", json=mention_json())
    assert 'webcare_drafts{status="pending"} 1.0' in api.get("/metrics").text
    del client.headers["Authorization"]
    assert client.get("/metrics").status_code == 401


def test_openapi_lists_the_public_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/mentions", "/api/v1/drafts", "/api/v1/drafts/{draft_id}/approve", "/healthz"):
        assert path in paths


def test_every_response_carries_the_browser_security_headers(client: TestClient) -> None:
    for path in ("/healthz", "/login", "/static/webcare.css"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
