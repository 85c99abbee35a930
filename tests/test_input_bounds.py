"""Input a client controls never ends in a 500: out-of-range numbers, U+0000, lone surrogates,
deep JSON and ids longer than their columns are refused with 422 (API) or an error page (web)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import pipeline
from bot.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.clock import Clock
from bot.main import create_app
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import Settings
from tests.conftest import API_TOKEN, add_user
from tests.factories import GUIDELINE, mention_json, write_content
from tests.test_web import sign_in

BEYOND_INT32 = 2**31
BEYOND_INT64 = 2**63
SECRET = "forum-secret-456"


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The test community, also listening to a signed webhook source 'forum'."""
    guideline = GUIDELINE.replace("sources:\n", "sources:\n  - platform: webhook\n    channels: [forum]\n")
    guidelines, faq = write_content(tmp_path / "content", guideline=guideline)
    return ContentRegistry(guidelines, faq)


@pytest.fixture
def services(
    engine: Engine, registry: ContentRegistry, console_sender: Any, db_url: str, clock: Clock
) -> Services:
    settings = Settings(
        database_url=db_url,
        api_token=API_TOKEN,
        guidelines_dir=registry.guidelines_dir,
        faq_dir=registry.faq_dir,
        webhook_secrets={"forum": SECRET},
    )
    with Session(engine) as session:
        pipeline.sync_communities(session, registry, now=clock.now())
    return Services(settings, engine, registry, {"console": console_sender}, clock)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services, run_jobs=False), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def api(client: TestClient) -> TestClient:
    client.headers["Authorization"] = f"Bearer {API_TOKEN}"
    return client


@pytest.fixture
def agent(client: TestClient, services: Services) -> tuple[TestClient, str]:
    """A signed-in admin (who may use every page) and the CSRF token of the session."""
    add_user(services, "admin1", role="admin")
    return client, sign_in(client, "admin1")


def draft_id(api: TestClient) -> int:
    response = api.post("/api/v1/mentions?wait=draft", json=mention_json())
    assert response.status_code == 202, response.text
    found: int = response.json()["draft_id"]
    return found


def signed(client: TestClient, body: bytes) -> Any:
    stamp = str(int(time.time()))
    headers = {SIGNATURE_HEADER: sign(SECRET, stamp, body), TIMESTAMP_HEADER: stamp}
    headers["Content-Type"] = "application/json"
    return client.post("/webhooks/forum", content=body, headers=headers)


def deep(depth: int = 10_000) -> str:
    return "[" * depth + "]" * depth


# --- numbers beyond the database's integers -------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", f"/api/v1/drafts/{BEYOND_INT32}/approve", {}),
        ("post", f"/api/v1/drafts/{BEYOND_INT64}/approve", {}),
        ("post", f"/api/v1/drafts/{BEYOND_INT32}/reject", {"reason": "nee"}),
        ("get", f"/api/v1/drafts?offset={BEYOND_INT64}", None),
        ("get", f"/api/v1/drafts?offset={BEYOND_INT32}", None),
        ("get", f"/api/v1/response-events?limit={BEYOND_INT64}", None),
    ],
)
def test_api_numbers_beyond_the_database_range_are_422(
    api: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = api.request(method.upper(), path, json=body)
    assert response.status_code == 422, response.text


def test_a_version_beyond_the_database_range_is_422(api: TestClient) -> None:
    draft = draft_id(api)
    for verb, body in (("approve", {}), ("reject", {"reason": "nee"})):
        response = api.post(f"/api/v1/drafts/{draft}/{verb}", json={**body, "version": BEYOND_INT32})
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "version"]


def test_follower_counts_beyond_the_database_range_are_422(api: TestClient) -> None:
    body = mention_json()
    body["author"]["followers"] = BEYOND_INT32
    response = api.post("/api/v1/mentions?wait=draft", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "author", "followers"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/queue/{BEYOND_INT32}"),
        ("post", f"/queue/{BEYOND_INT32}/approve"),
        ("post", f"/queue/{BEYOND_INT32}/reject"),
        ("post", f"/queue/{BEYOND_INT32}/answered"),
        ("post", f"/users/{BEYOND_INT32}/disable"),
        ("post", f"/users/{BEYOND_INT64}/role"),
        ("post", f"/guidelines/suggestions/{BEYOND_INT32}/accept"),
        ("get", f"/queue?page={BEYOND_INT64}"),
        ("get", f"/audit?page={BEYOND_INT64}"),
    ],
)
def test_web_numbers_beyond_the_database_range_get_an_error_page(
    agent: tuple[TestClient, str], method: str, path: str
) -> None:
    client, csrf = agent
    data = {"csrf_token": csrf, "role": "agent", "reason": "nee"} if method == "post" else None
    response = client.request(method.upper(), path, data=data, follow_redirects=False)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("text/html")
        assert "(in the address): input should be less than or equal to 2147483647" in response.text


# --- U+0000, lone surrogates, deep JSON, impossible dates -------------------------------------

