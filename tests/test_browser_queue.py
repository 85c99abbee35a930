"""The queue in real headless Chromium: keyboard flow, filters, item actions, the guideline editor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlmodel import Session

from bot.models import Draft
from bot.services import Services
from tests.conftest import add_user
from tests.test_browser import (
    APPROVED,
    HOSTILE,
    PASSWORD,
    base_url,
    new_page,
    page,
    post_mention,
    row,
    sign_in,
)
from tests.test_web_alerts import time_passes, watch_round

__all__ = ["base_url", "new_page", "page"]  # fixtures shared with test_browser


def _watch_console(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


@pytest.mark.browser
def test_an_agent_works_the_queue_with_the_keyboard(page: Page, base_url: str, services: Services) -> None:
    first = post_mention(base_url, "m-1", text="Hoe lang duurt de bezorging van mijn bestelling?")
    second = post_mention(base_url, "m-2", text="Wat is de levertijd?", author_id="u-2")
    problems = _watch_console(page)
    sign_in(page)
    expect(page.locator("tr.row")).to_have_count(2)

    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("dialog")).to_contain_text("next / previous item")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    page.keyboard.press("j")
    expect(page.locator("tr.row.selected")).to_have_count(1)
    selected = page.locator("tr.row.selected").get_attribute("data-draft-id")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(page.locator("tr.row.selected")).to_have_attribute("data-draft-id", selected or "")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/queue/{selected}$"))

    page.keyboard.press("e")
    expect(page.locator("#draft-text")).to_be_focused()
    page.keyboard.type(" Fijne dag!")
    page.keyboard.press("Escape")
    page.keyboard.press("a")  # approve and next: the other item of the view opens
    other = second if selected == str(first) else first
    expect(page).to_have_url(re.compile(rf"/queue/{other}\?"))
    expect(page.get_by_role("status")).to_have_text(APPROVED)
    page.keyboard.press("r")  # the reason's category first: arrow keys choose, Tab goes on to the words
    expect(page.get_by_role("radio", name="other")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.get_by_role("radio", name="should not reply")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#reject-reason")).to_be_focused()
    page.keyboard.type("al beantwoord per mail")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Rejected: nothing was sent.")
    expect(page.locator("tr.row")).to_have_count(0)

    with Session(services.engine) as session:
        approved, rejected = session.get(Draft, int(selected or 0)), session.get(Draft, other)
        assert approved is not None and approved.status == "approved" and approved.text.endswith("Fijne dag!")
        assert rejected is not None and rejected.reject_reason == "al beantwoord per mail"
        assert rejected.reject_category == "should_not_reply"
    assert problems == []


@pytest.mark.browser
def test_search_and_filters_update_the_list_in_place(page: Page, base_url: str) -> None:
    post_mention(base_url, "m-1", text="Hoe lang duurt de bezorging van mijn bestelling?")
    english = post_mention(base_url, "m-2", text="How fast do you deliver?", author_id="u-2")
    problems = _watch_console(page)
    sign_in(page)
    page.evaluate("window.__same_page = true")
    page.get_by_label("Search").fill("deliver")
    expect(page.locator("tr.row")).to_have_count(1)
    expect(row(page, english)).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=deliver"))
    page.get_by_label("Search").fill("")
    expect(page.locator("tr.row")).to_have_count(2)
    page.get_by_label("Sentiment").select_option("negative")
    expect(page.get_by_text("Nothing to review with these filters")).to_be_visible()
    expect(page.locator("#count")).to_have_text("0 pending")
    assert page.evaluate("window.__same_page") is True  # htmx swapped the results, no page load
    assert problems == []


@pytest.mark.browser
def test_item_actions_alternatives_and_hostile_text_in_the_thread(
    page: Page, base_url: str, services: Services
) -> None:
    post_mention(base_url, "m-0", text=f"Eerder: {HOSTILE}", thread_ref="t-1")
    draft_id = post_mention(base_url, "m-1", text="Hoe lang duurt de bezorging?", thread_ref="t-1")
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        draft.alternatives = [
            {"faq_id": "levertijd-kort", "question": "Snel?", "text": "Morgen in huis!", "confidence": 0.5},
            {"faq_id": "x", "question": HOSTILE, "text": f"Alternatief {HOSTILE}", "confidence": 0.4},
        ]
        session.add(draft)
        session.commit()
    problems = _watch_console(page)
    sign_in(page)
    page.goto(f"/queue/{draft_id}")
    expect(page.locator(".thread")).to_contain_text("<script>window.__pwned=1</script>")
    page.get_by_role("button", name="Use alternative 1").click()
    expect(page.locator("#draft-text")).to_have_value("Morgen in huis!")
    page.get_by_role("button", name="Use alternative 2").click()
    expect(page.locator("#draft-text")).to_have_value(f"Alternatief {HOSTILE}")
    page.get_by_role("button", name="Back to the bot's draft").click()
    expect(page.locator("#draft-text")).to_have_value(re.compile("1 tot 2 werkdagen"))

    page.get_by_label("Assign to").select_option("agent2")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_have_text("Assigned to agent2.")
    page.get_by_label("Escalation note").fill("journalist")
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_role("status")).to_have_text("Escalated: a senior has to approve this one.")
    expect(page).to_have_url(re.compile(r"/queue/\d+\?"))  # the next item of the view (the thread's first)
    page.locator("#back").click()
    expect(row(page, draft_id).locator(".tag.esc")).to_be_visible()
    row(page, draft_id).get_by_role("link").click()
    # what an agent may not do is there, disabled, with the reason beside it (and read out with it)
    approve = page.get_by_role("button", name="Approve and send")
    expect(approve).to_be_disabled()
    expect(approve).to_have_accessible_description(re.compile("^Only a senior can approve this draft"))
    expect(page.get_by_role("button", name="Reject", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Mark answered")).to_be_disabled()
    expect(page.locator("#approve-why")).to_be_visible()
    page.keyboard.press("a")  # the shortcut does not get round it
    expect(page).to_have_url(re.compile(rf"/queue/{draft_id}(\?|$)"))
    expect(approve).to_be_disabled()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert problems == []


@pytest.mark.browser
def test_a_community_manager_fixes_a_guideline_after_a_validation_error(
    page: Page, base_url: str, services: Services
) -> None:
    add_user(services, "cm", role="community_manager", password=PASSWORD)
    path = services.registry.guidelines_dir / "testshop.yaml"
    sign_in(page, "cm")
    page.get_by_role("link", name="Guidelines").click()
    page.get_by_role("link", name="guidelines/testshop.yaml").click()
    editor = page.get_by_label("Content (YAML)")
    original = editor.input_value()
    editor.fill(original.replace("normal: 24h", "normal: whenever"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Not saved: the file has 1 error")
    expect(page.locator(".content-errors li")).to_have_text(
        re.compile(r"testshop\.yaml:\d+: response_targets\.normal")
    )
    expect(editor).to_have_value(re.compile("normal: whenever"))
    assert "normal: 24h" in path.read_text()

    editor.fill(original.replace("normal: 24h", "normal: 12h"))
    page.get_by_label("Customer message").fill("Hoe lang duurt de bezorging?")
    page.get_by_role("button", name="Preview with this text").click()
    expect(page.locator(".preview-draft")).to_contain_text("1 tot 2 werkdagen")
    page.get_by_label("What changed (optional)").fill("faster target")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved: the new version is in force.")
    assert "normal: 12h" in path.read_text()
    expect(page.locator(".revision summary").first).to_contain_text("cm · faster target")


@pytest.mark.browser
def test_a_breach_shows_in_the_alerts_panel_and_the_nav_badge(
    page: Page, base_url: str, services: Services
) -> None:
    late = post_mention(base_url, "m-late", text="Waar blijft mijn pakket?")
    time_passes(services, late, overdue=timedelta(hours=1))
    watch_round(services)
    problems = _watch_console(page)
    sign_in(page)
    alerts = page.get_by_role("region", name=re.compile("Response-time alerts"))
    expect(alerts).to_contain_text("target missed")
    expect(page.locator("#alert-count")).to_have_text("1")
    alerts.get_by_role("link", name="Waar blijft mijn pakket?").click()
    expect(page).to_have_url(re.compile(rf"/queue/{late}$"))
    expect(page.locator(".sla-note")).to_contain_text("Response target missed")
    # on other pages htmx fetches the badge after loading (no inline script: the CSP allows it)
    page.goto("/insights")
    expect(page.locator("#alert-count")).to_have_text("1")
    page.goto(f"/queue/{late}")
    page.locator("#approve").click()
    expect(page.get_by_role("status")).to_have_text(APPROVED)
    expect(page.locator("#alerts")).to_have_count(0)
    expect(page.locator("#alert-count")).to_be_hidden()
    assert problems == []
