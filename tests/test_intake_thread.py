"""What a thread already holds reaches the draft: a given order number, an answer already sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bot import pipeline
from bot.models import Draft, Mention
from bot.pipeline import review
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from tests.factories import mention_json

ROOT = Path(__file__).resolve().parent.parent
# Tuesday 24 November 2026, 10:30 in Amsterdam: within the demo team's opening hours
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _demo(session: Session) -> ContentRegistry:
    registry = ContentRegistry(ROOT / "guidelines", ROOT / "faq")
    pipeline.sync_communities(session, registry, now=NOW)
    return registry


def _post(session: Session, registry: ContentRegistry, number: int, text: str) -> Draft:
    when = NOW + timedelta(hours=number)
    body = mention_json(f"t-{number}", text, channel="demo-nl", created_at=when, thread_ref="thread-1")
    received = pipeline.receive(session, MentionIn.model_validate(body).to_mention(), registry, now=when)
    session.commit()
    assert received.draft_id is not None
    draft = session.get(Draft, received.draft_id)
    assert draft is not None
    return draft


def test_an_order_number_given_earlier_in_the_thread_is_not_asked_for_again(session: Session) -> None:
    registry = _demo(session)
    first = _post(
        session, registry, 0, "Mijn bestelling 100482 is nog steeds niet binnen, kunnen jullie kijken?"
    )
    assert "100482" in first.text
    later = _post(session, registry, 1, "Nog steeds niks gehoord over mijn pakket, echt balen dit")
    assert "ordernummer" not in later.text


def test_an_answer_the_thread_already_got_goes_to_a_person_instead(session: Session) -> None:
    registry = _demo(session)
    first = _post(session, registry, 0, "Hoe lang duurt de levering bij jullie?")
    assert first.faq_id == "levertijd-nl"
    assert first.id is not None
    review.approve(session, first.id, actor="user:anna", role="agent", now=NOW + timedelta(minutes=30))
    session.commit()
    again = _post(session, registry, 1, "Hoe lang duurt de levering nou eigenlijk?")
    assert again.action == "acknowledge" and again.faq_id is None
    assert any("already got this FAQ answer" in reason for reason in again.reasons)


def test_the_act_is_stored_with_the_mention_and_named_in_the_reasons(session: Session) -> None:
    registry = _demo(session)
    draft = _post(
        session, registry, 0, "Top service, gisteren besteld en vandaag al binnen, dank jullie wel!"
    )
    assert draft.reasons[0] == "act: thanks"
    mention = session.get(Mention, draft.mention_id)
    assert mention is not None and mention.act == "thanks"
