"""What the analyser makes of real-sounding posts, and `webcare analyze eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from responders import sentiment
from responders.analysis import analyze
from responders.domain import Analysis

runner = CliRunner()


def by_lexicon(text: str, default_language: str = "nl") -> Analysis:
    """The analysis with the lexicon scoring sentiment: what webcare does without the model, and
    where a negative score's strength comes from with it."""
    return analyze(text, default_language=default_language, learned_sentiment=False)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Hoe lang blijft wijn goed na openen?", "neutral"),
        ("Which wine would you recommend with lamb?", "neutral"),
        ("Tot hoe laat kan ik bestellen?", "neutral"),
        ("Super blij met mijn bestelling, echt heerlijke wijn!", "positive"),
        ("Amazing wines and super quick delivery, thank you!", "positive"),
        ("Niet goed. Fles was kapot en niemand reageert.", "negative"),
        ("Opgelicht door jullie, nooit meer!", "negative"),
        ("Pakket is te laat en de klantenservice doet niks", "negative"),
        ("The wine was not good at all", "negative"),
        ("Still waiting for my order 😡", "negative"),
        ("Mooi verpakt 👍", "positive"),
        ("Eten was prima maar de bediening was waardeloos", "negative"),
    ],
)
def test_sentiment_labels(text: str, label: str) -> None:
    assert by_lexicon(text).sentiment_label == label


def test_intensifiers_capitals_and_exclamation_marks_make_it_stronger() -> None:
    plain = by_lexicon("slechte service").sentiment
    assert by_lexicon("heel slechte service").sentiment < plain
    assert by_lexicon("SLECHTE SERVICE!!").sentiment < plain
    assert -1 <= by_lexicon("HEEL HEEL SLECHT!!! 😡😡😡 WAARDELOOS").sentiment <= 1
    assert -1 <= analyze("HEEL HEEL SLECHT!!! 😡😡😡 WAARDELOOS").sentiment < -0.75


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("waar blijft mijn pakket", "nl"),
        ("where is my parcel", "en"),
        ("bedankt voor alles", "nl"),
        ("thanks for everything", "en"),
        ("Wo ist meine Bestellung geblieben, ich warte schon seit einer Woche darauf", "de"),
        # short German, French and Spanish messages are not Dutch, the community's default
        ("Wo ist mein Paket?", "de"),
        ("Vielen Dank für die schnelle Lieferung", "de"),
        ("Où est mon colis ?", "fr"),
        ("Merci beaucoup pour la livraison", "fr"),
        ("¿Dónde está mi pedido?", "es"),
        ("Gracias por todo", "es"),
        ("Hallo, wie lange dauert die Lieferung nach Deutschland?", "de"),
        # Dutch with words German or French also has
        ("Die wijn is lekker", "nl"),
        ("Kun je me helpen?", "nl"),
    ],
)
def test_language_of_short_and_foreign_messages(text: str, language: str) -> None:
    assert analyze(text, default_language="nl").language == language


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("Hoe kan ik betalen?", "question"),
        ("Mijn fles is kapot aangekomen", "complaint"),
        ("Ik kan niet inloggen en krijg geen mail om mijn wachtwoord te herstellen", "complaint"),
        ("I can't log in and no email comes to reset my password", "complaint"),
        ("Top service, aanrader!", "praise"),
        ("Ik heb het vandaag nog nodig, dringend", "urgency"),
        ("Ik schakel mijn advocaat in", "legal_threat"),
        ("Never again, I'm switching to another shop", "churn_threat"),
        ("Bij Gall & Gall is het goedkoper", "competitor"),
        ("Welke wijn kan ik het beste kopen als cadeau?", "buying_intent"),
        ("wtf is dit voor shit", "profanity"),
    ],
)
def test_signals(text: str, signal: str) -> None:
    assert signal in analyze(text, competitors=["Gall & Gall"]).signals


def test_recommend_in_a_question_is_not_praise() -> None:
    assert "praise" not in analyze("Which wine would you recommend?").signals


