"""Teams in headless Chromium: an agent's queue shows their teams first; escalating moves an item."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from bot import teams
from bot.models import Draft, User
from bot.services import Services
from tests.conftest import add_user
from tests.test_browser import PASSWORD, base_url, new_page, page, post_mention, row, sign_in

__all__ = ["base_url", "new_page", "page"]  # fixtures shared with test_browser


def _join(services: Services, username: str, *names: str) -> None:
    with Session(services.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        assert user.id is not None
        teams.set_teams(session, user.id, list(names))


def _to_team(services: Services, draft_id: int, team: str) -> None:
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        draft.team = team
        session.add(draft)
        session.commit()


@pytest.mark.browser
def test_an_agent_sees_their_teams_items_can_see_all_and_escalating_moves_an_item(
    page: Page, base_url: str, services: Services
) -> None:
    legal = post_mention(base_url, "m-1", text="Ik stap naar mijn advocaat.")
    shop = post_mention(base_url, "m-2", text="Hoe lang duurt de bezorging?", author_id="u-2")
    _to_team(services, legal, "legal")
    _join(services, "agent1", "legal")
    sign_in(page)
    expect(page.get_by_label("Team")).to_have_value("mine")
    expect(page.locator("tr.row")).to_have_count(1)
    expect(row(page, legal).locator(".tag.team")).to_have_text("legal")

    page.get_by_label("Team").select_option("all")
    expect(page.locator("tr.row")).to_have_count(2)
    expect(row(page, shop).locator(".tag.team")).to_have_text("webcare")
    row(page, shop).get_by_role("link").first.click()
    page.get_by_label("Escalate to").select_option("legal")
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_role("status")).to_have_text("Escalated to team legal.")

    page.goto("/queue")  # my teams again: the escalated item is now there too
    expect(page.get_by_label("Team")).to_have_value("mine")
    expect(page.locator("tr.row")).to_have_count(2)
    expect(row(page, shop).locator(".tag.team")).to_have_text("legal")


@pytest.mark.browser
def test_an_agent_in_no_team_sees_every_team_by_default(page: Page, base_url: str) -> None:
    post_mention(base_url, "m-1")
    sign_in(page)
    expect(page.get_by_label("Team")).to_have_value("all")
    expect(page.locator("tr.row")).to_have_count(1)
    expect(page).not_to_have_url(re.compile("team="))


@pytest.mark.browser
def test_an_admin_adds_a_person_in_a_team_and_changes_their_teams(
    page: Page, base_url: str, services: Services
) -> None:
    add_user(services, "root", role="admin", password=PASSWORD)
    sign_in(page, "root")
    page.goto("/users")
    expect(page.locator("#self-why")).to_have_text(re.compile("^You cannot disable yourself"))
    new = page.locator("form", has=page.get_by_role("button", name="Add"))
    new.get_by_label("Username").fill("kim")
    new.get_by_label("Password").fill(PASSWORD)
    new.get_by_role("checkbox", name="legal").check()
    new.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_have_text("User kim added as agent in legal.")
    expect(page.get_by_role("checkbox", name="kim in team legal")).to_be_checked()

    page.get_by_role("checkbox", name="kim in team webcare").check()
    page.get_by_role("button", name="Save teams of kim").click()
    expect(page.get_by_role("status")).to_have_text("kim is in legal, webcare.")
    with Session(services.engine) as session:
        kim = session.exec(select(User).where(User.username == "kim")).one()
        assert kim.id is not None and teams.teams_of(session, kim.id) == ["legal", "webcare"]
