"""Roles people can see, in headless Chromium: a refusal is a page to read, not JSON."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import base_url, new_page, page, sign_in

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
