"""The review queue in real headless Chromium: what an agent sees and does."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    expect,
)
from sqlmodel import Session

from bot import pipeline
from bot.adapters.console import ConsoleSender
from bot.clock import Clock
from bot.main import create_app
from bot.services import Services
from tests.conftest import API_TOKEN, add_user
from tests.factories import mention_json
from tests.live_server import serve

PASSWORD = "correct horse battery"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# the reply waits in the undo window (settings.undo_seconds) before delivery may take it
APPROVED = re.compile(r"^Approved: the reply goes out in \d+ seconds unless you undo it\.")


@pytest.fixture
def base_url(services: Services) -> Iterator[str]:
    """The app on a fresh database, served on 127.0.0.1, with agents agent1 and agent2 and a senior."""
    add_user(services, "agent1", password=PASSWORD)
    add_user(services, "agent2", password=PASSWORD)
    add_user(services, "lead", role="senior", password=PASSWORD)
    with serve(create_app(services, run_jobs=False)) as url:
        yield url


@pytest.fixture
def new_page(browser: Browser, base_url: str) -> Iterator[Callable[[], Page]]:
    """Open a page in a fresh browser context (its own cookies), closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    """A page in a fresh browser context."""
    return new_page()


def post_mention(base_url: str, external_id: str = "m-1", **fields: Any) -> int:
    """Post a mention through the API as an integration would; return its draft's id."""
    response = httpx.post(
        f"{base_url}/api/v1/mentions?wait=draft",
        json=mention_json(external_id, **fields),
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        trust_env=False,
    )
    assert response.status_code == 202, response.text
    draft_id = response.json()["draft_id"]
    assert isinstance(draft_id, int)
    return draft_id


