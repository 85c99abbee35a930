"""Approve and next with an undo window, who has an item open, and the honest state of a reply."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot import pipeline
from bot.adapters.console import ConsoleSender
from bot.clock import Clock, FixedClock, SystemClock
from bot.insights import compute
from bot.models import AuditEvent, Draft, ExampleSuggestion, Mention, Outbox, Viewing
from bot.pipeline import retention
from bot.services import Services
from tests.conftest import add_user
from tests.test_web import post_mention, sign_in


@pytest.fixture
def clock() -> Clock:
    """A clock the tests move by hand: the undo window passes when they say so, on any date."""
    return FixedClock(SystemClock().now())


def _deliver(services: Services) -> None:
    with Session(services.engine) as session:
        pipeline.deliver_due(session, services.senders, now=services.clock.now(), worker="t")


def _draft(services: Services, draft_id: int) -> Draft:
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft


def _approve(client: TestClient, csrf: str, draft_id: int, **form: str) -> str:
    response = client.post(
        f"/queue/{draft_id}/approve", data={"csrf_token": csrf, **form}, follow_redirects=False
    )
    assert response.status_code == 303
    return str(response.headers["location"])


def test_an_approved_reply_waits_the_undo_window_then_goes_out(
    client: TestClient, services: Services, clock: FixedClock, console_sender: ConsoleSender
) -> None:
    add_user(services)
    draft_id = post_mention(client)
    csrf = sign_in(client)
    page = client.get(_approve(client, csrf, draft_id)).text
    assert "Approved: the reply goes out in 10 seconds unless you undo it." in page
    assert f'action="/queue/{draft_id}/undo"' in page
    _deliver(services)
    clock.advance(timedelta(seconds=9))
    _deliver(services)
    assert console_sender.sent == []
    clock.advance(timedelta(seconds=1))
    _deliver(services)
    assert len(console_sender.sent) == 1
    assert _draft(services, draft_id).status == "sent"


def test_undo_within_the_window_returns_the_draft_and_nothing_is_sent(
    client: TestClient, services: Services, clock: FixedClock, console_sender: ConsoleSender
) -> None:
    add_user(services)
    draft_id = post_mention(client)
    csrf = sign_in(client)
    _approve(client, csrf, draft_id, text="Hoi Anna, morgen in huis.")
    clock.advance(timedelta(seconds=5))
    page = client.post(f"/queue/{draft_id}/undo", data={"csrf_token": csrf}).text
    assert "Undone: nothing was sent; the draft is back in the queue." in page
    assert 'id="approve"' in page  # it can be approved again, with the words the agent wrote kept
    assert "Hoi Anna, morgen in huis." in page
    clock.advance(timedelta(minutes=5))
    _deliver(services)
    assert console_sender.sent == []
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and (draft.status, draft.decided_by) == ("pending", "")
        assert session.exec(select(Outbox)).all() == []
        assert session.exec(select(ExampleSuggestion)).all() == []
        actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
        assert actions[-2:] == ["draft.approve_edited", "draft.undo_approve"]
    # approving again works and sends once
    _approve(client, csrf, draft_id)
    clock.advance(timedelta(seconds=10))
    _deliver(services)
    assert len(console_sender.sent) == 1


def test_undo_after_the_window_is_refused_plainly(
    client: TestClient, services: Services, clock: FixedClock, console_sender: ConsoleSender
) -> None:
    add_user(services)
    add_user(services, "agent2")
    draft_id = post_mention(client)
    csrf = sign_in(client)
    _approve(client, csrf, draft_id)
    clock.advance(timedelta(seconds=10))
    page = client.post(f"/queue/{draft_id}/undo", data={"csrf_token": csrf}).text
    assert "Not undone: too late to undo: the reply is already on its way to the customer." in page
    _deliver(services)
    assert len(console_sender.sent) == 1
    assert _draft(services, draft_id).status == "sent"


def test_only_the_approver_can_undo(client: TestClient, services: Services) -> None:
    add_user(services)
    add_user(services, "agent2")
    draft_id = post_mention(client)
    _approve(client, sign_in(client), draft_id)
    client.cookies.clear()
    other = sign_in(client, "agent2")
    page = client.post(f"/queue/{draft_id}/undo", data={"csrf_token": other}).text
    assert "Not undone: only the person who approved a reply can undo it." in page
    assert _draft(services, draft_id).status == "approved"


def test_approve_reject_and_escalate_land_on_the_next_item_of_the_same_view(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    dutch = [post_mention(client, external_id=f"nl-{i}", author_id=f"u-{i}") for i in range(3)]
    english = post_mention(client, external_id="en-1", text="How fast do you deliver?", author_id="u-9")
    csrf = sign_in(client)
    listed = client.get("/queue", params={"language": "nl"}).text
    order = sorted(dutch, key=lambda i: listed.index(f'data-draft-id="{i}"'))
    assert f'data-draft-id="{english}"' not in listed
    view = "status=pending&language=nl"
    target = _approve(client, csrf, order[0], view=view)
    assert urlsplit(target).path == f"/queue/{order[1]}"
    query = parse_qs(urlsplit(target).query)
    assert query["view"] == [view] and query["undo"] == [str(order[0])]
    page = client.get(target).text
    assert 'name="view" value="status=pending&amp;language=nl"' in page  # the forms keep the view
    rejected = client.post(
        f"/queue/{order[1]}/reject", data={"csrf_token": csrf, "view": view}, follow_redirects=False
    )
    assert urlsplit(rejected.headers["location"]).path == f"/queue/{order[2]}"
    escalated = client.post(
        f"/queue/{order[2]}/escalate", data={"csrf_token": csrf, "view": view}, follow_redirects=False
    )
    # nothing of the view is left: back to the view's list, not to the English item
    location = escalated.headers["location"]
    assert urlsplit(location).path == "/queue" and "language=nl" in location
    assert "Escalated: a senior has to approve this one." in client.get(location).text


def test_a_double_submit_approves_and_sends_once(
    client: TestClient, services: Services, clock: FixedClock, console_sender: ConsoleSender
) -> None:
    add_user(services)
    draft_id = post_mention(client)
    csrf = sign_in(client)
    _approve(client, csrf, draft_id)
    again = client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf}).text
    assert "Not approved: this draft was already handled" in again
    clock.advance(timedelta(seconds=10))
    _deliver(services)
    _deliver(services)
    assert len(console_sender.sent) == 1


def test_a_colleague_with_the_item_open_is_named_in_the_list_and_on_the_item(
    client: TestClient, services: Services, clock: FixedClock
) -> None:
    add_user(services)
    add_user(services, "bram")
    draft_id = post_mention(client)
    sign_in(client, "bram")
    client.get(f"/queue/{draft_id}")
    client.cookies.clear()
    sign_in(client)
    assert "bram is viewing" in client.get("/queue").text
    item = client.get(f"/queue/{draft_id}").text
    assert "bram is viewing this item too" in item
    # bram's page stops beating: after half a minute he no longer counts
    clock.advance(timedelta(seconds=31))
    assert "is viewing" not in client.get("/queue").text
    assert "viewing this item" not in client.get(f"/queue/{draft_id}/viewing").text


def test_a_reply_for_a_platform_without_an_adapter_says_it_waits_and_is_not_answered(
    client: TestClient, services: Services, clock: FixedClock
) -> None:
    add_user(services)
    draft_id = post_mention(client, platform="telegram", channel="@testshop")
    csrf = sign_in(client)
    page = client.get(_approve(client, csrf, draft_id)).text
    assert "Approved, but waiting: no Telegram connection, so nothing is sent until one is set up." in page
    listed = client.get("/queue", params={"status": "approved"}).text
    assert "waiting: no Telegram connection" in listed
    assert "waiting: no Telegram connection" in client.get(f"/queue/{draft_id}").text
    clock.advance(timedelta(minutes=1))
    _deliver(services)
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        found = compute(session, community=draft.community_id, now=clock.now(), days=7)
    assert (found.decided, found.within_target, found.approved) == (0, 0, 1)


def test_insights_count_a_reply_as_answered_once_it_is_sent(
    client: TestClient, services: Services, clock: FixedClock
) -> None:
    add_user(services)
    draft_id = post_mention(client)
    _approve(client, sign_in(client), draft_id)
    community = _draft(services, draft_id).community_id
    with Session(services.engine) as session:
        assert compute(session, community=community, now=clock.now(), days=7).decided == 0
    clock.advance(timedelta(seconds=10))
    _deliver(services)
    with Session(services.engine) as session:
        found = compute(session, community=community, now=clock.now(), days=7)
    assert (found.decided, found.within_target) == (1, 1)


def test_erasing_a_customer_whose_item_someone_has_open_works(
    client: TestClient, services: Services, clock: FixedClock
) -> None:
    add_user(services)
    draft_id = post_mention(client)
    sign_in(client)
    client.get(f"/queue/{draft_id}")  # the item is open: a viewing row points at its draft
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.mention_id is not None
        mention = session.get(Mention, draft.mention_id)
        assert mention is not None
        assert retention.erase_customer(session, mention.customer_id, actor="user:admin", now=clock.now())
        session.commit()
        assert session.exec(select(Viewing)).all() == []
        assert session.get(Draft, draft_id) is None