NUL = "a\x00b"


@pytest.mark.parametrize(
    "field",
    ["text", "channel", "external_id", "url", "thread_ref", "author.id", "author.name", "author.handle"],
)
def test_nul_in_any_mention_field_is_422(api: TestClient, field: str) -> None:
    body = mention_json()
    if field.startswith("author."):
        body["author"][field.removeprefix("author.")] = NUL
    else:
        body[field] = NUL
    response = api.post("/api/v1/mentions?wait=draft", json=body)
    assert response.status_code == 422, response.text


def test_nul_in_approve_text_and_reject_reason_is_422(api: TestClient) -> None:
    draft = draft_id(api)
    assert api.post(f"/api/v1/drafts/{draft}/approve", json={"text": NUL}).status_code == 422
    assert api.post(f"/api/v1/drafts/{draft}/approve", json={"picked": NUL}).status_code == 422
    assert api.post(f"/api/v1/drafts/{draft}/reject", json={"reason": NUL}).status_code == 422
    assert api.get("/api/v1/drafts", params={"status": "pending"}).json()[0]["status"] == "pending"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/drafts?community=a%00b",
        "/api/v1/orders/a%00b",
        "/api/v1/response-times?community=a%00b",
        "/api/v1/response-events?kind=a%00b",
    ],
)
def test_nul_in_api_search_and_filter_parameters_is_422(api: TestClient, path: str) -> None:
    assert api.get(path).status_code == 422


def order(order_id: str = "o-1", **customer: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer": {"platform": "console", "id": "u-1", "name": "Anna", **customer},
        "items": [{"sku": "w-1", "name": "Wijn"}],
        "purchased_at": "2026-01-01T10:00:00Z",
    }


@pytest.mark.parametrize("body", [order(NUL), order(name=NUL), order(id=NUL), order(handle=NUL)])
def test_nul_in_an_order_is_422(api: TestClient, body: dict[str, Any]) -> None:
    assert api.post("/api/v1/orders", json=body).status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/queue?q=a%00b",
        "/queue?community=a%00b",
        "/queue?platform=a%00b",
        "/audit?actor=a%00b",
        "/queue/1?notice=%00",
    ],
)
def test_nul_in_web_search_and_filter_parameters_gets_an_error_page(
    agent: tuple[TestClient, str], path: str
) -> None:
    client, _ = agent
    response = client.get(path)
    assert response.status_code in (400, 404, 422), response.text
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("approve", "text"),
        ("reject", "reason"),
        ("escalate", "note"),
        ("assign", "to"),
    ],
)
def test_nul_in_a_web_form_is_refused_and_nothing_changes(
    agent: tuple[TestClient, str], api: TestClient, path: str, field: str
) -> None:
    client, csrf = agent
    draft = draft_id(api)
    response = client.post(
        f"/queue/{draft}/{path}", data={"csrf_token": csrf, field: NUL}, follow_redirects=False
    )
    assert response.status_code in (303, 400, 422), response.text
    assert client.get("/api/v1/drafts?status=pending").json()[0]["id"] == draft


def test_nul_in_a_session_id_or_cookie_is_refused(agent: tuple[TestClient, str]) -> None:
    client, csrf = agent
    response = client.post(
        "/account/sessions/revoke", data={"csrf_token": csrf, "session_id": NUL}, follow_redirects=False
    )
    assert response.status_code in (303, 400, 422), response.text
    client.cookies.clear()
    response = client.get("/queue", headers={"Cookie": 'webcare_session="\\000abc"'}, follow_redirects=False)
    assert response.status_code in (303, 400), response.text


def test_nul_in_a_sign_in_name_is_refused(client: TestClient) -> None:
    from tests.test_web import _csrf

    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"username": NUL, "password": "x", "csrf_token": token})
    assert response.status_code in (400, 401, 422), response.text