def sign_in(page: Page, username: str = "agent1", password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def deliver(services: Services) -> None:
    """Run one delivery round, as the background job would."""
    with Session(services.engine) as session:
        # a delivery round after the undo window has passed
        later = services.clock.now() + timedelta(seconds=services.settings.undo_seconds)
        pipeline.deliver_due(session, services.senders, now=later, worker="t")


def row(page: Page, draft_id: int) -> Locator:
    """The queue row of a draft."""
    return page.locator(f'tr.row[data-draft-id="{draft_id}"]')


@pytest.mark.browser
def test_only_the_right_password_opens_the_queue(page: Page, base_url: str) -> None:
    post_mention(base_url, "m-1", text="Hoe lang duurt de bezorging van mijn bestelling?")
    post_mention(base_url, "m-2", text="How fast do you deliver?", author_id="u-2")

    page.goto("/queue")
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, password="not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.locator("tr.row")).to_have_count(0)

    sign_in(page)
    expect(page).to_have_url(f"{base_url}/queue")
    expect(page.get_by_role("heading", name="Review queue")).to_contain_text("2 pending")
    expect(page.get_by_text("agent1 · agent")).to_be_visible()
    rows = page.locator("tr.row td.text")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Hoe lang duurt de bezorging")).to_be_visible()
    expect(rows.filter(has_text="How fast do you deliver?")).to_be_visible()


@pytest.mark.browser
def test_an_edited_draft_is_approved_and_sent_once_as_edited(
    page: Page, base_url: str, services: Services, console_sender: ConsoleSender
) -> None:
    draft_id = post_mention(base_url)
    sign_in(page)
    page.get_by_role("link", name=re.compile("Hoe lang duurt de bezorging")).click()
    expect(page).to_have_url(f"{base_url}/queue/{draft_id}")
    textarea = page.locator("#draft-text")
    expect(textarea).to_have_value(re.compile("1 tot 2 werkdagen"))

    edited = "Hoi Anna, je bestelling komt morgen tussen 9 en 12 uur. Groet, Team Testshop"
    textarea.fill(edited)
    page.get_by_role("button", name="Approve and send").click()

    expect(page).to_have_url(re.compile(r"/queue\?notice="))
    expect(page.get_by_role("status")).to_have_text(APPROVED)
    expect(row(page, draft_id)).to_have_count(0)
    expect(page.get_by_text("Nothing to review")).to_be_visible()
    assert console_sender.sent == []

    deliver(services)
    deliver(services)
    assert [message.text for message in console_sender.sent] == [edited]


@pytest.mark.browser
def test_a_rejected_draft_leaves_the_queue_and_shows_the_reason(
    page: Page, base_url: str, services: Services, console_sender: ConsoleSender
) -> None:
    draft_id = post_mention(base_url)
    sign_in(page)
    row(page, draft_id).get_by_role("link").click()
    page.locator("#reject-reason").fill("Already answered by phone")
    page.get_by_role("button", name="Reject", exact=True).click()

    expect(page.get_by_role("status")).to_have_text("Rejected: nothing was sent.")
    expect(row(page, draft_id)).to_have_count(0)
    deliver(services)
    assert console_sender.sent == []

    page.goto(f"/queue/{draft_id}")
    expect(page.locator(".draft .status")).to_have_text("rejected")
    expect(page.locator(".draft .meta")).to_have_text("rejected by user:agent1: Already answered by phone")
    expect(page.get_by_role("button", name="Approve and send")).to_have_count(0)


@pytest.mark.browser
def test_the_queue_shows_the_nearest_deadline_first(page: Page, base_url: str, clock: Clock) -> None:
    now = clock.now()
    post_mention(
        base_url, "late", text="Wanneer wordt mijn bestelling bezorgd?", created_at=now - timedelta(minutes=1)
    )
    early = post_mention(
        base_url,
        "early",
        text="Wat is de levertijd?",
        created_at=now - timedelta(hours=5),
        author_id="u-2",
    )
    # a legal threat is urgent (a one-hour target), so it comes first although it is the newest
    post_mention(base_url, "legal", text="Ik schakel mijn advocaat in", author_id="u-3")
    sign_in(page)

    rows = page.locator("tr.row")
    expect(rows.locator(".mention-line")).to_have_text(
        ["Ik schakel mijn advocaat in", "Wat is de levertijd?", "Wanneer wordt mijn bestelling bezorgd?"]
    )
    expect(rows.locator(".prio")).to_have_text(["urgent", "normal", "normal"])
    expect(rows.first.locator(".badge")).to_have_class(re.compile(r"\bat-risk\b"))
    expect(rows.first.locator(".badge")).to_have_text(re.compile(r"^due in \d+m$"))

    if os.environ.get("WEBCARE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "queue.png", full_page=True)
        row(page, early).get_by_role("link").click()
        expect(page.locator("#draft-text")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / "item.png", full_page=True)


@pytest.mark.browser
def test_hostile_mention_text_is_shown_as_text_and_never_runs(page: Page, base_url: str) -> None:
    text = f"Waar blijft mijn pakket? {HOSTILE}"
    author = {"id": "u-eve", "handle": "eve", "name": f"Eve {HOSTILE}", "followers": 3}
    draft_id = post_mention(base_url, "evil", text=text, author=author)
    dialogs: list[str] = []
    csp_reports: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            csp_reports.append(message.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    sign_in(page)

    expect(row(page, draft_id).locator(".mention-line")).to_have_text(text)
    expect(page.get_by_text("<script>window.__pwned=1</script>")).to_be_visible()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    expect(page.locator("main img")).to_have_count(0)

    row(page, draft_id).get_by_role("link").click()
    expect(page.locator("blockquote.customer-text")).to_have_text(text)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Eve {HOSTILE}")
    expect(page.get_by_text("<script>window.__pwned=1</script>").first).to_be_visible()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    expect(page.locator("main img")).to_have_count(0)

    assert dialogs == []
    # escaping, not the Content-Security-Policy, must be what keeps the markup inert
    assert csp_reports == []


@pytest.mark.browser
def test_a_draft_two_agents_approve_is_sent_once(
    new_page: Callable[[], Page], base_url: str, services: Services, console_sender: ConsoleSender
) -> None:
    draft_id = post_mention(base_url)
    first, second = new_page(), new_page()
    sign_in(first, "agent1")
    sign_in(second, "agent2")
    for agent in (first, second):
        agent.goto(f"/queue/{draft_id}")
        expect(agent.get_by_role("button", name="Approve and send")).to_be_visible()

    first.locator("#draft-text").fill("Hoi Anna, je bestelling komt morgen.")
    first.get_by_role("button", name="Approve and send").click()
    expect(first.get_by_role("status")).to_have_text(APPROVED)

    second.locator("#draft-text").fill("Een andere versie van het antwoord.")
    second.get_by_role("button", name="Approve and send").click()
    expect(second).to_have_url(re.compile(rf"/queue/{draft_id}\?error="))
    expect(second.get_by_role("alert")).to_have_text(
        "Not approved: this draft was already handled: it is approved by user:agent1."
    )
    expect(second.locator(".draft .status")).to_have_text("approved")
    expect(second.locator(".draft .meta")).to_have_text("approved by user:agent1")

    deliver(services)
    deliver(services)
    assert [message.text for message in console_sender.sent] == ["Hoi Anna, je bestelling komt morgen."]


@pytest.mark.browser
def test_an_unedited_draft_is_sent_with_the_line_breaks_the_agent_saw(
    page: Page, base_url: str, services: Services, console_sender: ConsoleSender
) -> None:
    draft_id = post_mention(base_url)
    sign_in(page)
    page.goto(f"/queue/{draft_id}")
    shown = page.locator("#draft-text").input_value()
    assert "\n" in shown
    page.get_by_role("button", name="Approve and send").click()
    expect(page.get_by_role("status")).to_have_text(APPROVED)

    deliver(services)
    assert [message.text for message in console_sender.sent] == [shown]
