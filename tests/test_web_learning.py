"""Alternatives written out, structured reject reasons, FAQ examples learnt from agents, and the
insights per FAQ entry and act, at the HTTP level on every database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bot.models import AuditEvent, Draft, ExampleSuggestion, GuidelineRevision, Mention
from bot.pipeline import retention
from bot.registry import ContentRegistry
from bot.services import Services
from tests.conftest import API_TOKEN, add_user
from tests.factories import write_content
from tests.test_web import sign_in
from tests.test_web_queue import post_mention

FAQ = """\
# Bezorging: levertijd en verzendkosten.
- id: levertijd
  language: nl
  tags: [shipping]
  question: Hoe lang duurt de bezorging?
  examples:
    - wanneer wordt mijn bestelling bezorgd
    - hoe snel leveren jullie
  answer: "Bestel je vóór 16:00, dan bezorgen we binnen 1 tot 2 werkdagen."

# verzendkosten: gratis vanaf 50 euro
- id: verzendkosten
  language: nl
  tags: [shipping]
  question: Wat zijn de verzendkosten?
  examples:
    - wat kost verzenden
    - is bezorgen gratis  # the most asked
  answer: "Vanaf €50 bezorgen we gratis; daaronder betaal je €4,95."
- id: shipping-time
  language: en
  tags: [shipping]
  question: How long does delivery take?
  examples: [when will my order arrive, how fast do you deliver]
  answer: "Order before 4 pm and we deliver within 1-2 working days."
"""
ALTERNATIVE = "Hoi Anna,\n\nVanaf €50 bezorgen we gratis; daaronder betaal je €4,95.\n\nGroet,\nTeam Testshop"
ALTERNATIVES = [
    {
        "faq_id": "verzendkosten",
        "question": "Wat zijn de verzendkosten?",
        "text": ALTERNATIVE,
        "confidence": 0.41,
    }
]
CUSTOMER = "Wat kost het om te verzenden\nnaar Utrecht? 🍷"
WORDS = "Wat kost het om te verzenden naar Utrecht? 🍷"


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The test community with a three-entry FAQ file that has comments in it."""
    guidelines, faq = write_content(tmp_path / "content", faq=FAQ)
    return ContentRegistry(guidelines, faq)


def _change(services: Services, draft_id: int, *, act: str = "", **values: Any) -> None:
    """Give a draft (and its mention's act) the values the engine would have stored."""
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.mention_id is not None
        for key, value in values.items():
            setattr(draft, key, value)
        session.add(draft)
        if act:
            mention = session.get(Mention, draft.mention_id)
            assert mention is not None
            mention.act = act
            session.add(mention)
        session.commit()


