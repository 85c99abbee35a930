"""Roles people can see, in headless Chromium: a refusal is a page to read, not JSON."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from bot.models import Customer, Mention
from bot.services import Services
from tests.conftest import add_user
from tests.test_browser import PASSWORD, base_url, new_page, page, post_mention, sign_in

__all__ = ["base_url", "new_page", "page"]  # fixtures shared with test_browser


@pytest.mark.browser
def test_an_agent_opening_users_gets_a_page_that_says_why_and_the_way_back(page: Page, base_url: str) -> None:
    sign_in(page)
    expect(page.get_by_role("link", name="Users")).to_have_count(0)  # not offered in the menu
    response = page.goto("/users")
    assert response is not None and response.status == 403
    assert "text/html" in response.headers["content-type"]
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("body")).to_contain_text("admin role")
    expect(page.locator("pre")).to_have_count(0)  # Chromium shows JSON in a <pre>


@pytest.mark.browser
def test_an_admin_erases_a_customer_from_the_item_after_a_page_that_names_them(
    page: Page, base_url: str, services: Services
) -> None:
    anna = post_mention(base_url, "m-1", text="Waar blijft mijn pakket?")
    post_mention(base_url, "m-2", text="Nog steeds niets?")
    bram = post_mention(
        base_url, "m-3", author_id="u-2", author={"id": "u-2", "handle": "bram", "name": "Bram"}
    )
    sign_in(page)  # an agent sees the button, disabled, and why
    page.goto(f"/queue/{anna}")
    erase = page.get_by_role("button", name="Erase this customer's data (GDPR)")
    expect(erase).to_be_disabled()
    expect(erase).to_have_accessible_description(re.compile("^Only an admin can erase a customer"))
    assert page.request.get(f"/queue/{anna}/erase").status == 403

    add_user(services, "root", role="admin", password=PASSWORD)
    page.context.clear_cookies()
    sign_in(page, "root")
    page.goto(f"/queue/{anna}")
    page.get_by_role("link", name=re.compile("Erase this customer's data")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase Anna de Wit (console @anna_w)?")
    expect(page.locator(".erase-counts")).to_contain_text("2 mentions")
    expect(page.locator(".erase-counts")).to_contain_text("2 drafts")
    expect(page.locator(".erase-counts")).to_contain_text("0 orders")
    with Session(services.engine) as session:  # nothing goes before the confirmation
        assert len(session.exec(select(Customer)).all()) == 2
    page.get_by_role("button", name=re.compile("Erase for good")).click()
    expect(page.get_by_role("status")).to_contain_text("Erased: Anna de Wit (console @anna_w)")
    expect(page.locator("tr.row")).to_have_count(1)
    expect(page.locator(f'tr.row[data-draft-id="{bram}"]')).to_be_visible()
    with Session(services.engine) as session:
        assert [c.handle for c in session.exec(select(Customer)).all()] == ["bram"]
        assert len(session.exec(select(Mention)).all()) == 1
    assert page.goto(f"/queue/{anna}") is not None
    expect(page.locator("body")).not_to_contain_text("Waar blijft mijn pakket?")
