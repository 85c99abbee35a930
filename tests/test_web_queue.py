"""The queue's filters, search and paging, and the item actions: escalate, assign, snooze."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from bot import queries
from bot.models import AuditEvent, Draft, Outbox
from bot.services import Services
from tests.conftest import API_TOKEN, add_user
from tests.factories import mention_json
from tests.test_web import sign_in


def post_mention(client: TestClient, external_id: str = "m-1", *args: str, **fields: object) -> int:
    """Post a mention through the API; return its draft's id."""
    body = mention_json(external_id, *args, **fields)  # type: ignore[arg-type]
    response = client.post(
        "/api/v1/mentions?wait=draft", json=body, headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert response.status_code == 202, response.text
    draft_id: int = response.json()["draft_id"]
    return draft_id


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-draft-id="(\d+)"', html)]


def _version(services: Services, draft_id: int) -> int:
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft.version


def test_filters_and_search_narrow_the_queue(client: TestClient, services: Services) -> None:
    add_user(services)
    nl = post_mention(client, "m-1")
    en = post_mention(client, "m-2", "How fast do you deliver? Wijnvoordeel is quicker", author_id="u-2")
    angry = post_mention(client, "m-3", "Dit is schandalig, ik stap naar mijn advocaat!", author_id="u-3")
    sign_in(client)
    assert sorted(_ids(client.get("/queue").text)) == sorted([nl, en, angry])
    assert _ids(client.get("/queue", params={"language": "en"}).text) == [en]
    assert _ids(client.get("/queue", params={"priority": "urgent"}).text) == [angry]
    assert _ids(client.get("/queue", params={"sentiment": "negative"}).text) == [angry]
    assert _ids(client.get("/queue", params={"q": "wijnVOORdeel"}).text) == [en]
    assert _ids(client.get("/queue", params={"q": "100%_"}).text) == []
    assert sorted(_ids(client.get("/queue", params={"platform": "console"}).text)) == sorted([nl, en, angry])
    assert _ids(client.get("/queue", params={"platform": "reddit"}).text) == []
    assert _ids(
        client.get("/queue", params={"community": "testshop", "language": "nl", "priority": "urgent"}).text
    ) == [angry]
    empty = client.get("/queue", params={"status": "rejected"}).text
    assert "Nothing to review with these filters" in empty


def test_the_htmx_filter_request_gets_only_the_results(client: TestClient, services: Services) -> None:
    add_user(services)
    post_mention(client, "m-1")
    sign_in(client)
    partial = client.get(
        "/queue", params={"language": "nl"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in partial.text and 'class="queue"' in partial.text
    assert 'id="count"' in partial.text and "1 pending" in partial.text


def test_pages_hold_fifty_items_by_deadline_and_counts_stay_cheap(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    ids = [post_mention(client, f"m-{i}", author_id=f"u-{i}") for i in range(55)]
    now = services.clock.now()
    with Session(services.engine) as session:
        for n, draft_id in enumerate(ids):  # the last posted is due first
            session.execute(
                update(Draft).where(col(Draft.id) == draft_id).values(due_at=now + timedelta(minutes=100 - n))
            )
        session.commit()
    sign_in(client)
    first = client.get("/queue").text
    assert _ids(first) == list(reversed(ids))[:50]
    assert "55 pending" in first and 'rel="next"' in first
    second = client.get("/queue", params={"page": 2}).text
    assert _ids(second) == list(reversed(ids))[50:]
    assert 'rel="next"' not in second
    # a search counts only to the end of its page: "50+", and the last page knows the total
    searched = client.get("/queue", params={"q": "bezorging"}).text
    assert _ids(searched) == list(reversed(ids))[:50]
    assert "50+ pending" in searched and 'rel="next"' in searched
    searched_on = client.get("/queue", params={"q": "bezorging", "page": 2}).text
    assert _ids(searched_on) == list(reversed(ids))[50:]
    assert "55 pending" in searched_on and 'rel="next"' not in searched_on
    with Session(services.engine) as session:
        # past the cap the count stops: "10+" (total 11, capped), and the page is still exact
        found = queries.queue_page(session, queries.QueueFilter(), now=now, offset=5, size=5, count_cap=10)
        assert (found.total, found.capped, found.has_next) == (11, True, True)
        assert [draft.id for draft, _ in found.rows] == list(reversed(ids))[5:10]
        deep = queries.queue_page(session, queries.QueueFilter(), now=now, offset=50, size=50, count_cap=10)
        assert (deep.total, deep.capped, deep.has_next) == (55, False, False)
        assert [draft.id for draft, _ in deep.rows] == list(reversed(ids))[50:]


def test_escalate_assign_and_snooze(client: TestClient, services: Services) -> None:
    add_user(services)
    add_user(services, "agent2")
    draft_id = post_mention(client)
    csrf = sign_in(client)
    response = client.post(f"/queue/{draft_id}/assign", data={"to": "agent2", "csrf_token": csrf})
    assert (
        "Assigned to agent2." in response.text
        and 'assigned to <b class="assignee">agent2</b>' in response.text
    )
    assert _ids(client.get("/queue", params={"mine": "1"}).text) == []
    client.post(f"/queue/{draft_id}/assign", data={"to": "@me", "csrf_token": csrf})
    assert _ids(client.get("/queue", params={"mine": "1"}).text) == [draft_id]
    bad = client.post(f"/queue/{draft_id}/assign", data={"to": "nobody-here", "csrf_token": csrf})
    assert "there is no active user" in bad.text

    response = client.post(
        f"/queue/{draft_id}/escalate", data={"note": "customer is a journalist", "csrf_token": csrf}
    )
    assert "Escalated" in response.text
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and (draft.approval_level, draft.priority) == ("senior", "high")
    assert _ids(client.get("/queue", params={"status": "escalated"}).text) == [draft_id]
    refused = client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf})
    assert "senior" in refused.text

    client.post(f"/queue/{draft_id}/snooze", data={"for": "4h", "csrf_token": csrf})
    assert _ids(client.get("/queue").text) == []
    assert _ids(client.get("/queue", params={"status": "snoozed"}).text) == [draft_id]
    with Session(services.engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_type == "draft")).all()
    assert list(actions) == ["draft.assign", "draft.assign", "draft.escalate", "draft.snooze"]


def test_an_action_on_a_draft_changed_meanwhile_is_refused(client: TestClient, services: Services) -> None:
    add_user(services)
    draft_id = post_mention(client)
    csrf = sign_in(client)
    seen = _version(services, draft_id)
    client.post(f"/queue/{draft_id}/assign", data={"to": "@me", "csrf_token": csrf, "version": seen})
    # a second agent still looking at the old version approves: refused, nothing queued to send
    stale = client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf, "version": seen, "text": "x"})
    assert "Not approved: this draft was already handled by someone else." in stale.text
    with Session(services.engine) as session:
        assert session.exec(select(Outbox)).all() == []


