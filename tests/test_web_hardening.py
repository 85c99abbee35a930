"""Smaller gaps closed: no cached personal pages, names the form would refuse, names that
reorder a heading."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.services import Services
from tests.conftest import API_TOKEN, add_user
from tests.factories import mention_json
from tests.test_web import sign_in

runner = CliRunner()


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


BAD_NAMES = ["", " ", "ann smith", "<b>ann</b>", "ann\u202enimda", "a" * 101, "ann\x00"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_users_add_refuses_names_the_web_form_refuses(env: str, name: str) -> None:
    runner.invoke(cli, ["migrate"])
    result = runner.invoke(cli, ["users", "add", name, "--password", "long enough pw"])
    assert result.exit_code == 2
    message = " ".join(result.output.split())  # the console wraps long lines
    assert "a username is 1 to 100 characters: letters a-z, digits, dots, hyphens and underscores" in message
    assert runner.invoke(cli, ["users", "list"]).output.strip() == ""


@pytest.mark.parametrize("name", BAD_NAMES)
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
