"""Every route needs a signed-in user or an API token, except the few that must be public."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount

from bot.main import create_app
from bot.services import Services
from bot.settings import Settings
from tests.conftest import add_user
from tests.test_web import PASSWORD, sign_in

PUBLIC = re.compile(r"^(/login|/healthz|/webhooks/.*|/openapi\.json)$")


def _flat(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route with its full path; FastAPI 0.16x keeps included routers as nested branches."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            context_prefix = getattr(route.include_context, "prefix", "") or ""  # type: ignore[attr-defined]
            yield from _flat(nested.routes, prefix + context_prefix)
        else:
            yield prefix + getattr(route, "path", ""), route


def _routes(services: Services) -> list[tuple[str, str]]:
    app = create_app(services, run_jobs=False)
    found = []
    for path, route in _flat(app.routes):
        if isinstance(route, Mount):
            assert path == "/static", f"unexpected mount {path}"
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD" and not PUBLIC.match(path):
                found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return found


def test_every_route_but_sign_in_health_and_webhooks_needs_authentication(
    client: TestClient, services: Services
) -> None:
    routes = _routes(services)
    paths = {path for _, path in routes}
    # the walk really sees the app: pages, forms and the API
    assert {"/queue", "/queue/1", "/queue/1/approve", "/audit", "/guidelines", "/insights", "/users"} <= paths
    assert {"/account/sessions", "/account/sessions/revoke", "/account/sessions/revoke-others"} <= paths
    assert {"/users/1/role", "/users/1/sign-out", "/users/1/disable", "/users/1/enable"} <= paths
    assert any(path.startswith("/api/") for path in paths)
    for method, path in routes:
        response = client.request(method, path, follow_redirects=False)
        signed_out = response.status_code == 303 and response.headers["location"] == "/login"
        assert signed_out or response.status_code == 401, (method, path, response.status_code)


def test_the_api_refuses_a_browser_session(client: TestClient, services: Services) -> None:
    add_user(services)
    sign_in(client)
    api_routes = [(m, p) for m, p in _routes(services) if p.startswith("/api/") and isinstance(p, str)]
    assert api_routes
    for method, path in api_routes:
        assert client.request(method, path).status_code == 401, (method, path)


def test_only_public_routes_are_public(services: Services) -> None:
    app = create_app(services, run_jobs=False)
    public = sorted(p for p, r in _flat(app.routes) if isinstance(r, APIRoute) and PUBLIC.match(p))
    assert "/login" in public and "/healthz" in public
    assert all(p in ("/login", "/healthz") or p.startswith("/webhooks/") for p in public)


@pytest.mark.parametrize(
    ("role", "users_page", "can_edit_guidelines"),
    [("agent", 403, False), ("senior", 403, False), ("community_manager", 403, True), ("admin", 200, True)],
)
def test_roles_decide_who_manages_users_and_edits_guidelines(
    client: TestClient, services: Services, role: str, users_page: int, can_edit_guidelines: bool
) -> None:
    add_user(services, "person", role=role)
    csrf = sign_in(client, "person")
    assert client.get("/users").status_code == users_page
    page = client.get("/guidelines/file", params={"name": "guidelines/testshop.yaml"})
    assert page.status_code == 200
    assert ('<button type="submit" class="primary">Save</button>' in page.text) is can_edit_guidelines
    text = (services.registry.guidelines_dir / "testshop.yaml").read_text()
    response = client.post(
        "/guidelines/file",
        data={"name": "guidelines/testshop.yaml", "text": text + "\n# note\n", "csrf_token": csrf},
    )
    assert (response.status_code == 200) is can_edit_guidelines, response.status_code
    assert (
        "# note" in (services.registry.guidelines_dir / "testshop.yaml").read_text()
    ) is can_edit_guidelines


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(services: Services) -> None:
    settings = Settings(**{**services.settings.model_dump(), "cookie_secure": True})
    secure = Services(settings, services.engine, services.registry, services.senders, services.clock)
    add_user(services)
    with TestClient(create_app(secure, run_jobs=False), base_url="https://testserver") as client:
        login = client.get("/login")
        assert "httponly" in login.headers["set-cookie"].lower()
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token
        response = client.post(
            "/login",
            data={"username": "agent1", "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith("webcare_session=")
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_users_role_changes_the_rights_and_signs_the_user_out(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app as cli
    from bot.settings import get_settings

    add_user(services, "kim")
    sign_in(client, "kim")
    assert client.get("/users").status_code == 403
    monkeypatch.setenv("WEBCARE_DATABASE_URL", services.settings.database_url)
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(cli, ["users", "role", "kim", "admin"]).exit_code == 0
        wrong = CliRunner().invoke(cli, ["users", "role", "kim", "boss"])
    finally:
        get_settings.cache_clear()
    assert wrong.exit_code == 2 and "unknown role" in wrong.output
    assert client.get("/users").url.path == "/login"  # the old session ended
    sign_in(client, "kim")
    assert client.get("/users").status_code == 200


def test_a_refusal_in_the_web_app_is_a_page_and_the_api_keeps_json(
    client: TestClient, services: Services
) -> None:
    add_user(services, "kim")  # an agent
    sign_in(client, "kim")
    page = client.get("/users")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "Not allowed" in page.text and "This needs the admin role or higher." in page.text
    assert "Back to the queue" in page.text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Not found" in missing.text
    api = client.get("/api/v1/drafts/999999")
    assert api.headers["content-type"].startswith("application/json")
