"""Response-time alerts in the web UI: the queue's panel, the nav badge and the item's note."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from bot.jobs import Jobs
from bot.models import Draft
from bot.services import Services
from tests.conftest import add_user
from tests.test_web import sign_in
from tests.test_web_queue import post_mention


def _panel(html: str) -> str:
    found = re.search(r'<section id="alerts".*?</section>', html, re.DOTALL)
    return found.group(0) if found else ""


def _badge(html: str) -> str:
    found = re.search(r'<span id="alert-count"[^>]*>([^<]*)</span>', html)
    assert found is not None, "no alerts badge in the nav"
    return found.group(1)


def time_passes(services: Services, draft_id: int, *, overdue: timedelta) -> None:
    """Move a draft's deadline into the past, as if the team had let it wait."""
    with Session(services.engine) as session:
        stmt = update(Draft).where(col(Draft.id) == draft_id).values(due_at=services.clock.now() - overdue)
        session.execute(stmt)
        session.commit()


def watch_round(services: Services) -> None:
    """One round of the response-time watch job, as the worker runs it every minute."""
    Jobs(
        services.engine,
        services.senders,
        services.registry,
        worker="w",
        interval=1,
        clock=services.clock,
        settings=services.settings,
    ).watch()


def test_a_breach_shows_on_the_queue_until_the_draft_is_approved(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    late = post_mention(client, "m-late", "Waar blijft mijn pakket? <b>Al een week</b> niks gehoord")
    calm = post_mention(client, "m-calm", "Hoe lang duurt de bezorging?", author_id="u-2")
    time_passes(services, late, overdue=timedelta(hours=1))
    watch_round(services)
    csrf = sign_in(client)

    page = client.get("/queue").text
    panel = _panel(page)
    assert re.findall(r'data-alert-draft="(\d+)"', panel) == [str(late)]
    assert "target missed" in panel and f'href="/queue/{late}"' in panel
    assert "&lt;b&gt;Al een week&lt;/b&gt;" in panel and "<b>Al een week" not in panel
    assert f'href="/queue/{calm}"' not in panel
    assert _badge(page) == "1"
    # other pages load the badge once they are shown
    assert 'hx-get="/alerts/count"' in client.get("/insights").text
    assert _badge(client.get("/alerts/count").text) == "1"
    assert "Response target missed" in client.get(f"/queue/{late}").text
    assert "Response target" not in client.get(f"/queue/{calm}").text

    approved = client.post(
        f"/queue/{late}/approve", data={"csrf_token": csrf, "text": "Sorry! We zoeken het uit.", "version": 1}
    )
    assert approved.status_code == 200, approved.text
    page = client.get("/queue").text
    assert _panel(page) == "" and _badge(page) == ""
    assert _badge(client.get("/alerts/count").text) == ""
    # the item keeps the note: the draft did miss its target
    assert "Response target missed" in client.get(f"/queue/{late}").text


def test_a_warning_shows_as_at_risk_and_a_breach_of_the_same_draft_replaces_it(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    draft_id = post_mention(client, "m-1")
    guideline = services.registry.snapshot.communities["testshop"].guideline
    soon = guideline.response_watch.warn_before / 2
    time_passes(services, draft_id, overdue=-soon)
    watch_round(services)
    sign_in(client)
    panel = _panel(client.get("/queue").text)
    assert "at risk" in panel and "target missed" not in panel
    assert "Response target at risk" in client.get(f"/queue/{draft_id}").text
    time_passes(services, draft_id, overdue=timedelta(minutes=5))
    watch_round(services)
    page = client.get("/queue").text
    assert re.findall(r'data-alert-draft="(\d+)"', _panel(page)) == [str(draft_id)]
    assert "target missed" in _panel(page) and _badge(page) == "1"


def test_the_alert_badge_needs_a_signed_in_user(client: TestClient) -> None:
    response = client.get("/alerts/count")
    assert response.status_code == 401 and "alert-count" not in response.text
