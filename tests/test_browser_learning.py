"""Learning from agents in real headless Chromium: an agent picks another answer, a community
manager adds the customer's words to that FAQ entry with one click."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from bot.models import Draft, Mention
from bot.registry import ContentRegistry
from bot.services import Services
from tests.conftest import add_user
from tests.factories import write_content
from tests.test_browser import APPROVED, PASSWORD, base_url, new_page, page, post_mention, sign_in
from tests.test_browser_queue import _watch_console
from tests.test_web_learning import ALTERNATIVE, ALTERNATIVES, CUSTOMER, FAQ, WORDS

__all__ = ["base_url", "new_page", "page"]  # fixtures shared with test_browser


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The test community with a three-entry FAQ file that has comments in it."""
    guidelines, faq = write_content(tmp_path / "content", faq=FAQ)
    return ContentRegistry(guidelines, faq)


@pytest.mark.browser
def test_an_agent_picks_an_alternative_and_a_community_manager_adds_the_example(
    page: Page, new_page: Callable[[], Page], base_url: str, services: Services
) -> None:
    draft_id = post_mention(base_url, "m-1", text=CUSTOMER)
    with Session(services.engine) as session:  # what the engine stores for a draft with an alternative
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.mention_id is not None
        mention = session.get(Mention, draft.mention_id)
        assert mention is not None
        draft.alternatives, mention.act = ALTERNATIVES, "question"
        session.add_all([draft, mention])
        session.commit()
    problems = _watch_console(page)
    sign_in(page)
    page.goto(f"/queue/{draft_id}")
    expect(page.locator(".why")).to_contain_text("Act: question")
    alternative = page.locator(".alternative")
    expect(alternative).to_contain_text("Wat zijn de verzendkosten?")
    expect(alternative.locator(".alt-text")).to_have_text(ALTERNATIVE)
    page.get_by_role("button", name="Use alternative 1").click()
    expect(page.locator("#draft-text")).to_have_value(ALTERNATIVE)
    page.get_by_role("button", name="Approve and send").click()
    expect(page.get_by_role("status")).to_have_text(APPROVED)

    add_user(services, "cm", role="community_manager", password=PASSWORD)
    manager = new_page()
    problems += _watch_console(manager)
    sign_in(manager, "cm")
    manager.get_by_role("link", name="Guidelines").click()
    offer = manager.locator(".suggestion")
    expect(offer.locator(".customer-text")).to_have_text(CUSTOMER)
    expect(offer).to_contain_text("agent1 picked another answer")
    expect(offer.get_by_label("Example")).to_have_value(WORDS)
    expect(offer.get_by_label("for FAQ entry")).to_have_value("verzendkosten")
    offer.get_by_role("button", name="Add as example").click()
    expect(manager.get_by_role("status")).to_have_text(
        "Added as an example for verzendkosten in faq/faq.yaml."
    )
    expect(manager.locator(".suggestion")).to_have_count(0)

    manager.get_by_role("link", name="faq/faq.yaml").click()
    expect(manager.get_by_label("Content (YAML)")).to_have_value(
        re.compile(re.escape(f"    - is bezorgen gratis  # the most asked\n    - {WORDS}\n"))
    )
    newest = manager.locator(".revision").first
    expect(newest.locator("summary")).to_contain_text(
        f"cm · example for verzendkosten from draft #{draft_id}"
    )
    newest.locator("summary").click()
    expect(newest.locator(".diff")).to_contain_text(f"+    - {WORDS}")
    assert problems == []
