"""Chromium: approve and next with undo, a live list with who is viewing, and the honest waiting state."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from bot.adapters.console import ConsoleSender
from bot.models import Draft
from bot.services import Services
from tests.test_browser import APPROVED, base_url, deliver, new_page, page, post_mention, row, sign_in

__all__ = ["base_url", "new_page", "page"]  # fixtures shared with test_browser


def _status(services: Services, draft_id: int) -> str:
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft.status


@pytest.mark.browser
def test_a_approves_and_moves_on_z_undoes(
    page: Page, base_url: str, services: Services, console_sender: ConsoleSender
) -> None:
    # a wide window: z must land inside it however slow a loaded CI machine drives the browser
    services.settings.undo_seconds = 120
    first = post_mention(base_url, "m-1", text="Hoe lang duurt de bezorging van mijn bestelling?")
    second = post_mention(base_url, "m-2", text="Wat is de levertijd?", author_id="u-2")
    sign_in(page)
    expect(page.locator("tr.row")).to_have_count(2)
    page.keyboard.press("j")
    expect(page.locator("tr.row.selected")).to_have_count(1)
    opened = int(page.locator("tr.row.selected").get_attribute("data-draft-id") or 0)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/queue/{opened}$"))

    page.keyboard.press("a")
    other = second if opened == first else first
    expect(page).to_have_url(re.compile(rf"/queue/{other}\?"))
    expect(page.get_by_role("status")).to_have_text(APPROVED)
    expect(page.locator("#undo-banner")).to_contain_text("The reply you just approved is waiting to be sent.")
    assert _status(services, opened) == "approved"

    page.keyboard.press("z")
    expect(page.get_by_role("status")).to_have_text(
        "Undone: nothing was sent; the draft is back in the queue."
    )
    expect(page).to_have_url(re.compile(rf"/queue/{opened}\?"))
    expect(page.locator("#approve")).to_be_visible()
    assert _status(services, opened) == "pending"
    deliver(services)  # a round after the window: there is nothing to send
    assert console_sender.sent == []


@pytest.mark.browser
def test_the_list_shows_new_items_and_who_is_viewing_without_a_reload(
    new_page: Callable[[], Page], base_url: str
) -> None:
    first = post_mention(base_url, "m-1")
    anna, bram = new_page(), new_page()
    sign_in(anna, "agent1")
    sign_in(bram, "agent2")
    expect(anna.locator("tr.row")).to_have_count(1)
    anna.evaluate("window.__same_page = true")

    arrived = post_mention(base_url, "m-2", text="Wat is de levertijd?", author_id="u-2")
    # polled in (every 5 s), no reload
    expect(row(anna, arrived)).to_be_visible(timeout=12_000)

    bram.goto(f"/queue/{first}")
    expect(row(anna, first)).to_contain_text("agent2 is viewing", timeout=12_000)
    assert anna.evaluate("window.__same_page") is True

    anna.goto(f"/queue/{first}")
    expect(anna.locator(".viewing")).to_have_text(re.compile(r"^agent2 is viewing this item too"))
    # bram learns it at his page's next heartbeat
    expect(bram.locator(".viewing")).to_have_text(
        re.compile(r"^agent1 is viewing this item too"), timeout=15_000
    )


@pytest.mark.browser
def test_an_approved_reply_without_a_platform_connection_says_it_waits(page: Page, base_url: str) -> None:
    draft_id = post_mention(base_url, "m-1", platform="telegram", channel="@testshop")
    sign_in(page)
    row(page, draft_id).get_by_role("link").click()
    page.locator("#approve").click()
    expect(page.get_by_role("status")).to_have_text(
        "Approved, but waiting: no Telegram connection, so nothing is sent until one is set up."
    )
    page.get_by_label("Status").select_option("approved")
    expect(row(page, draft_id)).to_contain_text("waiting: no Telegram connection")


@pytest.mark.browser
def test_a_double_click_on_approve_approves_once(
    page: Page, base_url: str, services: Services, console_sender: ConsoleSender
) -> None:
    draft_id = post_mention(base_url, "m-1")
    sign_in(page)
    page.goto(f"/queue/{draft_id}")
    page.locator("#approve").dblclick()
    expect(page.get_by_role("status")).to_have_text(APPROVED)
    expect(page.get_by_role("alert")).to_have_count(0)  # no "already handled" from a second submit
    deliver(services)
    deliver(services)
    assert len(console_sender.sent) == 1
