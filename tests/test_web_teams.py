"""Teams over plain HTTP: what the forms refuse, and the escalation to a team."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.models import Draft, User
from bot.services import Services
from tests.conftest import add_user
from tests.test_web import post_mention, sign_in


def test_escalating_to_an_unknown_team_is_refused_and_changes_nothing(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    csrf = sign_in(client)
    draft_id = post_mention(client)
    refused = client.post(f"/queue/{draft_id}/escalate", data={"csrf_token": csrf, "to": "kwaliteit"})
    assert "Not escalated: there is no team &#39;kwaliteit&#39;." in refused.text
    moved = client.post(
        f"/queue/{draft_id}/escalate", data={"csrf_token": csrf, "to": "legal", "note": "dreigt"}
    )
    assert moved.status_code == 200
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        # to a team: it moves there and rises, but needs no senior unless its rules said so
        assert (draft.team, draft.approval_level, draft.escalation_note) == ("legal", "agent", "dreigt")


def test_an_admin_cannot_give_a_person_an_unknown_team(client: TestClient, services: Services) -> None:
    add_user(services, "root", role="admin")
    csrf = sign_in(client, "root")
    with Session(services.engine) as session:
        root = session.exec(select(User).where(User.username == "root")).one()
    page = client.post(f"/users/{root.id}/teams", data={"csrf_token": csrf, "team": ["legal", "pr"]})
    assert "Teams not changed: unknown team &#39;pr&#39;; known teams: legal, webcare." in page.text
    assert 'aria-label="root in team legal"' in page.text
    assert 'value="legal" checked' not in page.text
    saved = client.post(f"/users/{root.id}/teams", data={"csrf_token": csrf, "team": ["legal"]})
    assert "root is in legal." in saved.text and 'value="legal" checked' in saved.text
