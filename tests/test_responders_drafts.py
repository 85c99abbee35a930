"""Drafts an agent sends unchanged: the act, the tone, the customer's context and true promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from responders.analysis import analyze
from responders.compose import first_name
from responders.content import load_content
from responders.domain import Author, Context, Mention, ReplyTo, Response
from responders.engine import Community, respond
from responders.faq import FaqIndex
from responders.promise import promise

ROOT = Path(__file__).resolve().parent.parent
# Monday 23 November 2026, 11:00 in Amsterdam
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
_DEMO = load_content(ROOT / "guidelines", ROOT / "faq")
_INDEX = FaqIndex(_DEMO.faq)
NL = Community(_DEMO.guidelines["dekelder-nl"], _INDEX)
EN = Community(_DEMO.guidelines["dekelder-en"], _INDEX)
APOLOGY_WORDS = ("sorry", "vervelend", "balen", "domper", "shame", "annoying", "spijt", "excuses")


def _say(
    community: Community,
    text: str,
    *,
    name: str = "Anna de Vries",
    handle: str = "anna",
    now: datetime = NOW,
    private: bool = False,
    reply_to: ReplyTo = "",
    context: Context | None = None,
) -> Response:
    mention = Mention(
        "telegram", "c", "m-1", Author("1", handle, name), text, now, private=private, reply_to=reply_to
    )
    return respond(mention, context or Context(now=now), community)


def _body(response: Response) -> str:
    assert response.draft is not None, response.decision.reasons
    return response.draft.text.split("\n\n", 1)[1].rsplit("\n\n", 1)[0]


@pytest.mark.parametrize(
    ("community", "text"),
    [
        (NL, "Weet iemand of dekelder ook op zaterdag bezorgt? Werk doordeweeks en ben nooit thuis"),
        (NL, "Hoe lang blijft een geopende fles prosecco nog bruisen?"),
        (NL, "hoeveel verzendkosten betaal je eigenlijk als je onder de 75 euro blijft?"),
        (EN, "Sorry for writing in English! Can I pick up my order at your shop in Utrecht?"),
        (EN, "How long does an opened bottle of red keep? Never sure what to do with leftovers"),
    ],
)
def test_a_plain_question_is_neutral_and_gets_no_apology(community: Community, text: str) -> None:
    response = _say(community, text)
    # "weet iemand ..." asks the other members: a conversation, answered when the FAQ knows the fact
    assert response.analysis.act in {"question", "conversation"}
    assert response.analysis.sentiment_label == "neutral"
    assert response.decision.action == "reply"
    assert not any(word in _body(response).lower() for word in APOLOGY_WORDS)


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("Mijn bestelling is er na twee weken nog steeds niet, derde keer dat ik het vraag", "complaint"),
        ("my order still hasn't arrived, third time I ask", "complaint"),
        ("Top service, gisteren besteld en vandaag al binnen, dank jullie wel!", "thanks"),
        (
            "Als ik mijn geld niet terugkrijg stap ik naar de geschillencommissie en mijn advocaat",
            "legal_threat",
        ),
        ("Na een glas van jullie rosé ben ik flink ziek geworden", "health_safety"),
        ("Ik ben journalist bij een regionale krant en schrijf een stuk over wijnwinkels", "press"),
        ("Dit is de laatste keer dat ik bij jullie bestel", "churn_threat"),
        ("Bij Wijnvoordeel kost dezelfde Rioja 3 euro minder, waarom zijn jullie duurder?", "competitor"),
        ("Verdien snel geld met crypto, klik hier https://x.example/a https://x.example/b", "spam"),
        ("Can I pay with a UK credit card?", "question"),
    ],
)
def test_analysis_names_what_the_customer_is_doing(text: str, act: str) -> None:
    analysis = analyze(text, competitors=NL.guideline.competitors, brand_names=("De Kelder", "dekelder"))
    assert analysis.act == act
    if act == "complaint":
        assert analysis.sentiment_label == "negative"


def test_customers_talking_among_themselves_get_no_draft_unless_they_address_the_brand() -> None:
    banter = _say(NL, "Haha ja, die Primitivo was echt te gek op dat feestje", reply_to="member")
    assert banter.analysis.act == "conversation"
    assert banter.decision.action == "no_reply" and banter.draft is None
    assert any("among themselves" in reason for reason in banter.decision.reasons)
    asking = _say(NL, "Ervaringen met De Kelder vs Wijnvoordeel? Wie heeft bij allebei besteld?")
    assert asking.decision.action == "no_reply"
    to_us = _say(
        NL, "De Kelder, kunnen jullie hier iets over zeggen? Bezorgen jullie op zaterdag?", reply_to="member"
    )
    assert to_us.analysis.act != "conversation" and to_us.draft is not None


def test_members_asking_each_other_a_fact_the_faq_knows_get_the_fact() -> None:
    response = _say(NL, "Weet iemand of dekelder ook op zaterdag bezorgt?")
    assert response.analysis.act == "conversation"
    assert response.draft is not None and response.draft.faq_id == "levertijd-nl"


@pytest.mark.parametrize(
    ("text", "team"),
    [
        ("Als dit niet vandaag is opgelost schakel ik mijn advocaat in.", "legal"),
        ("Er zat een glassplinter in mijn glas na het inschenken!", "kwaliteit"),
        (
            "Ik ben journalist en schrijf voor een artikel over online wijnwinkels, kan ik iemand spreken?",
            "pr",
        ),
    ],
)
def test_legal_health_and_press_get_a_calm_formal_acknowledgement(text: str, team: str) -> None:
    response = _say(NL, text)
    assert response.decision.action == "acknowledge" and response.decision.team == team
    draft = response.draft
    assert draft is not None
    assert not any(word in draft.text.lower() for word in ("balen", "domper", "!"))
    assert "Met vriendelijke groet," in draft.text
    assert "ordernummer" not in draft.text


def test_an_order_number_in_the_message_or_thread_is_never_asked_for_again() -> None:
    asked = _say(NL, "Mijn pakket is nog steeds niet binnen en ik hoor niks", private=False)
    assert "ordernummer" in _body(asked)
    given = _say(NL, "Mijn bestelling 100482 is nog steeds niet binnen en ik hoor niks")
    assert "ordernummer" not in _body(given) and "100482" in _body(given)
    earlier = Context(now=NOW, order_number="100482")
    in_thread = _say(NL, "Nog steeds niks gehoord over mijn pakket hoor", context=earlier)
    assert "ordernummer" not in _body(in_thread)


def test_only_a_message_about_an_order_is_asked_for_the_order_number() -> None:
    unrelated = _say(NL, "Ik wil graag iemand spreken over een samenwerking met onze kaasboerderij")
    assert unrelated.decision.action == "acknowledge"
    assert "ordernummer" not in _body(unrelated)


def test_a_private_chat_is_never_asked_to_send_a_private_message() -> None:
    for text in ("Er zat een kapotte fles in mijn doos, alles nat", "Ik kan niet meer inloggen op de site"):
        public = _body(_say(NL, text))
        private = _body(_say(NL, text, private=True))
        assert "privébericht" in public
        assert "privébericht" not in private
    assert "private message" not in _body(_say(EN, "A bottle arrived broken, what now?", private=True))


@pytest.mark.parametrize(
    ("name", "handle", "greets"),
    [
        ("Sanne de Vries", "sanne_drinkt", "Sanne"),
        ("zaterdagzuiper", "zaterdagzuiper", ""),
        ("KurkdroogNL", "KurkdroogNL", ""),
        ("joris@example.nl", "joris", ""),
        ("Wijn met Willemijn", "wijnmetwillemijn", ""),
        ("", "boze_buurman", ""),
        ("unknown", "", ""),
        ("Martijn van den Berg", "mvdberg", "Martijn"),
    ],
)
def test_the_greeting_uses_a_name_only_when_it_is_a_persons_name(name: str, handle: str, greets: str) -> None:
    assert first_name(name, handle) == greets
    draft = _say(NL, "Wat zijn de verzendkosten?", name=name, handle=handle).draft
    assert draft is not None
    greeting = draft.text.split("\n")[0]
    assert handle.lower() not in greeting.lower() if handle else True
    assert greeting.endswith(f" {greets},") if greets else greeting in {"Hoi,", "Hey,", "Hallo,"}


def test_a_promise_is_written_in_local_time_as_people_say_it() -> None:
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam

    def say(due: datetime, language: str) -> str:
        return promise(due, now=monday, timezone="Europe/Amsterdam", language=language)

    assert say(monday + timedelta(hours=5, minutes=10), "nl") == "vandaag vóór 17:00"
    assert say(monday + timedelta(days=1), "en") == "tomorrow before 11:00"
    assert say(monday + timedelta(days=3), "nl") == "donderdag vóór 11:00"
    assert say(monday + timedelta(days=3), "en") == "on Thursday before 11:00"
    assert say(monday + timedelta(days=20), "nl") == "op 13 december vóór 11:00"
    assert say(monday - timedelta(hours=2), "nl") == "vandaag vóór 11:00"  # never a moment past


def test_a_message_at_night_is_promised_the_next_morning_not_within_the_hour() -> None:
    night = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)  # Tuesday 23:30 in Amsterdam
    response = _say(NL, "Ik schakel mijn advocaat in als ik mijn geld niet terugkrijg.", now=night)
    body = _body(response)
    assert "morgen vóór 10:00" in body
    assert "1 uur" not in body


def test_a_late_post_is_promised_a_time_still_ahead() -> None:
    later = NOW + timedelta(days=2)
    text = "Graag wil ik iemand spreken over een samenwerking met onze kaasboerderij"
    mention = Mention("telegram", "c", "m-9", Author("1", "", "Anna"), text, NOW)
    response = respond(mention, Context(now=later), NL)
    assert response.decision.due_at < later
    # the post was due Monday; from Wednesday 11:00, 8 working hours (09:00-18:00) end Thursday 10:00
    assert "morgen vóór 10:00" in _body(response)


def test_praise_and_a_problem_thank_for_the_praise_and_answer_the_problem() -> None:
    response = _say(NL, "De wijnen zijn echt top, maar één fles lekte bij aankomst. Wat nu?")
    assert response.analysis.act == "complaint"
    assert response.draft is not None and response.draft.faq_id == "kapotte-fles-nl"
    body = _body(response)
    assert any(line in body for line in NL.guideline.tone["nl"].thanks_for_praise)


def test_two_questions_with_confident_matches_get_both_answers() -> None:
    response = _say(
        NL, "Kan ik betalen met Klarna? En hoe lang blijft een geopende fles rode wijn eigenlijk goed?"
    )
    draft = response.draft
    assert draft is not None
    assert {draft.faq_id, *draft.also_answered} == {"betaalmethoden-nl", "geopende-fles-nl"}
    assert "Klarna" in draft.text and "dagen" in draft.text


def test_an_answer_already_given_in_the_thread_is_not_sent_twice() -> None:
    context = Context(now=NOW, brand_replies_in_thread=1, answered_in_thread=("levertijd-nl",))
    response = _say(NL, "Hoe lang duurt de levering nou eigenlijk?", context=context)
    assert response.decision.action == "acknowledge"
    assert any("already got this FAQ answer" in reason for reason in response.decision.reasons)


def test_alternatives_are_written_out_in_full_with_their_question() -> None:
    response = _say(NL, "Vanaf welk bedrag is de verzending naar België gratis?")
    draft = response.draft
    assert draft is not None and draft.alternatives
    alternative = draft.alternatives[0]
    assert alternative.faq_id != draft.faq_id
    assert alternative.question.endswith("?")
    assert (
        alternative.text.startswith(draft.text.split("\n")[0])
        and "Team Wijnhuis De Kelder" in alternative.text
    )


def test_thanks_for_a_problem_solved_is_thanked_without_an_apology() -> None:
    response = _say(
        NL, "Dank jullie wel voor het snelle oplossen van die kapotte fles, de nieuwe is al binnen"
    )
    assert response.analysis.act == "thanks"
    assert response.draft is not None and response.draft.faq_id == "bedankt-nl"
    assert not any(word in _body(response).lower() for word in APOLOGY_WORDS)


def test_the_customers_own_slip_gets_help_without_an_apology() -> None:
    response = _say(NL, "Per ongeluk de verkeerde jaargang besteld, kan ik dat nog ruilen? Doos is nog dicht")
    assert response.analysis.act == "question"
    assert not any(word in _body(response).lower() for word in APOLOGY_WORDS)


def test_a_reply_to_another_member_that_commiserates_is_their_conversation() -> None:
    response = _say(NL, "Balen joh! Bij mij ging vorig jaar ook een fles stuk", reply_to="member")
    assert response.analysis.act == "conversation" and response.draft is None


def test_a_complaint_gets_a_canned_answer_only_when_it_surely_fits() -> None:
    late = _say(
        NL,
        "2 sterren. Wijn was prima maar ik moest 6 dagen wachten op mijn pakket en niemand liet iets weten.",
    )
    assert late.analysis.act == "complaint"
    assert late.decision.action == "acknowledge"
    broken = _say(NL, "Er zat een kapotte fles in mijn doos, alles doorweekt")
    assert broken.decision.action == "reply" and broken.draft is not None
    assert broken.draft.faq_id == "kapotte-fles-nl"


def test_a_follow_up_in_an_answered_thread_goes_to_a_person() -> None:
    context = Context(now=NOW, brand_replies_in_thread=1, order_number="100699")
    response = _say(
        NL,
        "Heb ik gedaan, ordernummer is 100699. Krijg ik een nieuwe fles of mijn geld terug?",
        context=context,
    )
    assert response.decision.action == "acknowledge"
    assert "ordernummer" not in _body(response).replace("100699", "")
