"""Smaller gaps closed: no cached personal pages, names the form would refuse, names that
reorder a heading."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.services import Services
from bot.web.deps import templates
from tests.conftest import API_TOKEN, add_user
from tests.factories import mention_json
from tests.test_web import sign_in

runner = CliRunner()


def test_signed_in_pages_and_api_answers_are_never_stored(client: TestClient, services: Services) -> None:
    add_user(services)
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    draft_id = client.post("/api/v1/mentions?wait=draft", json=mention_json(), headers=bearer).json()[
        "draft_id"
    ]
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


BAD_NAMES = ["", " ", "ann smith", "<b>ann</b>", "ann\u202enimda", "a" * 101, "ann\x00"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_users_add_refuses_names_the_web_form_refuses(env: str, name: str) -> None:
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(cli, ["users", "add", name, "--password", "long enough pw"])
    assert result.exit_code == 2
    message = " ".join(result.output.split())  # the console wraps long lines
    assert "a username is 1 to 100 characters: letters a-z, digits, dots, hyphens and underscores" in message
    assert runner.invoke(cli, ["users", "list"]).output.strip() == ""


# U+0000 in any form field is refused before the route, by the input guard (bot/web/guard.py)
@pytest.mark.parametrize("name", [name for name in BAD_NAMES if "\x00" not in name])
def test_the_web_form_refuses_the_same_names_with_a_readable_message(
    client: TestClient, services: Services, name: str
) -> None:
    add_user(services, "root", role="admin")
    csrf = sign_in(client, "root")
    form = {"username": name, "password": "long enough pw", "role": "agent", "csrf_token": csrf}
    response = client.post("/users", data=form)
    assert response.status_code == 200
    assert "Not added: a username is 1 to 100 characters" in response.text
    assert response.text.count('class="user-row"') == 1


def test_a_name_differing_only_in_case_is_refused(client: TestClient, services: Services) -> None:
    add_user(services, "root", role="admin")
    csrf = sign_in(client, "root")
    form = {"username": "Root", "password": "long enough pw", "role": "agent", "csrf_token": csrf}
    assert "Not added: user &#39;Root&#39; already exists." in client.post("/users", data=form).text


SENIOR_ONLY = "only a senior can approve, reject or mark this draft answered."


def _escalated_draft(client: TestClient, csrf: str) -> int:
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    draft_id: int = client.post("/api/v1/mentions?wait=draft", json=mention_json(), headers=bearer).json()[
        "draft_id"
    ]
    client.post(f"/queue/{draft_id}/escalate", data={"csrf_token": csrf, "note": "press"})
    return draft_id


def _status(client: TestClient, draft_id: int) -> str:
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    drafts = client.get("/api/v1/drafts", params={"status": "escalated"}, headers=bearer).json()
    drafts += client.get("/api/v1/drafts", params={"status": "pending"}, headers=bearer).json()
    drafts += client.get("/api/v1/drafts", params={"status": "rejected"}, headers=bearer).json()
    return str(next(d["status"] for d in drafts if d["id"] == draft_id))


def test_an_agent_cannot_reject_or_mark_answered_what_needs_a_senior(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    csrf = sign_in(client)
    draft_id = _escalated_draft(client, csrf)
    page = client.get(f"/queue/{draft_id}").text
    assert "Only a senior can approve, reject or mark this draft answered" in page
    before = _status(client, draft_id)
    rejected = client.post(f"/queue/{draft_id}/reject", data={"csrf_token": csrf, "reason": "no"})
    assert f"Not rejected: {SENIOR_ONLY}" in rejected.text
    answered = client.post(f"/queue/{draft_id}/answered", data={"csrf_token": csrf})
    assert f"Not marked: {SENIOR_ONLY}" in answered.text
    approved = client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf})
    assert f"Not approved: {SENIOR_ONLY}" in approved.text
    assert _status(client, draft_id) == before


def test_a_senior_rejects_what_needs_a_senior(client: TestClient, services: Services) -> None:
    add_user(services)
    add_user(services, "sam", role="senior")
    draft_id = _escalated_draft(client, sign_in(client))
    senior = TestClient(client.app)
    csrf = sign_in(senior, "sam")
    assert "Only a senior can" not in senior.get(f"/queue/{draft_id}").text
    rejected = senior.post(f"/queue/{draft_id}/reject", data={"csrf_token": csrf, "reason": "no"})
    assert "Rejected: nothing was sent." in rejected.text
    assert _status(client, draft_id) == "rejected"


def test_the_audit_log_isolates_each_value_it_shows(client: TestClient, services: Services) -> None:
    add_user(services, role="senior")
    csrf = sign_in(client)
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    draft_id = client.post("/api/v1/mentions?wait=draft", json=mention_json(), headers=bearer).json()[
        "draft_id"
    ]
    client.post(f"/queue/{draft_id}/escalate", data={"csrf_token": csrf, "note": "\u202eder pers"})
    page = client.get("/audit").text
    assert "<bdi>\u202eder pers</bdi>" in page  # its override ends with the value, not the row


def test_every_web_template_escapes_what_it_prints() -> None:
    names = [path.name for path in (Path(__file__).parents[1] / "bot" / "web" / "templates").iterdir()]
    autoescape = templates.env.autoescape
    assert names and all(callable(autoescape) and autoescape(name) for name in names)