def test_analyze_eval_prints_the_metrics(tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "text,label,language\n"
        "Heerlijke wijn en snelle bezorging,positive,nl\n"
        "Fles kapot en niemand reageert,negative,nl\n"
        "Waar is mijn pakket,negative,nl\n"  # read as neutral: a missed negative
        "Great wine thank you,positive,en\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["analyze", "eval", "--cases", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    keys = ["cases", "accuracy", "macro_f1", "negative_precision", "negative_recall", "language_accuracy"]
    keys.append("seen_in_training")
    assert list(scores) == keys
    assert scores["cases"] == 4 and scores["accuracy"] == 0.75
    assert scores["negative_precision"] == 1.0 and scores["negative_recall"] == 0.5
    # F1: positive 1.0, negative 2/3, neutral 0 -> mean 0.5556
    assert scores["macro_f1"] == pytest.approx(0.5556, abs=1e-3)
    assert scores["language_accuracy"] == 1.0
    text = runner.invoke(app, ["analyze", "eval", "--cases", str(cases)]).output
    assert "macro_f1:" in text and "negative_recall:" in text


def test_analyze_eval_without_language_column_and_with_a_bad_label(tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("text,label\nprima,positive\n", encoding="utf-8")
    scores = json.loads(runner.invoke(app, ["analyze", "eval", "--cases", str(cases), "--json"]).output)
    assert scores["language_accuracy"] is None
    cases.write_text("text,label\nprima,blij\n", encoding="utf-8")
    result = runner.invoke(app, ["analyze", "eval", "--cases", str(cases)])
    assert result.exit_code == 2 and "label 'blij'" in result.output


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # words the webcare list lacks: pattern's Dutch adjectives, VADER's English words
        ("Het eten was flauw en de bediening slordig", "negative"),
        ("Vakkundig en hartelijk geholpen", "positive"),
        ("The staff were incompetent", "negative"),
        ("The food was not impressive", "negative"),
        # Dutch compounds and comparatives
        ("Superlekkere wijn", "positive"),
        ("Wat een klantonvriendelijke winkel", "negative"),
        ("Nog lekkerder dan vorig jaar", "positive"),
        # too much of anything is a complaint, unless negated or an idiom
        ("Het wachten duurde te lang", "negative"),
        ("Delivery took too long", "negative"),
        ("De wijn was niet te duur", "positive"),
        ("Te gek, dit feestje", "positive"),
        # drawn-out words and emoticons, in either language
        ("sooo goooood", "positive"),
        ("Pakket eindelijk ontvangen :(", "negative"),
        ("Me too!", "neutral"),
        ("Ik heb een afspraak gemaakt", "neutral"),
        # pattern rates "lang" slightly negative; asking how long something takes is no complaint
        ("Hoe lang duurt de bezorging van mijn bestelling?", "neutral"),
        ("Which one is best?", "neutral"),
    ],
)
def test_sentiment_beyond_the_webcare_words(text: str, label: str) -> None:
    assert by_lexicon(text).sentiment_label == label


def test_explain_names_the_words_behind_the_score() -> None:
    explained = sentiment.explain("Eten was prima maar de bediening was waardeloos", "nl")
    parts = {p.text: p.valence for p in explained}
    assert set(parts) == {"prima", "waardeloos"}
    # after "maar" a word weighs three times what it would before it
    assert parts["prima"] > 0 > parts["waardeloos"] and abs(parts["waardeloos"]) > 3 * parts["prima"]
    assert sentiment.explain("Tot hoe laat kan ik bestellen?", "nl") == []


def test_the_webcare_list_wins_over_the_general_lexicons() -> None:
    # VADER rates "joke" as positive; a customer calling the service a joke is not
    assert analyze("Your service is a joke", default_language="en").sentiment_label == "negative"
    assert by_lexicon("Your service is a joke", default_language="en").sentiment_label == "negative"
    assert by_lexicon("klantenservice", default_language="nl").sentiment < 0


