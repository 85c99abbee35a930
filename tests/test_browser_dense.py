"""The queue list in Chromium at laptop widths: dense, readable, local times, kinds, nudges 'due'."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from bot.models import Draft
from bot.services import Services
from tests.test_browser import base_url, new_page, post_mention, sign_in

__all__ = ["base_url", "new_page"]  # fixtures shared with test_browser

QUESTIONS = [
    "Hoe lang duurt de bezorging van mijn bestelling naar Utrecht? Ik heb vorige week besteld, nog niets",
    "Wat kost verzending naar België en vanaf welk bedrag is het gratis? Ik wil een kist wijn laten bezorgen",
    "How long does delivery take to Antwerp? I ordered a case of Rioja for a party next Saturday evening",
]
# the zone of the test content's guideline, by its abbreviation: CET in winter, CEST in summer
LOCAL_MOMENT = re.compile(r"^(today|tomorrow|yesterday|\w{3} \d{1,2} \w{3}) \d\d:\d\d CES?T$")


def _twenty_items_and_a_follow_up(base_url: str, services: Services) -> int:
    for i in range(20):
        post_mention(base_url, f"m-{i}", text=QUESTIONS[i % 3], author_id=f"u-{i}")
    now = services.clock.now()
    with Session(services.engine) as session:
        reply = session.exec(select(Draft)).first()
        assert reply is not None
        # as the follow-up job drafts it: due within the low-priority target (bot/pipeline/reminders.py)
        follow_up = Draft(
            conversation_id=reply.conversation_id,
            community_id=reply.community_id,
            kind="follow_up",
            text="Hoi Anna,\n\nHoe smaakte de wijn?\n\nGroet,\nTeam Testshop",
            language="nl",
            due_at=now + timedelta(days=3),
            created_at=now,
            updated_at=now,
        )
        session.add(follow_up)
        session.commit()
        assert follow_up.id is not None
        return follow_up.id


@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 1280])
def test_the_list_fits_the_screen_and_shows_ten_items_with_mention_and_draft(
    new_page: Callable[[], Page], base_url: str, services: Services, width: int
) -> None:
    _twenty_items_and_a_follow_up(base_url, services)
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page)
    expect(page.locator("tr.row")).to_have_count(21)

    scroll = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll[0] <= scroll[1], f"the page scrolls sideways at {width} px: {scroll}"
    bottoms = page.locator("tr.row").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().bottom)")
    assert sum(b <= 900 for b in bottoms) >= 10, f"fewer than 10 items on a 900 px screen: {bottoms}"
    first = page.locator("tr.row").first
    # the mention and the draft's first line after the greeting, each on one line
    expect(first.locator(".mention-line")).to_contain_text(re.compile(r"\w{5,}"))
    expect(first.locator(".draft-line")).to_be_visible()
    assert not first.locator(".draft-line").inner_text().rstrip().endswith(",")
    # the platform as a short label, its channel on hover; the deadline in the community's time
    expect(first.locator(".platform")).to_have_text("Console")
    expect(first.locator(".platform")).to_have_attribute("title", "shop-nl")
    expect(first.locator(".badge")).to_have_text(re.compile(r"^(due in|breached) "))
    expect(first.locator(".moment")).to_have_text(LOCAL_MOMENT)


@pytest.mark.browser
def test_the_kind_filter_finds_the_follow_up_and_it_is_due_not_breached(
    new_page: Callable[[], Page], base_url: str, services: Services
) -> None:
    follow_up = _twenty_items_and_a_follow_up(base_url, services)
    page = new_page()
    sign_in(page)
    page.get_by_label("Kind").select_option("follow_up")
    expect(page.locator("tr.row")).to_have_count(1)
    row = page.locator(f'tr.row[data-draft-id="{follow_up}"]')
    expect(row.locator(".badge")).to_have_text(re.compile(r"^due in "))
    expect(row.locator(".badge")).to_have_class(re.compile("on-track"))
    expect(row.locator(".draft-line")).to_contain_text("follow-up Hoe smaakte de wijn?")
    with Session(services.engine) as session:
        replies = len(session.exec(select(Draft.id).where(Draft.kind == "reply")).all())
    page.get_by_label("Kind").select_option("reply")
    expect(page.locator("tr.row")).to_have_count(replies)
    assert set(page.locator(".draft-line .kind").all_inner_texts()) == {"reply"}