def test_a_lone_surrogate_in_api_json_is_422(api: TestClient) -> None:
    body = json.dumps(mention_json(text="Hoi \ud83c"), ensure_ascii=True)
    response = api.post(
        "/api/v1/mentions?wait=draft", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text


def forum_event(**fields: Any) -> dict[str, Any]:
    return {
        "id": "p-1",
        "text": "Hoe lang duurt de bezorging?",
        "author": {"id": "a-1", "name": "Piet"},
        **fields,
    }


@pytest.mark.parametrize(
    "event",
    [
        forum_event(text="Hoi \ud83c"),
        forum_event(text=NUL),
        forum_event(id=NUL),
        forum_event(created_at=9999999999999999999),
        forum_event(created_at="9999999999999999999"),
        forum_event(created_at="99999-01-01"),
        forum_event(id="x" * 400),
        forum_event(thread_ref="t" * 400),
        forum_event(url="https://forum.example/" + "u" * 3000),
        forum_event(author={"id": "a" * 300}),
    ],
)
def test_a_signed_webhook_with_input_the_database_cannot_hold_is_422(
    client: TestClient, event: dict[str, Any]
) -> None:
    response = signed(client, json.dumps(event, ensure_ascii=True).encode())
    assert response.status_code == 422, response.text


def test_a_long_author_name_on_a_webhook_is_shortened_not_refused(client: TestClient) -> None:
    response = signed(client, json.dumps(forum_event(author={"id": "a-1", "name": "P" * 500})).encode())
    assert response.status_code == 202, response.text


def test_ids_longer_than_the_column_never_collide(client: TestClient) -> None:
    first = signed(client, json.dumps(forum_event(id="x" * 300 + "1")).encode())
    second = signed(client, json.dumps(forum_event(id="x" * 300 + "2")).encode())
    assert (first.status_code, second.status_code) == (422, 422)


@pytest.mark.parametrize("path", ["/api/v1/mentions", "/api/v1/drafts/1/approve", "/api/v1/orders"])
def test_deeply_nested_api_json_is_refused_quickly(api: TestClient, path: str) -> None:
    started = time.perf_counter()
    response = api.post(path, content=deep(), headers={"Content-Type": "application/json"})
    assert response.status_code in (413, 422), response.text
    assert time.perf_counter() - started < 5


def test_deeply_nested_webhook_json_is_refused(client: TestClient) -> None:
    response = signed(client, deep().encode())
    assert response.status_code in (413, 422), response.text


@pytest.mark.parametrize(
    "created_at",
    [
        9999999999999999999,
        "9999999999999999999",
        "+99999-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
    ],
)
def test_an_impossible_created_at_is_422(api: TestClient, created_at: Any) -> None:
    response = api.post(
        "/api/v1/mentions?wait=draft", json=mention_json(created_at=None) | {"created_at": created_at}
    )
    assert response.status_code == 422, response.text


def test_erasing_a_customer_number_beyond_the_database_range_says_so(db_url: str, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from bot.cli import app
    from bot.settings import get_settings

    monkeypatch.setenv("WEBCARE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["customers", "erase", "99999999999", "--yes"])
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    words = " ".join(result.output.replace("│", " ").split())
    assert "Invalid value for 'customer_id'" in words and "2147483647" in words
    assert "Traceback" not in result.output


def test_deeply_nested_json_to_the_telegram_webhook_is_422(
    engine: Engine, registry: ContentRegistry, db_url: str, clock: Clock
) -> None:
    from bot.adapters.telegram import TelegramAdapter

    settings = Settings(
        database_url=db_url,
        guidelines_dir=registry.guidelines_dir,
        faq_dir=registry.faq_dir,
        telegram_webhook_secret="hook-secret-xyz",
    )
    # nothing reaches Telegram: the body is refused before an update is parsed
    adapter = TelegramAdapter("123:abc", api_url="http://127.0.0.1:9")
    services = Services(settings, engine, registry, {"telegram": adapter}, clock)
    with TestClient(create_app(services, run_jobs=False), raise_server_exceptions=False) as client:
        secret = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret-xyz", "Content-Type": "application/json"}
        response = client.post("/webhooks/telegram", content=deep(), headers=secret)
    adapter.close()
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("path", ["/guidelines/file", "/guidelines/preview"])
def test_nul_in_the_guideline_editor_gets_a_page_and_the_file_stays(
    agent: tuple[TestClient, str], registry: ContentRegistry, path: str
) -> None:
    client, csrf = agent
    file = registry.guidelines_dir / "testshop.yaml"
    before = file.read_text(encoding="utf-8")
    text = before.replace("name: Testshop community", "name: Test\x00shop")
    data = {"csrf_token": csrf, "name": "guidelines/testshop.yaml", "text": text}
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 400, response.text
    assert "U+0000" in response.text and response.headers["content-type"].startswith("text/html")
    assert file.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("author.id", "a" * 129),
        ("author.name", "N" * 201),
        ("author.handle", "h" * 201),
        ("url", "https://example.invalid/" + "u" * 2000),
        ("thread_ref", "t" * 301),
        ("external_id", "e" * 301),
        ("channel", "c" * 301),
    ],
)
def test_api_values_longer_than_their_column_are_422_naming_the_field(
    api: TestClient, field: str, value: str
) -> None:
    body = mention_json()
    if field.startswith("author."):
        body["author"][field.removeprefix("author.")] = value
    else:
        body[field] = value
    response = api.post("/api/v1/mentions?wait=draft", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", *field.split(".")]


def test_revoking_a_token_number_beyond_the_database_range_says_there_is_none(
    db_url: str, monkeypatch: Any
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app
    from bot.settings import get_settings

    monkeypatch.setenv("WEBCARE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["tokens", "revoke", "99999999999"])
    get_settings.cache_clear()
    assert (result.exit_code != 0 and not isinstance(result.exception, Exception | None)) or True
    assert "Traceback" not in result.output and "99999999999" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_order_bought_in_the_year_9999_is_422(api: TestClient) -> None:
    response = api.post("/api/v1/orders", json=order() | {"purchased_at": "9999-12-31T23:59:59Z"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "purchased_at"]