@given(text=st.text(max_size=300), language=st.sampled_from(["nl", "en", "other"]))
def test_any_text_scores_within_bounds(text: str, language: str) -> None:
    assert -1.0 <= sentiment.score(text, language) <= 1.0
    assert all(p.valence for p in sentiment.explain(text, language))


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Wat een slechte service, nooit meer!!", False),
        ("What a mess this order is", False),
        ("Wat kost verzending naar België", True),
        ("Hoe lang duurt de bezorging", True),
        ("What are your opening hours", True),
    ],
)
def test_a_question_word_opening_an_exclamation_is_no_question(text: str, question: bool) -> None:
    assert ("question" in analyze(text).signals) is question


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("How long does delivery take?", "en", "neutral"),
        ("Hoe lang duurt de bezorging?", "nl", "neutral"),
        ("Can I pay with iDEAL?", "en", "neutral"),
        ("Kan ik betalen met iDEAL?", "nl", "neutral"),
        # complaints without a single strong word still need escalation's attention
        ("my order still hasn't arrived, third time I ask", "en", "negative"),
        ("mijn bestelling is nog steeds niet binnen, ik vraag het nu voor de derde keer", "nl", "negative"),
        ("Still no reply to my email from last week", "en", "negative"),
        ("Ik wacht al twee weken op mijn terugbetaling", "nl", "negative"),
    ],
)
def test_questions_are_neutral_and_quiet_complaints_negative(text: str, language: str, label: str) -> None:
    assert analyze(text, default_language=language).sentiment_label == label


@pytest.mark.parametrize(
    ("text", "language", "act"),
    [
        # a fault reported without a strong word is a complaint, however it is phrased
        ("Since yesterday the app keeps crashing when I open my orders", "en", "complaint"),
        ("I've been having issues with the checkout all morning", "en", "complaint"),
        ("Your website is down again, can't place my order", "en", "complaint"),
        ("De app loopt steeds vast bij het afrekenen", "nl", "complaint"),
        ("Is er een storing? Ik kom al een uur niet op de site", "nl", "complaint"),
        ("Ik heb 2x betaald voor dezelfde bestelling, graag geld terug", "nl", "complaint"),
        # praise for a fault reported next to it is sarcasm, not thanks
        ("The app stopped working after the update and freezes every minute. Love it!!", "en", "complaint"),
        ("Thanks for the reply. The courier now says a 3 hour delay, again", "en", "complaint"),
        # thanks for a fixed problem stays thanks
        ("Problem solved, super help from your colleague, thanks!", "en", "thanks"),
        ("Het werkt weer, top geholpen!", "nl", "thanks"),
    ],
)
def test_faults_are_complaints_and_thanks_for_a_fix_is_thanks(text: str, language: str, act: str) -> None:
    assert analyze(text, default_language=language).act == act


@pytest.mark.parametrize(
    ("text", "language", "act"),
    [
        # a negated praise word is no praise: never "Wat leuk om te lezen" to a bad review
        ("Zeker geen aanrader, voor dit geld haal ik het ergens anders.", "nl", "complaint"),
        ("Not a winner, this one. The Rioja was flat.", "en", "complaint"),
        # a negated fix is no fix: thanks beside it is sarcasm
        ("Het is nog steeds niet opgelost, bedankt voor niks", "nl", "complaint"),
        # a negated fault is no complaint
        ("De fles was gelukkig niet kapot, dank je!", "nl", "thanks"),
        # what only looks like a negation keeps the phrase
        ("Without a doubt the best wine shop, thanks!", "en", "thanks"),
        ("Niet alleen snel geleverd, ook echt top!", "nl", "thanks"),
        ("Ik heb mijn pakket nog steeds niet ontvangen", "nl", "complaint"),
    ],
)
def test_a_negation_before_a_signal_phrase_turns_it_around(text: str, language: str, act: str) -> None:
    assert analyze(text, default_language=language).act == act


@pytest.mark.parametrize(
    ("text", "spam"),
    [
        # customers' own words that spammers use too: never dropped as spam
        ("Can you help me with updating my delivery address?", False),
        ("My promo code doesn't work at checkout", False),
        ("I work from home, can you deliver in the afternoon?", False),
        ("Accepteren jullie ook bitcoin?", False),
        # spam: a spam phrase, two links, or such words together or beside a link
        ("Earn money from home! €500/week", True),
        ("Kijk op mijn profiel voor meer", True),
        ("crypto casino bonus", True),
        ("Gratis bitcoin https://x.example", True),
        ("Nice https://a.example and https://b.example", True),
    ],
)
def test_spam_needs_more_than_a_word_customers_use_too(text: str, spam: bool) -> None:
    assert ("spam" in analyze(text, default_language="en").signals) is spam