def test_a_senior_approves_what_an_agent_may_not(client: TestClient, services: Services) -> None:
    add_user(services, "boss", role="senior")
    draft_id = post_mention(client, text="Dit is schandalig, ik stap naar mijn advocaat!")
    csrf = sign_in(client, "boss")
    response = client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf})
    assert "Approved" in response.text


def test_failed_deliveries_show_under_their_status_with_the_error(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    draft_id = post_mention(client)
    csrf = sign_in(client)
    client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf})
    with Session(services.engine) as session:
        session.execute(update(Draft).where(col(Draft.id) == draft_id).values(status="failed"))
        session.execute(update(Outbox).values(status="failed", last_error="403 Forbidden: bot was blocked"))
        session.commit()
    assert _ids(client.get("/queue", params={"status": "failed"}).text) == [draft_id]
    item = client.get(f"/queue/{draft_id}").text
    assert "403 Forbidden: bot was blocked" in item and "Mark answered" in item


def test_the_item_shows_the_thread_and_the_customers_history(client: TestClient, services: Services) -> None:
    add_user(services)
    earlier = post_mention(client, "m-1", "Waar blijft mijn pakket?", thread_ref="t-1")
    later = post_mention(client, "m-2", "Nog steeds niks ontvangen hoor", thread_ref="t-1")
    other = post_mention(client, "m-3", "Hoe lang duurt de bezorging naar België?")
    sign_in(client)
    item = client.get(f"/queue/{later}").text
    assert "Waar blijft mijn pakket?" in item.split('class="customer-text"')[0]
    page = client.get(f"/queue/{other}").text
    history = page.split("Customer history")[1]
    assert f'href="/queue/{earlier}"' in history or f'href="/queue/{later}"' in history


def test_a_follow_up_without_a_mention_is_in_the_queue_and_opens(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    first = post_mention(client)
    with Session(services.engine) as session:
        mention_draft = session.get(Draft, first)
        assert mention_draft is not None
        follow_up = Draft(
            conversation_id=mention_draft.conversation_id,
            community_id="testshop",
            kind="reminder",
            text="Hoi Anna, is je vraag nog niet beantwoord?",
            original_text="Hoi Anna, is je vraag nog niet beantwoord?",
            due_at=services.clock.now() - timedelta(minutes=1),
            created_at=services.clock.now(),
            updated_at=services.clock.now(),
        )
        session.add(follow_up)
        session.commit()
        follow_up_id = follow_up.id
    sign_in(client)
    assert _ids(client.get("/queue").text) == [follow_up_id, first]
    item = client.get(f"/queue/{follow_up_id}").text
    assert "is je vraag nog niet beantwoord?" in item and "Hoe lang duurt de bezorging" in item  # the thread


def test_only_web_links_to_the_platform_are_clickable(client: TestClient, services: Services) -> None:
    add_user(services)
    bad = post_mention(client, "m-1", url="javascript:alert(1)")
    good = post_mention(client, "m-2", url="https://forum.example/t/1", author_id="u-2")
    sign_in(client)
    assert "open on the platform" not in client.get(f"/queue/{bad}").text
    assert 'href="https://forum.example/t/1"' in client.get(f"/queue/{good}").text