def _draft(services: Services, draft_id: int) -> Draft:
    with Session(services.engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft


def _suggestions(services: Services) -> list[ExampleSuggestion]:
    with Session(services.engine) as session:
        return list(session.exec(select(ExampleSuggestion).order_by(col(ExampleSuggestion.id))).all())


def _approve(client: TestClient, csrf: str, draft_id: int, **form: str) -> None:
    response = client.post(f"/queue/{draft_id}/approve", data={"csrf_token": csrf, **form})
    assert "Approved: the reply goes out in" in response.text, response.text


def test_the_item_shows_full_alternatives_candidate_questions_and_the_act(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    draft_id = post_mention(client, "m-1", CUSTOMER)
    candidates = [{"faq_id": "levertijd", "confidence": 0.55, "matched": "hoe snel leveren jullie"}]
    # an alternative as drafts store it since 0006, and a plain FAQ id as older drafts do
    _change(
        services, draft_id, act="question", alternatives=[*ALTERNATIVES, "levertijd"], candidates=candidates
    )
    sign_in(client)
    page = client.get(f"/queue/{draft_id}").text
    assert 'Act: <b class="act">question</b>' in page
    assert '<span class="question">Hoe lang duurt de bezorging?</span> <code>levertijd</code>' in page
    # the whole reply is on the page and on the button that puts it in the editor: not the FAQ id
    assert "Vanaf €50 bezorgen we gratis; daaronder betaal je €4,95.\n\nGroet,\nTeam Testshop</pre>" in page
    button = re.search(
        r'<button type="button" class="alt" data-text="([^"]*)" data-faq-id="verzendkosten"', page
    )
    assert button and button.group(1) == ALTERNATIVE
    assert "Wat zijn de verzendkosten?" in page
    assert page.count("Use alternative") == 1  # the old id-only alternative has no text to use
    assert "only the FAQ entry was kept" in page


def test_reject_takes_a_category_and_words_in_the_form_and_the_api(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    by_form, by_api, category_only, bogus = (
        post_mention(client, f"m-{i}", author_id=f"u-{i}") for i in range(4)
    )
    csrf = sign_in(client)
    page = client.get(f"/queue/{by_form}").text
    assert re.findall(r'name="category" value="(\w+)"', page) == [
        "wrong_answer",
        "wrong_tone",
        "should_not_reply",
        "other",
    ]
    data = {"csrf_token": csrf, "category": "wrong_tone", "reason": "te stijf voor deze klant"}
    assert "Rejected: nothing was sent." in client.post(f"/queue/{by_form}/reject", data=data).text
    shown = client.get(f"/queue/{by_form}").text
    assert 'class="reject-category">wrong tone</span> – te stijf voor deze klant' in shown
    invalid = client.post(f"/queue/{bogus}/reject", data={"csrf_token": csrf, "category": "boring"}).text
    assert "Not rejected: choose one of wrong_answer, wrong_tone, should_not_reply, other." in invalid
    assert _draft(services, bogus).status == "pending"

    api = {"Authorization": f"Bearer {API_TOKEN}"}
    assert client.post(f"/api/v1/drafts/{by_api}/reject", json={}, headers=api).status_code == 422
    wrong = {"category": "rude", "reason": "x"}
    assert client.post(f"/api/v1/drafts/{by_api}/reject", json=wrong, headers=api).status_code == 422
    old_style = client.post(f"/api/v1/drafts/{by_api}/reject", json={"reason": "al beantwoord"}, headers=api)
    assert old_style.status_code == 200
    assert (old_style.json()["reject_category"], old_style.json()["reject_reason"]) == (
        "other",
        "al beantwoord",
    )
    only = client.post(
        f"/api/v1/drafts/{category_only}/reject", json={"category": "should_not_reply"}, headers=api
    )
    assert only.status_code == 200 and only.json()["reject_category"] == "should_not_reply"

    with Session(services.engine) as session:
        draft = session.get(Draft, by_form)
        assert draft is not None and (draft.reject_category, draft.reject_reason) == (
            "wrong_tone",
            "te stijf voor deze klant",
        )
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "draft.reject")).all()
        recorded = {e.object_id: e.after["reject_category"] for e in events}
    assert recorded == {
        str(by_form): "wrong_tone",
        str(by_api): "other",
        str(category_only): "should_not_reply",
    }


def test_a_picked_alternative_is_offered_to_community_managers_and_added_with_one_click(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    add_user(services, "cm", role="community_manager")
    draft_id = post_mention(client, "m-1", CUSTOMER)
    _change(services, draft_id, act="question", alternatives=ALTERNATIVES, faq_id="levertijd")
    csrf = sign_in(client)
    # the browser sends the textarea with \r\n line breaks, and which alternative was picked
    _approve(client, csrf, draft_id, text=ALTERNATIVE.replace("\n", "\r\n"), picked="verzendkosten")
    assert _draft(services, draft_id).text == ALTERNATIVE
    [offered] = _suggestions(services)
    assert (offered.source, offered.faq_id, offered.status) == ("alternative", "verzendkosten", "pending")

    # agents neither see nor accept suggestions
    assert "Suggested FAQ examples" not in client.get("/guidelines").text
    forbidden = {"csrf_token": csrf, "faq_id": "verzendkosten", "example": WORDS}
    assert client.post(f"/guidelines/suggestions/{offered.id}/accept", data=forbidden).status_code == 403

    csrf = sign_in(client, "cm")
    index = client.get("/guidelines").text
    assert "Suggested FAQ examples" in index and "agent1 picked another answer" in index
    assert f'name="example" value="{WORDS}"' in index
    assert (
        '<option value="verzendkosten" selected>Wat zijn de verzendkosten? (verzendkosten)</option>' in index
    )
    data = {"csrf_token": csrf, "faq_id": "verzendkosten", "example": WORDS}
    done = client.post(f"/guidelines/suggestions/{offered.id}/accept", data=data)
    assert "Added as an example for verzendkosten in faq/faq.yaml." in done.text
    assert "Suggested FAQ examples" not in done.text  # not offered again

    text = (services.registry.faq_dir / "faq.yaml").read_text(encoding="utf-8")
    assert f"    - is bezorgen gratis  # the most asked\n    - {WORDS}\n  answer:" in text
    assert "# verzendkosten: gratis vanaf 50 euro\n" in text  # the file's comments stay
    assert services.registry.snapshot.faq.entries["verzendkosten"].examples[-1] == WORDS
    with Session(services.engine) as session:
        revision = session.exec(select(GuidelineRevision).where(GuidelineRevision.actor == "user:cm")).one()
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert (
        revision.file == "faq/faq.yaml"
        and revision.note == f"example for verzendkosten from draft #{draft_id}"
    )
    assert f"+    - {WORDS}" in revision.diff
    assert {"draft.approve_edited", "faq.example_accept", "guideline.edit"} <= actions
    again = client.post(f"/guidelines/suggestions/{offered.id}/accept", data=data)
    assert "Not added: this suggestion was already accepted by user:cm." in again.text
    assert text == (services.registry.faq_dir / "faq.yaml").read_text(encoding="utf-8")


def test_a_rewrite_goes_to_the_entry_the_manager_chooses_and_a_dismissed_one_stays_away(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    add_user(services, "cm", role="community_manager")
    rewritten, dismissed, unedited, legal = (
        post_mention(client, f"m-{i}", CUSTOMER if i == 0 else f"Vraag {i}", author_id=f"u-{i}")
        for i in range(4)
    )
    _change(services, rewritten, act="question", faq_id="levertijd")
    _change(services, legal, act="legal_threat")
    csrf = sign_in(client)
    _approve(client, csrf, rewritten, text="Hoi Anna, verzenden kost €4,95, gratis vanaf €50.")
    _approve(client, csrf, dismissed, text="Hoi, zelf geschreven.")
    _approve(client, csrf, unedited, picked="not-an-alternative")  # the bot's text, unchanged
    _approve(client, csrf, legal, text="Een collega belt u vandaag.")  # a lawyer's letter is no FAQ question
    offered = {s.draft_id: s for s in _suggestions(services)}
    assert set(offered) == {rewritten, dismissed}
    assert (offered[rewritten].source, offered[rewritten].faq_id) == ("rewrite", "levertijd")

    csrf = sign_in(client, "cm")
    gone = client.post(f"/guidelines/suggestions/{offered[dismissed].id}/dismiss", data={"csrf_token": csrf})
    assert "Dismissed: it will not be offered again." in gone.text
    assert f'data-suggestion-id="{offered[dismissed].id}"' not in gone.text
    # the manager trims the words and chooses the entry the agent's answer was about
    data = {"csrf_token": csrf, "faq_id": "verzendkosten", "example": "  wat kost het  om te\nverzenden "}
    assert (
        "Added as an example"
        in client.post(f"/guidelines/suggestions/{offered[rewritten].id}/accept", data=data).text
    )
    assert (
        services.registry.snapshot.faq.entries["verzendkosten"].examples[-1] == "wat kost het om te verzenden"
    )
    assert services.registry.snapshot.faq.entries["levertijd"].examples == (
        "wanneer wordt mijn bestelling bezorgd",
        "hoe snel leveren jullie",
    )
    states = {s.draft_id: (s.status, s.faq_id, s.decided_by) for s in _suggestions(services)}
    assert states == {
        rewritten: ("accepted", "verzendkosten", "user:cm"),
        dismissed: ("dismissed", None, "user:cm"),
    }
    assert "Suggested FAQ examples" not in client.get("/guidelines").text


def test_an_example_for_an_unknown_entry_or_an_empty_example_is_refused(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    add_user(services, "cm", role="admin")
    draft_id = post_mention(client, "m-1", CUSTOMER)
    csrf = sign_in(client)
    _approve(client, csrf, draft_id, text="Zelf geschreven antwoord.")
    [offered] = _suggestions(services)
    before = (services.registry.faq_dir / "faq.yaml").read_text(encoding="utf-8")
    csrf = sign_in(client, "cm")
    url = f"/guidelines/suggestions/{offered.id}/accept"
    unknown = client.post(url, data={"csrf_token": csrf, "faq_id": "nope", "example": WORDS})
    assert "Not added: there is no FAQ entry &#39;nope&#39;." in unknown.text
    empty = client.post(url, data={"csrf_token": csrf, "faq_id": "levertijd", "example": "   "})
    assert "Not added: the example is empty." in empty.text
    assert client.post("/guidelines/suggestions/999/dismiss", data={"csrf_token": csrf}).status_code == 404
    assert (services.registry.faq_dir / "faq.yaml").read_text(encoding="utf-8") == before
    assert _suggestions(services)[0].status == "pending"


def test_insights_show_per_faq_entry_and_act_the_unedited_share_and_top_reject_reasons(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    drafts = [post_mention(client, f"m-{i}", f"Vraag nummer {i}", author_id=f"u-{i}") for i in range(6)]
    for draft_id in drafts[:4]:
        _change(services, draft_id, act="question", faq_id="levertijd")
    for draft_id in drafts[4:]:
        _change(services, draft_id, act="complaint", faq_id=None)
    csrf = sign_in(client)
    _approve(client, csrf, drafts[0])  # unedited
    _approve(client, csrf, drafts[1], text="Anders verwoord.")
    for draft_id, category in (
        (drafts[2], "wrong_answer"),
        (drafts[3], "wrong_answer"),
        (drafts[4], "wrong_tone"),
    ):
        client.post(
            f"/queue/{draft_id}/reject", data={"csrf_token": csrf, "category": category, "reason": "x"}
        )
    # drafts[5] is still pending: not reviewed, not counted
    page = client.get("/insights", params={"community": "testshop", "days": 7}).text

    def row(table: str, key: str) -> str:
        found = re.search(
            rf'<table class="answers" id="{table}">.*?<tr data-key="{key}">(.*?)</tr>', page, re.S
        )
        assert found, f"no row {key} in {table}"
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()

    assert row("by-faq", "levertijd") == (
        "Hoe lang duurt de bezorging? levertijd 4 25% (1) 2 wrong answer 2×"
    )
    assert row("by-faq", "") == "no FAQ answer (acknowledgement) 1 0% (0) 1 wrong tone 1×"
    assert row("by-act", "question") == "question 4 25% (1) 2 wrong answer 2×"
    assert row("by-act", "complaint") == "complaint 1 0% (0) 1 wrong tone 1×"


def test_erasing_the_customer_takes_their_words_out_of_the_suggestions(
    client: TestClient, services: Services
) -> None:
    add_user(services)
    draft_id = post_mention(client, "m-1", CUSTOMER)
    _approve(client, sign_in(client), draft_id, text="Zelf geschreven antwoord.")
    assert len(_suggestions(services)) == 1
    with Session(services.engine) as session:
        mention = session.exec(select(Mention)).one()
        now = services.clock.now()
        assert retention.erase_customer(session, mention.customer_id, actor="user:admin", now=now)
    assert _suggestions(services) == []


def test_an_integration_approving_an_alternative_through_the_api_offers_it_too(
    client: TestClient, services: Services
) -> None:
    draft_id = post_mention(client, "m-1", CUSTOMER)
    _change(services, draft_id, act="question", alternatives=ALTERNATIVES)
    body = {"text": ALTERNATIVE, "picked": "verzendkosten"}
    response = client.post(
        f"/api/v1/drafts/{draft_id}/approve", json=body, headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert response.status_code == 200 and response.json()["alternatives"] == ALTERNATIVES
    [offered] = _suggestions(services)
    assert (offered.draft_id, offered.source, offered.faq_id) == (draft_id, "alternative", "verzendkosten")
