"""Smaller gaps closed: no cached personal pages, names the form would refuse, names that
reorder a heading."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.services import Services
from tests.conftest import API_TOKEN, add_user
from tests.factories import mention_json
from tests.test_web import sign_in


def test_signed_in_pages_and_api_answers_are_never_stored(client: TestClient, services: Services) -> None:
    add_user(services)
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    draft_id = client.post("/api/v1/mentions", json=mention_json(), headers=bearer).json()["draft_id"]
    sign_in(client)
    for path in ("/queue", f"/queue/{draft_id}", "/account/sessions", "/login"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
    for path in ("/api/v1/drafts", "/metrics"):
        response = client.get(path, headers=bearer)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
    # the stylesheet is the same for everyone: a browser may keep it
    assert "no-store" not in client.get("/static/webcare.css").headers.get("cache-control", "")
