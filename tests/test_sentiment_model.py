"""The shipped sentiment model: what escalation relies on, in Dutch and English, and its fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from responders import sentiment_model
from responders.analysis import analyze


def test_model_loads_from_the_installed_package() -> None:
    model = sentiment_model.load()
    assert model is not None
    assert sentiment_model.MODEL.is_file()
    assert model.weights.shape[1] == 3


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hoe laat zijn jullie morgen open?", "nl"),
        ("What time do you open tomorrow?", "en"),
    ],
)
def test_a_neutral_question_is_neutral(text: str, language: str) -> None:
    for learned in (False, True):
        result = analyze(text, default_language=language, learned_sentiment=learned)
        assert result.sentiment_label == "neutral"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Mijn bestelling is nog steeds niet binnen, dit is de derde keer dat ik het vraag", "nl"),
        ("My order still hasn't arrived, third time I ask", "en"),
    ],
)
def test_a_polite_but_persistent_complaint_is_negative(text: str, language: str) -> None:
    for learned in (False, True):
        result = analyze(text, default_language=language, learned_sentiment=learned)
        assert result.sentiment_label == "negative"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wat een gedoe weer met die bezorging", "nl"),
        ("It has been a week and nobody got back to me", "en"),
    ],
)
def test_by_default_a_complaint_in_plain_words_is_negative(text: str, language: str) -> None:
    # no word in either lexicon is negative here: only the model hears the complaint
    assert analyze(text, default_language=language, learned_sentiment=False).sentiment_label == "neutral"
    assert analyze(text, default_language=language).sentiment_label == "negative"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Het pakket is beschadigd aangekomen, twee flessen kapot", "nl"),
        ("The parcel arrived damaged, two bottles broken", "en"),
        ("Wat een gedoe weer met die bezorging", "nl"),
        ("It has been a week and nobody got back to me", "en"),
    ],
)
def test_a_calm_complaint_is_negative_but_not_very_negative(text: str, language: str) -> None:
    # the demo guidelines escalate below -0.75 ("clearly angry"): a calm complaint is the agent's,
    # however sure the model is (P(negative) 0.8-0.99 for these)
    assert (sentiment_model.probabilities(text, language) or (0.0,))[0] > 0.75
    assert -0.75 <= analyze(text, default_language=language).sentiment < 0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Jullie zijn echt waardeloos, belachelijk dit. Nooit meer!", "nl"),
        ("This is a total scam, worst service ever, I want my money back NOW", "en"),
    ],
)
def test_an_angry_complaint_is_very_negative(text: str, language: str) -> None:
    assert analyze(text, default_language=language).sentiment < -0.75


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ik wacht nu al 10 dagen op mijn retourbetaling", "nl"),
        ("I've been waiting 10 days for my refund", "en"),
    ],
)
def test_waiting_for_days_is_a_complaint(text: str, language: str) -> None:
    result = analyze(text, default_language=language)
    assert (result.act, result.sentiment_label) == ("complaint", "negative")


@pytest.mark.parametrize(
    "text",
    [
        "Shoutout voor het team: binnen een uur superfijn advies gekregen. Zo hoort het!",
        "Chapeau, binnen een uur antwoord gekregen. Zo hoort het!",
    ],
)
def test_praise_stays_with_the_lexicon_where_the_model_misreads_it(text: str) -> None:
    # the model learned "zo hoort het" from "zo hoort het niet" in reviews: praise words overrule it
    assert (sentiment_model.score(text, "nl") or 0.0) < 0
    result = analyze(text, default_language="nl")
    assert result.sentiment == analyze(text, default_language="nl", learned_sentiment=False).sentiment >= 0
    assert result.act == "thanks"


def test_a_missing_model_file_loads_nothing(tmp_path: Path) -> None:
    assert sentiment_model.load.__wrapped__(tmp_path / "missing.npz") is None


def test_a_model_file_from_an_older_trainer_loads_nothing(tmp_path: Path) -> None:
    # the weights alone, without the n-gram vocabularies this version reads
    old = tmp_path / "old.npz"
    np.savez(old, weights=np.zeros((515, 3)), bias=np.zeros(3), negative_bar=0.5, train_hashes=np.zeros(0))
    assert sentiment_model.load.__wrapped__(old) is None


def test_without_the_model_the_lexicon_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment_model, "load", lambda path=sentiment_model.MODEL: None)
    assert sentiment_model.score("What time do you open?", "en") is None

    def label(text: str) -> str:
        return analyze(text, default_language="en", learned_sentiment=True).sentiment_label

    assert label("Thanks, great service!") == "positive"
    assert label("What time do you open tomorrow?") == "neutral"
    assert label("My order still hasn't arrived, third time I ask") == "negative"


def analyze_eval(cases: Path, *options: str) -> str:
    """What `webcare analyze eval --cases CASES OPTIONS` prints; it must succeed."""
    from typer.testing import CliRunner

    from bot.cli import app

    result = CliRunner().invoke(app, ["analyze", "eval", "--cases", str(cases), *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_analyze_eval_says_which_cases_the_model_was_trained_on(tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "text,label\n"
        '"Judging from previous posts this used to be a good place, but not any longer.",negative\n'
        "Where is my parcel? Third time I ask.,negative\n",
        encoding="utf-8",
    )
    full = analyze_eval(cases, "--lexicon")
    assert "seen_in_training:    1 (not a held-out score: use --held-out)" in full
    held = analyze_eval(cases, "--held-out")
    assert "cases:               1" in held and "seen_in_training:    0" in held


def test_analyze_eval_scores_the_model_by_default_and_the_lexicon_on_request(tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "text,label\n"
        "Wat een gedoe weer met die bezorging,negative\n"
        "It has been a week and nobody got back to me,negative\n",
        encoding="utf-8",
    )
    assert '"negative_recall": 1.0' in analyze_eval(cases, "--json")
    assert '"negative_recall": 0.0' in analyze_eval(cases, "--json", "--lexicon")


def test_the_retrain_script_runs_small() -> None:
    import subprocess
    import sys

    from tests.conftest import ON_CI

    root = Path(__file__).resolve().parent.parent
    if not (root.parent / "shared" / "data" / "README.md").is_file():
        if ON_CI:
            pytest.fail("tools/train_sentiment.py needs ../shared/data on CI")
        pytest.skip("the data sets are not at ../shared/data")
    before = sentiment_model.MODEL.read_bytes()
    script = str(root / "tools" / "train_sentiment.py")
    run = subprocess.run([sys.executable, script, "--smoke"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "trained on" in run.stdout and "held out" in run.stdout
    assert sentiment_model.MODEL.read_bytes() == before  # --smoke writes nothing
