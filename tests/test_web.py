"""The review queue in the browser, at the HTTP level: sign-in, CSRF, approve and reject."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.main import create_app
from bot.models import AuditEvent, Draft
from bot.services import Services
from tests.conftest import API_TOKEN, add_user
from tests.factories import mention_json

PASSWORD = "correct horse battery"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str = "agent1") -> str:
    """Sign in through the form; return the CSRF token of the session."""
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 200, response.text
    return _csrf(response.text)


def post_mention(client: TestClient, **kwargs: object) -> int:
    response = client.post(
        "/api/v1/mentions?wait=draft",
        json=mention_json(**kwargs),  # type: ignore[arg-type]
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    draft_id: int = response.json()["draft_id"]
    return draft_id


@pytest.mark.parametrize("path", ["/", "/queue", "/queue/1"])
def test_pages_need_sign_in(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.url.path == "/login"


def test_wrong_password_is_refused_and_attempts_are_throttled(client: TestClient, services: Services) -> None:
    add_user(services)
    for _ in range(5):
        token = _csrf(client.get("/login").text)
        response = client.post("/login", data={"username": "agent1", "password": "nope", "csrf_token": token})
        assert response.status_code == 401
        assert "Wrong username or password" in response.text
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"username": "agent1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429


def test_failed_sign_ins_count_in_every_process(client: TestClient, services: Services) -> None:
    # a second app on the same database stands for a second web process
    add_user(services)
    other_services = Services(
        services.settings, services.engine, services.registry, services.senders, services.clock
    )
    with TestClient(create_app(other_services, run_jobs=False)) as other:
        for attempt in range(5):
            app_client = client if attempt % 2 else other
            token = _csrf(app_client.get("/login").text)
            form = {"username": "agent1", "password": "nope", "csrf_token": token}
            assert app_client.post("/login", data=form).status_code == 401
        token = _csrf(other.get("/login").text)
        form = {"username": "agent1", "password": PASSWORD, "csrf_token": token}
        assert other.post("/login", data=form).status_code == 429


def test_sign_in_without_the_form_token_is_refused(client: TestClient, services: Services) -> None:
    add_user(services)
    response = client.post("/login", data={"username": "agent1", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/queue").url.path == "/login"


def test_an_agent_approves_an_edited_draft_from_the_queue(client: TestClient, services: Services) -> None:
    add_user(services)
    draft_id = post_mention(client)
    csrf = sign_in(client)
    queue = client.get("/queue").text
    assert f'href="/queue/{draft_id}"' in queue
    item = client.get(f"/queue/{draft_id}").text
    assert "levertijd" in item and "Hoe lang duurt de bezorging" in item

    response = client.post(
        f"/queue/{draft_id}/approve", data={"text": "Hoi Anna, morgen in huis!", "csrf_token": csrf}
    )
    assert response.url.path == "/queue"
    assert "Approved" in response.text
    assert f'href="/queue/{draft_id}"' not in response.text
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and (draft.status, draft.text) == ("approved", "Hoi Anna, morgen in huis!")
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "draft.approve_edited")).one()
        assert audit.actor == "user:agent1"


def test_forms_without_a_valid_csrf_token_change_nothing(client: TestClient, services: Services) -> None:
    add_user(services)
    draft_id = post_mention(client)
    sign_in(client)
    assert client.post(f"/queue/{draft_id}/approve", data={"csrf_token": "forged"}).status_code == 403
    assert client.post(f"/queue/{draft_id}/reject", data={"reason": "x"}).status_code == 403
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == "pending"


def test_a_second_agent_is_told_the_draft_was_already_handled(client: TestClient, services: Services) -> None:
    add_user(services)
    draft_id = post_mention(client)
    csrf = sign_in(client)
    client.post(f"/queue/{draft_id}/reject", data={"reason": "duplicate question", "csrf_token": csrf})
    response = client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf})
    assert "already handled" in response.text or "is rejected" in response.text
    assert "duplicate question" in response.text


def test_a_draft_that_needs_a_senior_cannot_be_approved_by_an_agent(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    draft_id = post_mention(client, text="Dit is schandalig, ik stap naar mijn advocaat!")
    csrf = sign_in(client)
    response = client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf})
    assert "senior" in response.text
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == "pending" and draft.priority == "urgent"


def test_signing_out_revokes_the_session(client: TestClient, services: Services) -> None:
    add_user(services)
    csrf = sign_in(client)
    cookie = client.cookies.get("webcare_session")
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.set("webcare_session", cookie or "")
    assert client.get("/queue").url.path == "/login"


def test_customer_text_is_escaped(client: TestClient, services: Services) -> None:
    add_user(services)
    draft_id = post_mention(client, text="<script>alert(1)</script> hoe lang duurt de bezorging?")
    sign_in(client)
    for page in ("/queue", f"/queue/{draft_id}"):
        html = client.get(page).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_disabling_a_user_signs_them_out_and_blocks_sign_in(client: TestClient, services: Services) -> None:
    from bot import accounts
    from bot.models import User

    add_user(services)
    sign_in(client)
    assert client.get("/queue").url.path == "/queue"
    with Session(services.engine) as session:
        user = session.exec(select(User).where(User.username == "agent1")).one()
        accounts.disable_user(session, user=user, now=services.clock.now())
    assert client.get("/queue").url.path == "/login"
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"username": "agent1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 401
