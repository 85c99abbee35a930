"""Decisions and drafts as a webcare agent sees them in the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responders import multilingual
from responders.content import ContentInvalid, load_content
from responders.domain import Author, Context, Mention, Response
from responders.engine import Community, respond
from responders.faq import FaqIndex
from tests.factories import GUIDELINE, write_content

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
_DEMO = load_content(ROOT / "guidelines", ROOT / "faq")
_INDEX = FaqIndex(_DEMO.faq)
NL = Community(_DEMO.guidelines["dekelder-nl"], _INDEX)
EN = Community(_DEMO.guidelines["dekelder-en"], _INDEX)


def _say(
    community: Community,
    text: str,
    *,
    name: str = "Anna de Vries",
    handle: str = "anna",
    followers: int | None = None,
    platform: str = "telegram",
    context: Context | None = None,
    age: timedelta = timedelta(0),
    external_id: str = "m-1",
) -> Response:
    mention = Mention(platform, "c", external_id, Author("1", handle, name, followers), text, NOW - age)
    return respond(mention, context or Context(now=NOW), community)


def _community(tmp_path: Path, guideline: str) -> Community:
    content = load_content(*write_content(tmp_path, guideline))
    return Community(content.guidelines["testshop"], FaqIndex(content.faq))


def test_a_legal_threat_is_acknowledged_and_escalated_but_keeps_its_faq_candidates() -> None:
    response = _say(NL, "Mijn bestelling is nog steeds niet binnen, ik schakel mijn advocaat in.")
    decision = response.decision
    assert decision.action == "acknowledge" and decision.priority == "urgent"
    assert decision.team == "legal" and decision.approval == "senior"
    assert decision.due_at == NOW + timedelta(hours=1)
    assert response.candidates[0].faq_id == "bestelling-volgen-nl"
    assert any("needs a person" in reason for reason in decision.reasons)
    assert response.draft is not None and response.draft.kind == "acknowledgement"
    # 10:00 UTC is 11:00 in Amsterdam: the urgent target of one working hour ends at 12:00 local
    assert "vandaag vóór 12:00" in response.draft.text
    assert "balen" not in response.draft.text.lower()
    assert "Met vriendelijke groet," in response.draft.text


def test_followers_stakeholders_and_competitors_escalate_with_reasons() -> None:
    influencer = _say(NL, "Wat is jullie levertijd?", followers=25000).decision
    assert (influencer.priority, influencer.team, influencer.approval) == ("high", "pr", "senior")
    press = _say(NL, "Wat is jullie levertijd?", handle="@WijnJournaal").decision
    assert "pers en partners" in press.escalations
    rival = _say(NL, "Bij Gall&Gall is bezorgen gratis, bij jullie ook?").decision
    assert rival.team == "marketing"
    assert any(reason.startswith("escalation 'concurrent genoemd'") for reason in rival.reasons)


def test_engagement_limits_turn_a_draft_into_no_reply_with_the_reason_in_a_sentence() -> None:
    text = "Wat is jullie levertijd?"
    old = _say(NL, text, age=timedelta(days=9, hours=2))
    assert old.draft is None and old.decision.action == "no_reply"
    assert "the post is 9 days old; this community ignores posts older than 7 days" in old.decision.reasons
    just_past = _say(NL, text, age=timedelta(days=7, minutes=30)).decision.reasons
    assert "the post is over 7 days old; this community ignores posts older than 7 days" in just_past
    busy = _say(NL, text, context=Context(now=NOW, brand_replies_in_thread=3))
    assert busy.draft is None
    assert "we already replied 3 times in this thread; this community replies 3 times at most" in (
        busy.decision.reasons
    )
    recent = Context(now=NOW, last_reply_to_customer_at=NOW - timedelta(minutes=1))
    assert (
        "the customer got a reply 1 minute ago; this community waits 15 minutes before replying "
        "to the same customer again"
    ) in _say(NL, text, context=recent).decision.reasons


def test_listen_only_communities_never_draft(tmp_path: Path) -> None:
    community = _community(tmp_path, GUIDELINE + "limits:\n  listen_only: true\n")
    response = respond(
        Mention("console", "shop-nl", "1", Author("1"), "Hoe lang duurt de bezorging?", NOW),
        Context(now=NOW),
        community,
    )
    assert response.draft is None
    assert "this community is listen-only: we read along and never reply" in response.decision.reasons


def test_auto_send_only_when_allowed_confident_and_not_escalated(tmp_path: Path) -> None:
    community = _community(tmp_path, GUIDELINE + "auto_send:\n  enabled: true\n  min_confidence: 0.7\n")

    def approval(text: str) -> str:
        mention = Mention("console", "shop-nl", "1", Author("1"), text, NOW)
        return respond(mention, Context(now=NOW), community).decision.approval

    assert approval("Hoe lang duurt de bezorging?") == "auto"
    assert approval("Hoe lang duurt de bezorging? Anders bel ik mijn advocaat") == "senior"
    assert _say(NL, "Wat is jullie levertijd?").decision.approval == "agent"  # demo: auto-send off


def test_drafts_greet_by_name_in_the_customers_language_with_empathy_first() -> None:
    upset = _say(NL, "Er zat een kapotte fles in mijn doos, echt balen, alles doorweekt")
    assert upset.draft is not None
    first, body = upset.draft.text.split("\n\n")[:2]
    assert first.endswith("Anna,")
    assert any(body.startswith(line) for line in NL.guideline.tone["nl"].empathy)
    english = _say(NL, "Do you also deliver to Belgium?", name="")
    assert english.draft is not None and english.draft.language == "en"
    # a handle is not a name: greet without one
    assert english.draft.text.split("\n")[0] in {"Hi,", "Hey,", "Hello,"}
    calm = _say(EN, "How long can I keep an opened bottle of red in the fridge?")
    assert calm.draft is not None
    assert not any(line in calm.draft.text for line in EN.guideline.tone["en"].empathy)


def test_openings_vary_and_drafts_fit_the_platform() -> None:
    previous = ""
    for number in range(6):
        context = Context(now=NOW, previous_opening=previous)
        draft = _say(NL, "Wat is jullie levertijd?", context=context, external_id=f"m-{number}").draft
        assert draft is not None and draft.opening != previous
        previous = draft.opening
    assert len({_say(NL, "Wat is de levertijd?", external_id=str(i)).draft.opening for i in range(12)}) > 1  # type: ignore[union-attr]


def test_no_answer_gives_an_acknowledgement_with_the_response_time() -> None:
    response = _say(EN, "Quick question about something unusual regarding my neighbour's dog")
    assert response.draft is not None and response.draft.kind == "acknowledgement"
    # Monday 11:00 local + 8 working hours (09:00-17:30) is Tuesday 10:30, promised as "before 11:00"
    assert "tomorrow before 11:00" in response.draft.text


def test_long_answers_are_cut_to_the_platform_limit_keeping_the_sign_off(tmp_path: Path) -> None:
    long_faq = (
        "- id: levertijd\n  language: nl\n  tags: [shipping]\n  question: Hoe lang duurt de bezorging?\n"
        f'  answer: "{"Wij bezorgen snel. " * 400}"\n'
    )
    guidelines, faq = write_content(tmp_path, GUIDELINE, long_faq)
    content = load_content(guidelines, faq)
    community = Community(content.guidelines["testshop"], FaqIndex(content.faq))
    mention = Mention("telegram", "@testshop", "1", Author("1"), "Hoe lang duurt de bezorging?", NOW)
    draft = respond(mention, Context(now=NOW), community).draft
    assert draft is not None and len(draft.text) <= 4096
    assert draft.text.endswith("Groet,\nTeam Testshop")


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=400), followers=st.none() | st.integers(min_value=0, max_value=10**9))
def test_any_text_gives_an_analysis_and_a_decision(text: str, followers: int | None) -> None:
    for community in (NL, EN):
        response = _say(community, text, followers=followers)
        assert -1 <= response.analysis.sentiment <= 1
        assert response.analysis.language in {"nl", "en", "de", "fr", "es", "other"}
        assert response.decision.action in {"reply", "acknowledge", "no_reply"}
        assert all(0 <= c.confidence <= 1 for c in response.candidates)
        assert response.decision.reasons


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            ["wijn", "bezorging", "niet", "goed", "😡", "!!", "NOOIT", "advocaat", "é", "?", "the"]
        ),
        max_size=30,
    )
)
def test_any_mix_of_loaded_words_is_handled(words: list[str]) -> None:
    response = _say(NL, " ".join(words))
    assert response.decision.priority in {"urgent", "high", "normal", "low"}


def test_a_tone_without_emoji_removes_them_from_shared_faq_answers(tmp_path: Path) -> None:
    faq = (
        "- id: levertijd\n  language: nl\n  tags: [shipping]\n  question: Hoe lang duurt de bezorging?\n"
        '  answer: "Binnen 1 tot 2 werkdagen 🚚🍷 bij je thuis!"\n'
    )
    plain = GUIDELINE.replace("    formality: informal\n", "    formality: informal\n    emoji: none\n", 1)
    content = load_content(*write_content(tmp_path, plain, faq))
    community = Community(content.guidelines["testshop"], FaqIndex(content.faq))
    mention = Mention("console", "shop-nl", "1", Author("1"), "Hoe lang duurt de bezorging?", NOW)
    draft = respond(mention, Context(now=NOW), community).draft
    assert draft is not None and "Binnen 1 tot 2 werkdagen bij je thuis!" in draft.text


def test_german_is_recognised_and_by_default_answered_in_the_default_language(tmp_path: Path) -> None:
    shop = _community(tmp_path, GUIDELINE)
    response = _say(shop, "Wie lange dauert die Lieferung? Ich habe gestern bestellt.")
    assert response.analysis.language == "de"
    assert response.draft is not None
    assert response.draft.language == "nl"


def test_a_guideline_can_acknowledge_a_language_it_does_not_answer_in(tmp_path: Path) -> None:
    shop = _community(tmp_path, GUIDELINE + "other_languages: acknowledge\n")
    response = _say(shop, "Wie lange dauert die Lieferung? Ich habe gestern bestellt.")
    assert response.analysis.language == "de"
    assert response.draft is not None
    text = response.draft.text
    # no FAQ answer in a language the customer did not write in; thanks in Dutch and in English
    assert "1 tot 2 werkdagen" not in text and "1-2 working days" not in text
    assert "We schrijven hier in het Nederlands of Engels;" in text
    assert "We answer here in Dutch or English;" in text


def test_the_acknowledgement_names_only_the_languages_the_community_answers_in(tmp_path: Path) -> None:
    dutch_only = GUIDELINE.replace("languages: [nl, en]", "languages: [nl]")
    assert dutch_only != GUIDELINE
    shop = _community(tmp_path, dutch_only + "other_languages: acknowledge\n")
    response = _say(shop, "Wie lange dauert die Lieferung? Ich habe gestern bestellt.")
    assert response.draft is not None
    assert "We schrijven hier in het Nederlands;" in response.draft.text
    assert "We answer here in Dutch;" in response.draft.text
    assert "Engels" not in response.draft.text and "English" not in response.draft.text


def test_other_languages_takes_only_the_choices_it_documents(tmp_path: Path) -> None:
    with pytest.raises(ContentInvalid, match="other_languages"):
        load_content(*write_content(tmp_path, GUIDELINE + "other_languages: translate\n"))


def test_a_complaint_most_like_an_answer_not_written_for_complaints_is_acknowledged(tmp_path: Path) -> None:
    # the refund answer explains the usual timeline: no help to someone whose refund is late, so
    # it is not written for complaints; the tracking answer shares their words, not their subject
    faq = (
        "- id: refund\n  language: en\n  acts: [question, statement]\n  tags: [shipping]\n"
        "  question: When do I get my money back after a return?\n"
        "  examples: [still waiting for my refund, how long does a refund take]\n"
        "  answer: Within 5 working days of your return reaching us.\n"
        "- id: tracking\n  language: en\n  tags: [shipping]\n"
        "  question: Where is my order?\n"
        "  examples: [been waiting weeks for my order, still waiting for my parcel]\n"
        "  answer: Your tracking link is in the shipping email.\n"
    )
    # a community that lets less certain answers through: the tracking answer clears its bar
    eager = GUIDELINE.replace("threshold: 0.6", "threshold: 0.5\n  sure_threshold: 0.5")
    assert eager != GUIDELINE
    content = load_content(*write_content(tmp_path, eager, faq))
    shop = Community(content.guidelines["testshop"], FaqIndex(content.faq))

    late_refund = _say(shop, "I've been waiting 10 days for my refund, this is getting ridiculous")
    assert late_refund.analysis.act == "complaint"
    assert late_refund.decision.action == "acknowledge"
    assert "closest FAQ answer 'refund' (0.80) is not for a complaint" in late_refund.decision.reasons
    assert late_refund.draft is not None and "tracking link" not in late_refund.draft.text

    late_order = _say(shop, "I've been waiting 10 days for my order, this is getting ridiculous")
    assert late_order.decision.action == "reply"
    assert late_order.draft is not None and "tracking link" in late_order.draft.text


@pytest.mark.parametrize(
    ("community", "text"),
    [
        (EN, "Can I still change my order? Thanks a lot!"),
        (NL, "Kan ik mijn bestelling nog wijzigen? Alvast bedankt!"),
        (NL, "Leuke site! Hebben jullie ook alcoholvrije wijn?"),
    ],
)
def test_a_friendly_question_keeps_normal_priority(community: Community, text: str) -> None:
    response = _say(community, text)
    assert response.analysis.act == "question" and response.analysis.sentiment_label == "positive"
    assert response.decision.priority == "normal"


def test_praise_that_asks_nothing_can_wait() -> None:
    response = _say(EN, "Really happy with my order, the Rioja was delicious. Thank you!")
    assert response.analysis.sentiment_label == "positive"
    assert response.decision.priority == "low"


def test_a_question_is_answered_from_what_it_asks_not_from_a_remark_beside_it() -> None:
    # as the service matches: with the default sentence encoder
    nl = Community(_DEMO.guidelines["dekelder-nl"], FaqIndex(_DEMO.faq, multilingual.shared()))
    # "Wil er nog een fles bij" shares a word with the broken-bottle answer, and asks nothing
    response = _say(nl, "Kan ik mijn bestelling nog aanpassen? Wil er nog een fles bij")
    assert response.analysis.act == "question"
    assert response.draft is not None and "kapotte fles" not in response.draft.text
    # a remark in the same sentence as the question is part of what it asks
    gift_card = _say(
        NL, "Ik heb een cadeaubon van 25 euro maar mijn bestelling is 60, kan ik de rest met iDEAL betalen?"
    )
    assert gift_card.candidates and gift_card.candidates[0].faq_id.startswith("cadeaubon")
    # and so is a sentence that leads up to the question
    business = _say(
        nl, "Wij willen 30 kerstpakketten laten bezorgen bij onze klanten. Kunnen jullie een offerte maken?"
    )
    assert business.candidates and business.candidates[0].faq_id == "zakelijk-factuur-nl"


def test_a_happy_remark_about_an_order_is_not_asked_for_its_order_number() -> None:
    happy = _say(NL, "Bestelling is net binnen, alles netjes verpakt, fijn!")
    assert happy.analysis.act == "statement" and happy.analysis.sentiment_label == "positive"
    assert happy.draft is not None and "ordernummer" not in happy.draft.text
    worried = _say(NL, "Mijn bestelling is nog steeds niet binnen")
    assert worried.draft is not None and "ordernummer" in worried.draft.text


@pytest.mark.parametrize(
    ("community", "text"),
    [
        (EN, "I tried different browsers this week"),
        (NL, "Morgen wordt het zonnig volgens het weerbericht"),
    ],
)
def test_a_remark_that_asks_nothing_gets_an_faq_answer_only_when_the_match_is_sure(
    community: Community, text: str
) -> None:
    # these share words with an FAQ entry (tasting boxes, delivery times) and clear the plain bar
    response = _say(community, text)
    assert response.analysis.act == "statement"
    assert response.candidates and response.candidates[0].confidence >= community.guideline.faq.threshold
    assert response.decision.action == "acknowledge"


def test_a_remark_that_clearly_asks_for_an_faq_answer_still_gets_it() -> None:
    response = _say(EN, "I forgot my password and the reset link says it's expired")
    assert response.analysis.act == "statement"
    assert response.decision.action == "reply" and response.candidates[0].faq_id == "password-en"
