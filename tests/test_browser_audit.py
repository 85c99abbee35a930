"""Insights and the audit log in headless Chromium: plain words, a person filter, the CSV download."""

from __future__ import annotations

import csv
import io
import re
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

    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)  # for seniors and up
    page = new_page()
    sign_in(page, "lead")
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("td.action", has_text="signed in")).to_have_count(3)
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


@pytest.mark.browser
def test_a_person_reads_times_in_their_own_zone_and_language(
    new_page: Callable[[], Page], base_url: str
) -> None:
    post_mention(base_url, "m-1", text="Hoe lang duurt de bezorging?")
    page = new_page()
    sign_in(page, "lead")
    expect(page.locator("td.due .badge").first).to_contain_text("due in ")
    page.get_by_role("link", name=re.compile("lead · senior")).click()
    page.get_by_label("Times without a community").fill("America/New_York")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("Times now show in America/New_York.")).to_be_visible()
    page.get_by_label("Read dates and deadlines in").select_option("nl")
    page.get_by_role("button", name="Save").nth(1).click()
    expect(page.get_by_text("Dates and deadlines now read in Nederlands.")).to_be_visible()
    page.get_by_role("link", name="Audit log").click()
    signed_in = page.locator("tr", has=page.locator("td.action", has_text="logde in"))
    expect(signed_in.locator("td").first).to_have_text(re.compile(r"^\w+ \d+ \w+ \d\d:\d\d E[SD]T$"))
    page.get_by_role("link", name="Queue").click()
    # the item's own community keeps its zone (Amsterdam); the words are the reader's
    expect(page.locator("td.due .badge").first).to_have_text(re.compile(r"^over \d+u \d+min$"))
    expect(page.locator("td.due .moment").first).to_have_text(
        re.compile(r"^(vandaag|morgen) \d\d:\d\d CES?T$")
    )
