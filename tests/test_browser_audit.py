"""Insights and the audit log in headless Chromium: plain words, a person filter, the CSV download."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import base_url, new_page, page, post_mention, sign_in

__all__ = ["base_url", "new_page", "page"]  # fixtures shared with test_browser


@pytest.mark.browser
def test_insights_and_the_audit_log_filtered_by_person_and_downloaded(
    new_page: Callable[[], Page], base_url: str, tmp_path: Path
) -> None:
    draft_id = post_mention(base_url, "m-1", text="Hoe lang duurt de bezorging?")
    other = new_page()
    sign_in(other, "agent2")
    page = new_page()
    sign_in(page)
    page.goto(f"/queue/{draft_id}")
    page.get_by_role("button", name="Escalate").click()

    page.goto("/insights?community=testshop&days=7")
    expect(page.locator("#manual-escalations")).to_have_text("1")
    expect(page.locator("svg.chart").first).to_be_visible()

    page.goto("/audit")
    expect(page.locator("td.action", has_text="signed in")).to_have_count(2)
    page.get_by_label("Who").select_option(label="agent2")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("td.action")).to_have_text(["signed in"])
    expect(page.locator("#audit-csv")).to_have_attribute("href", "/audit.csv?actor=user%3Aagent2")

    with page.expect_download() as info:
        page.locator("#audit-csv").click()
    saved = tmp_path / "audit.csv"
    info.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [r[1:3] for r in rows[1:]] == [["agent2", "signed in"]]
