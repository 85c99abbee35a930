"""Sessions people can see and revoke, and user administration: roles, sign-outs, the last admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.models import AuditEvent, User, UserSession
from bot.services import Services
from bot.settings import get_settings
from bot.web.account import describe_agent
from tests.conftest import API_TOKEN, add_user
from tests.factories import mention_json
from tests.test_web import sign_in

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Mobile Safari/537.36"
)


def _browser(client: TestClient, user_agent: str) -> TestClient:
    """Another browser on the same app, with its own cookies."""
    return TestClient(client.app, headers={"User-Agent": user_agent})


def _signed_in(client: TestClient) -> bool:
    return client.get("/queue", follow_redirects=False).status_code == 200


def _user_id(services: Services, username: str) -> int:
    with Session(services.engine) as session:
        user_id = session.exec(select(User.id).where(User.username == username)).one()
        assert user_id is not None
        return user_id


def _audit(services: Services, action: str) -> list[AuditEvent]:
    with Session(services.engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def _session_ids(services: Services, username: str) -> list[str]:
    user_id = _user_id(services, username)
    with Session(services.engine) as session:
        rows = session.exec(select(UserSession).where(UserSession.user_id == user_id)).all()
        return [row.id for row in rows if row.revoked_at is None]


def test_the_sessions_page_lists_each_browser_and_marks_this_one(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    sign_in(_browser(client, FIREFOX))
    sign_in(client)
    page = client.get("/account/sessions").text
    rows = re.findall(r'<tr class="session-row( current)?">(.*?)</tr>', page, re.S)
    assert len(rows) == 2
    current = [body for marker, body in rows if marker]
    other = [body for marker, body in rows if not marker]
    assert len(current) == 1 and "this session" in current[0] and "testclient" in current[0]
    assert "Firefox on Windows" in other[0] and "Revoke" in other[0]
    assert "Sign out everywhere else" in page
    assert 'href="/account/sessions"' in client.get("/queue").text  # reachable from every page


def test_a_revoked_session_is_signed_out_on_its_next_request(client: TestClient, services: Services) -> None:
    add_user(services)
    laptop = _browser(client, FIREFOX)
    sign_in(laptop)
    csrf = sign_in(client)
    laptop_session = re.search(
        r'<td title="[^"]*Firefox[^"]*">.*?name="session_id" value="([0-9a-f]+)"',
        client.get("/account/sessions").text,
        re.S,
    ).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/account/sessions/revoke", data={"session_id": laptop_session, "csrf_token": csrf}
    )
    assert "Signed out the session on Firefox on Windows." in response.text
    assert laptop.get("/queue").url.path == "/login"
    assert _signed_in(client)
    [event] = _audit(services, "user.session_revoke")
    assert event.actor == "user:agent1" and event.after["browser"] == "Firefox on Windows"


def test_sign_out_everywhere_else_keeps_only_this_browser(client: TestClient, services: Services) -> None:
    add_user(services)
    others = [_browser(client, FIREFOX), _browser(client, PHONE)]
    for other in others:
        sign_in(other)
    csrf = sign_in(client)
    response = client.post("/account/sessions/revoke-others", data={"csrf_token": csrf})
    assert "Signed out everywhere else (2 sessions)." in response.text
    assert [_signed_in(other) for other in others] == [False, False]
    assert _signed_in(client)
    assert response.text.count('class="session-row') == 1
    [event] = _audit(services, "user.sign_out_elsewhere")
    assert event.after == {"sessions_ended": 2}


def test_nobody_can_revoke_someone_elses_session(client: TestClient, services: Services) -> None:
    add_user(services)
    add_user(services, "agent2")
    colleague = _browser(client, FIREFOX)
    sign_in(colleague, "agent2")
    csrf = sign_in(client)
    [theirs] = _session_ids(services, "agent2")
    response = client.post("/account/sessions/revoke", data={"session_id": theirs, "csrf_token": csrf})
    assert "That session had already ended." in response.text
    assert _signed_in(colleague)


def test_revoking_without_the_csrf_token_is_refused(client: TestClient, services: Services) -> None:
    add_user(services)
    laptop = _browser(client, FIREFOX)
    sign_in(laptop)
    sign_in(client)
    [laptop_session] = [s for s in _session_ids(services, "agent1") if s != _current(client, services)]
    assert client.post("/account/sessions/revoke", data={"session_id": laptop_session}).status_code == 403
    forged = {"session_id": laptop_session, "csrf_token": "forged"}
    assert client.post("/account/sessions/revoke", data=forged).status_code == 403
    assert client.post("/account/sessions/revoke-others").status_code == 403
    assert _signed_in(laptop)


def _current(client: TestClient, services: Services) -> str:
    from bot.accounts import hash_token

    return hash_token(client.cookies.get("webcare_session") or "")


def test_the_session_in_use_is_signed_out_with_sign_out_not_revoke(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    csrf = sign_in(client)
    mine = {"session_id": _current(client, services), "csrf_token": csrf}
    response = client.post("/account/sessions/revoke", data=mine)
    assert "use Sign out at the top instead" in response.text
    assert _signed_in(client)


def test_last_seen_moves_when_the_session_is_used_after_a_while(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    sign_in(client)
    long_ago = services.clock.now() - timedelta(hours=3)
    with Session(services.engine) as session:
        row = session.get(UserSession, _current(client, services))
        assert row is not None
        row.last_seen_at = long_ago
        session.add(row)
        session.commit()
    client.get("/queue")
    with Session(services.engine) as session:
        row = session.get(UserSession, _current(client, services))
        assert row is not None and row.last_seen_at is not None
        assert row.last_seen_at > services.clock.now() - timedelta(minutes=1)


@pytest.fixture
def admin(client: TestClient, services: Services) -> str:
    """Signed in as the admin "root"; yields the CSRF token."""
    add_user(services, "root", role="admin")
    return sign_in(client, "root")


def test_an_admin_changes_a_role_and_the_user_is_signed_out(
    client: TestClient, services: Services, admin: str
) -> None:
    add_user(services, "kim")
    kim = _browser(client, FIREFOX)
    sign_in(kim, "kim")
    kim_id = _user_id(services, "kim")
    response = client.post(f"/users/{kim_id}/role", data={"role": "senior", "csrf_token": admin})
    assert "kim is now senior and was signed out" in response.text
    assert kim.get("/queue").url.path == "/login"
    sign_in(kim, "kim")
    assert "kim · senior" in kim.get("/queue").text
    [event] = _audit(services, "user.role")
    assert (event.actor, event.object_id, event.before, event.after) == (
        "user:root",
        str(kim_id),
        {"role": "agent"},
        {"role": "senior"},
    )
    bad = client.post(f"/users/{kim_id}/role", data={"role": "boss", "csrf_token": admin})
    assert "Role not changed: unknown role" in bad.text


@pytest.mark.parametrize("role", ["agent", "senior", "community_manager"])
def test_only_admins_change_roles_or_sign_people_out(
    client: TestClient, services: Services, role: str
) -> None:
    add_user(services, "root", role="admin")
    admin_browser = _browser(client, FIREFOX)
    sign_in(admin_browser, "root")
    add_user(services, "person", role=role)
    csrf = sign_in(client, "person")
    root_id, my_id = _user_id(services, "root"), _user_id(services, "person")
    forms = [
        (f"/users/{root_id}/role", {"role": "agent"}),
        (f"/users/{my_id}/role", {"role": "admin"}),
        (f"/users/{root_id}/sign-out", {}),
        (f"/users/{root_id}/disable", {}),
        (f"/users/{root_id}/enable", {}),
    ]
    for path, data in forms:
        assert client.post(path, data={**data, "csrf_token": csrf}).status_code == 403, path
    with Session(services.engine) as session:
        roles = {u.username: (u.role, u.disabled) for u in session.exec(select(User))}
    assert roles == {"root": ("admin", False), "person": (role, False)}
    assert _signed_in(admin_browser)
    assert [e.action for e in _audit(services, "user.role")] == []


def test_role_changes_need_the_csrf_token(client: TestClient, services: Services, admin: str) -> None:
    add_user(services, "kim")
    kim_id = _user_id(services, "kim")
    assert client.post(f"/users/{kim_id}/role", data={"role": "admin"}).status_code == 403
    forged = {"role": "admin", "csrf_token": "forged"}
    assert client.post(f"/users/{kim_id}/role", data=forged).status_code == 403
    assert client.post(f"/users/{kim_id}/sign-out").status_code == 403
    with Session(services.engine) as session:
        assert session.get(User, kim_id).role == "agent"  # type: ignore[union-attr]


def test_the_last_admin_cannot_demote_themselves(client: TestClient, services: Services, admin: str) -> None:
    root_id = _user_id(services, "root")
    response = client.post(f"/users/{root_id}/role", data={"role": "agent", "csrf_token": admin})
    assert "Role not changed: root is the last admin; make someone else admin first." in response.text
    assert _signed_in(client) and "root · admin" in client.get("/queue").text
    assert _audit(services, "user.role") == []


def test_with_a_second_admin_an_admin_may_step_down(
    client: TestClient, services: Services, admin: str
) -> None:
    add_user(services, "ada", role="admin")
    root_id, ada_id = _user_id(services, "root"), _user_id(services, "ada")
    response = client.post(
        f"/users/{root_id}/role",
        data={"role": "community_manager", "csrf_token": admin},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/login"  # the change ended root's own session too
    assert not _signed_in(client)
    ada = _browser(client, FIREFOX)
    csrf = sign_in(ada, "ada")
    refused = ada.post(f"/users/{ada_id}/role", data={"role": "agent", "csrf_token": csrf})
    assert "ada is the last admin" in refused.text
    refused = ada.post(f"/users/{ada_id}/disable", data={"csrf_token": csrf})
    assert "you cannot disable yourself" in refused.text


def test_the_cli_cannot_remove_the_last_admin_either(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(services, "root", role="admin")
    monkeypatch.setenv("WEBCARE_DATABASE_URL", services.settings.database_url)
    get_settings.cache_clear()
    try:
        demote = CliRunner().invoke(cli, ["users", "role", "root", "agent"])
        disable = CliRunner().invoke(cli, ["users", "disable", "root"])
    finally:
        get_settings.cache_clear()
    assert demote.exit_code == 2 and "last admin" in demote.output
    assert disable.exit_code == 2 and "last admin" in disable.output
    with Session(services.engine) as session:
        root = session.exec(select(User).where(User.username == "root")).one()
        assert (root.role, root.disabled) == ("admin", False)


def test_an_admin_signs_a_user_out_everywhere(client: TestClient, services: Services, admin: str) -> None:
    add_user(services, "kim")
    browsers = [_browser(client, FIREFOX), _browser(client, PHONE)]
    for browser in browsers:
        sign_in(browser, "kim")
    kim_id = _user_id(services, "kim")
    page = client.get("/users").text
    assert re.search(
        rf'<td class="open-sessions">2\s*<form method="post" action="/users/{kim_id}/sign-out"', page
    )
    response = client.post(f"/users/{kim_id}/sign-out", data={"csrf_token": admin})
    assert "kim signed out: 2 sessions ended." in response.text
    assert [_signed_in(b) for b in browsers] == [False, False]
    [event] = _audit(services, "user.sign_out_everywhere")
    assert (event.actor, event.after) == ("user:root", {"sessions_ended": 2})


def test_disabling_in_the_web_signs_the_user_out_and_enabling_lets_them_back(
    client: TestClient, services: Services, admin: str
) -> None:
    add_user(services, "kim")
    kim = _browser(client, FIREFOX)
    sign_in(kim, "kim")
    kim_id = _user_id(services, "kim")
    response = client.post(f"/users/{kim_id}/disable", data={"csrf_token": admin})
    assert "User kim disabled and signed out." in response.text
    assert kim.get("/queue").url.path == "/login"
    response = client.post(f"/users/{kim_id}/enable", data={"csrf_token": admin})
    assert "User kim can sign in again." in response.text
    sign_in(kim, "kim")
    assert _signed_in(kim)
    assert [e.action for e in _audit(services, "user.disable") + _audit(services, "user.enable")] == [
        "user.disable",
        "user.enable",
    ]


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (FIREFOX, "Firefox on Windows"),
        (PHONE, "Chrome on Android"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            " Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        ("curl/8.5.0", "curl/8.5.0"),
        (None, "unknown browser"),
    ],
)
def test_browsers_are_named_the_way_people_know_them(user_agent: str | None, shown: str) -> None:
    assert describe_agent(user_agent) == shown


def test_a_person_sets_their_time_zone_and_sees_their_sessions_in_it(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    token = sign_in(client)
    # the zone's name for the season the time falls in: CET or CEST, EST or EDT
    assert re.search(r"<td>\S+ \d+ \w+ \d\d:\d\d CES?T</td>", client.get("/account/sessions").text)
    page = client.post("/account/timezone", data={"timezone": "America/New_York", "csrf_token": token}).text
    assert "Times now show in America/New_York." in page
    assert re.search(r"<td>\S+ \d+ \w+ \d\d:\d\d E[SD]T</td>", page) and not re.search(" CES?T</td>", page)
    refused = client.post("/account/timezone", data={"timezone": "Mars/Olympus", "csrf_token": token}).text
    assert "not a time zone we know" in refused and re.search(" E[SD]T</td>", refused)
    with Session(services.engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "user.timezone")).all()
        assert [e.after for e in events] == [{"timezone": "America/New_York"}]


def test_a_person_reads_dates_and_deadlines_in_dutch_and_admins_see_each_persons_choice(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    add_user(services, "boss", role="admin")
    token = sign_in(client)
    post = mention_json("m-nl", created_at=services.clock.now())
    client.post("/api/v1/mentions?wait=draft", json=post, headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert "due in " in client.get("/queue").text
    page = client.post("/account/language", data={"language": "nl", "csrf_token": token}).text
    assert "Dates and deadlines now read in Nederlands." in page
    queue = client.get("/queue").text
    assert re.search(r'<span class="badge [a-z-]+">over \d+u \d+min</span>', queue), queue
    assert re.search(r'<span class="moment">(vandaag|morgen) \d\d:\d\d CES?T</span>', queue)
    refused = client.post("/account/language", data={"language": "fr", "csrf_token": token}).text
    assert "Choose one of en, nl" in refused
    client.post("/account/timezone", data={"timezone": "Europe/London", "csrf_token": token})
    sign_in(client, "boss")
    users = client.get("/users").text
    zones = re.findall(r'<td class="user-zone">([^<]+)</td>', users)
    assert zones == ["Europe/London · Nederlands", "Europe/Amsterdam (default) · English"]  # agent1, boss
