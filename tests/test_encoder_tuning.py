"""WEBCARE_FAQ_ENCODER=minilm-tuned: each FAQ scope gets a copy of the encoder tuned on its phrasings.

Every tuning here is real (PyTorch, a dozen phrasings, then the int8 conversion): seconds each.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from typer.testing import CliRunner

from bot import content_edit
from bot.cli import app
from bot.clock import SystemClock
from bot.encoder_cache import DEFAULT_CACHE_DIR, model_source, stock_minilm
from bot.encoder_tuning import TunedMiniLM, TunedModels
from bot.jobs import Jobs
from bot.registry import ContentRegistry
from bot.settings import get_settings
from responders.embeddings import MiniLM
from tests.factories import GUIDELINE, mention_json, write_content

FAQ = """\
- id: shipping-time
  language: en
  tags: [shipping]
  question: How long does delivery take?
  examples: [when will my order arrive, how fast do you deliver, how many days until my parcel comes]
  answer: "Order before 4 pm and we deliver within 1-2 working days."
- id: returns
  language: en
  tags: [shipping]
  question: How do I send something back?
  examples: [i want to return my order, can i get a refund for this, the bottle arrived broken what now]
  answer: "Returns are free within 14 days."
- id: opening-hours
  language: en
  tags: [shipping]
  question: When is your shop open?
  examples: [what are your opening hours, are you open on sunday, until what time can i visit the store]
  answer: "We are open Tuesday to Saturday, 10:00 to 18:00."
- id: levertijd
  language: nl
  tags: [shipping]
  question: Hoe lang duurt de bezorging?
  examples: [wanneer wordt mijn bestelling bezorgd]
  answer: "Binnen 1 tot 2 werkdagen."
"""
# the English scope: every (entry id, phrasing) pair the matcher hands the encoder
PAIRS = tuple(
    (entry, text)
    for entry, texts in {
        "shipping-time": [
            "How long does delivery take?",
            "when will my order arrive",
            "how fast do you deliver",
            "how many days until my parcel comes",
        ],
        "returns": [
            "How do I send something back?",
            "i want to return my order",
            "can i get a refund for this",
            "the bottle arrived broken what now",
        ],
        "opening-hours": [
            "When is your shop open?",
            "what are your opening hours",
            "are you open on sunday",
            "until what time can i visit the store",
        ],
    }.items()
    for text in texts
)
MESSAGE = "My package showed up smashed, I'd like my money back"
runner = CliRunner()


def _stock() -> MiniLM:
    return stock_minilm(DEFAULT_CACHE_DIR.resolve())  # the same model object as the other encoder tests


def _tuned(cache: Path, *, wait: bool = False) -> TunedMiniLM:
    return TunedMiniLM(_stock(), TunedModels(cache, model_source()), wait=wait)


def _separation(encoder: MiniLM) -> float:
    """How much closer a phrasing is to its own entry's phrasings than to the others' (mean cosines)."""
    vectors = encoder.encode([text for _, text in PAIRS])
    entries = np.array([entry for entry, _ in PAIRS])
    cosines = vectors @ vectors.T
    same = (entries[:, None] == entries[None, :]) & ~np.eye(len(PAIRS), dtype=bool)
    other = entries[:, None] != entries[None, :]
    return float(cosines[same].mean() - cosines[other].mean())


@pytest.fixture(scope="module")
def tuned_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache holding the model tuned for PAIRS, made in this process as a command makes it."""
    cache = tmp_path_factory.mktemp("models")
    assert _tuned(cache, wait=True).for_scope(PAIRS) is not _stock()
    return cache


def test_the_stock_model_serves_until_the_scope_is_tuned_in_the_background(tmp_path: Path) -> None:
    guidelines, faq = write_content(tmp_path, GUIDELINE, FAQ)
    tuned = _tuned(tmp_path / "models")
    registry = ContentRegistry(guidelines, faq, tuned)
    jobs = Jobs(create_engine("sqlite://"), {}, registry, worker="test", interval=60, clock=SystemClock())

    def match() -> list[tuple[str, float]]:
        found = registry.snapshot.communities["testshop"].faq.match(MESSAGE, language="en", tags=["shipping"])
        return [(c.faq_id, c.confidence) for c in found]

    plain = ContentRegistry(guidelines, faq, _stock()).snapshot.communities["testshop"].faq
    stock = [(c.faq_id, c.confidence) for c in plain.match(MESSAGE, language="en", tags=["shipping"])]
    assert match() == stock  # nothing waits for training: the stock model answers at once
    assert tuned.waiting() == 1  # the English scope; Dutch is not the model's language

    jobs.tune_encoder()  # a child process tunes the scope, then the matchers are rebuilt

    assert tuned.waiting() == 0
    [folder] = [p for p in (tmp_path / "models" / "tuned").iterdir() if p.is_dir()]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["entries"], manifest["phrasings"], manifest["epochs"]) == (3, 12, 10)
    after = match()
    assert after != stock  # the tuned copy now matches
    assert after[0][0] == stock[0][0] == "returns"
    assert after[0][1] > stock[0][1]  # and is surer of the right entry


def test_tuning_pulls_each_entrys_phrasings_together(tuned_cache: Path) -> None:
    tuned = _tuned(tuned_cache).for_scope(PAIRS)
    assert _separation(tuned) > _separation(_stock()) + 0.1


def test_an_edited_faq_waits_for_its_own_model_and_a_damaged_one_is_not_used(
    tuned_cache: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "models"
    shutil.copytree(tuned_cache, cache)
    tuned = _tuned(cache)
    assert tuned.for_scope(tuple(reversed(PAIRS))) is not _stock()  # the same phrasings in another order
    edited = (*PAIRS, ("returns", "the cork is dry and the wine tastes off"))
    assert tuned.for_scope(edited) is _stock()
    assert tuned.waiting() == 1

    [model] = (cache / "tuned").glob("*/model-int8.onnx")
    model.write_bytes(model.read_bytes()[:1000])  # a disk that filled up, say
    fresh = _tuned(cache)  # as a restarted process
    assert fresh.for_scope(PAIRS) is _stock()
    assert fresh.waiting() == 1


def test_a_failed_tuning_keeps_the_stock_model_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "models"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    tuned = _tuned(blocked)
    assert tuned.for_scope(PAIRS) is _stock()
    with caplog.at_level(logging.ERROR, logger="bot.encoder_tuning"):
        assert tuned.tune_next() is False
        assert tuned.tune_next() is False  # not again at once: the next try is an hour later
    [failure] = caplog.records
    assert "the stock model serves" in failure.getMessage()
    assert "WEBCARE_MODEL_CACHE_DIR must name a writable folder" in failure.__dict__["error"]
    assert tuned.waiting() == 1
    assert tuned.for_scope(PAIRS) is _stock()

    caplog.clear()
    command = _tuned(blocked, wait=True)  # as `webcare faq eval` tunes before it scores
    with caplog.at_level(logging.ERROR, logger="bot.encoder_tuning"):
        assert command.for_scope(PAIRS) is _stock()
        assert command.for_scope(PAIRS) is _stock()  # tried once, not for every scope build
    [failure] = caplog.records
    assert "WEBCARE_MODEL_CACHE_DIR must name a writable folder" in failure.__dict__["error"]


def test_faq_eval_with_the_tuned_encoder_reuses_the_tuned_model(
    tuned_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, faq = write_content(tmp_path, GUIDELINE, FAQ)
    cases = tmp_path / "cases.csv"
    rows = f'text,expected\n"{MESSAGE}",returns\nis the store open on saturday,opening-hours\n'
    cases.write_text(rows, encoding="utf-8")
    monkeypatch.setenv("WEBCARE_MODEL_CACHE_DIR", str(tuned_cache))
    get_settings.cache_clear()
    before = sorted(p.name for p in (tuned_cache / "tuned").iterdir())
    args = ["faq", "eval", "--faq", str(faq), "--cases", str(cases), "--json", "--encoder", "minilm-tuned"]
    result = runner.invoke(app, args)
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["accuracy"] == 1.0
    assert sorted(p.name for p in (tuned_cache / "tuned").iterdir()) == before  # found, not tuned again


def test_only_the_most_recently_used_tuned_models_are_kept(tuned_cache: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    shutil.copytree(tuned_cache, cache)
    [made] = [p for p in (cache / "tuned").iterdir() if p.is_dir()]
    for age in range(1, 13):  # twelve older copies, as twelve earlier FAQ versions leave them
        older = cache / "tuned" / f"older-{age:02d}"
        shutil.copytree(made, older)
        os.utime(older / "manifest.json", (1_000_000 - age, 1_000_000 - age))
    models = TunedModels(cache, model_source())
    assert models.find(made.name) is not None  # used now: the most recent

    models.build(PAIRS)  # found, not tuned again; still the moment to tidy up

    kept = sorted(p.name for p in (cache / "tuned").iterdir() if p.is_dir())
    assert kept == sorted([made.name, *(f"older-{age:02d}" for age in range(1, 12))])  # the oldest went


def test_stopping_the_service_ends_a_tuning_in_progress(tmp_path: Path) -> None:
    guidelines, faq = write_content(tmp_path, GUIDELINE, FAQ)
    tuned = _tuned(tmp_path / "models")
    registry = ContentRegistry(guidelines, faq, tuned)
    registry.snapshot.communities["testshop"].faq.warm("en", ["shipping"])
    jobs = Jobs(create_engine("sqlite://"), {}, registry, worker="test", interval=60, clock=SystemClock())
    round_ = threading.Thread(target=jobs.tune_encoder)
    round_.start()
    folder = tmp_path / "models" / "tuned"
    deadline = time.monotonic() + 60
    while not list(folder.glob(".build-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(folder.glob(".build-*")), "the child never started building"

    started = time.monotonic()
    jobs.stop()  # as on SIGTERM: the child is told to stop, not waited for
    round_.join(timeout=30)
    assert not round_.is_alive()
    assert time.monotonic() - started < 30
    assert [p.name for p in folder.iterdir() if p.is_dir()] == []  # no half-built model left behind
    assert tuned.waiting() == 1  # tuned on a later start
    assert tuned.tune_next() is False  # not in this process, which is stopping


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The app's content for this module: an English FAQ scope of three entries, tuned per scope."""
    guidelines, faq = write_content(tmp_path, GUIDELINE, FAQ)
    return ContentRegistry(guidelines, faq, _tuned(tmp_path / "models"))


def test_metrics_count_the_scopes_awaiting_their_tuned_encoder(api: TestClient) -> None:
    assert "webcare_faq_scopes_awaiting_tuning 0.0" in api.get("/metrics").text
    body = mention_json(text="My package showed up smashed and I would like my money back please")
    assert api.post("/api/v1/mentions?wait=draft", json=body).status_code == 202

    assert "webcare_faq_scopes_awaiting_tuning 1.0" in api.get("/metrics").text


def test_a_preview_of_an_unsaved_faq_edit_starts_no_tuning(registry: ContentRegistry) -> None:
    tuned = registry.encoder
    assert isinstance(tuned, TunedMiniLM)
    [faq_file] = [f for f in content_edit.files(registry) if f.name.startswith("faq/")]
    edited = faq_file.path.read_text(encoding="utf-8").replace(
        "the bottle arrived broken what now", "my parcel arrived damaged, i want my money back"
    )
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    response = content_edit.preview(
        registry, faq_file, edited, community="testshop", message=MESSAGE, now=now
    )

    assert response.candidates[0].faq_id == "returns"  # matched with the edit, by the stock model
    assert tuned.waiting() == 0  # and no tuning of a FAQ that may never be saved
    registry.snapshot.communities["testshop"].faq.warm("en", ["shipping"])
    assert tuned.waiting() == 1  # the saved content's scope still asks for its copy


def test_a_web_only_process_takes_the_copy_a_worker_tuned_without_tuning_itself(
    tuned_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guidelines, faq = write_content(tmp_path, GUIDELINE, FAQ)
    tuned = _tuned(tmp_path / "models")
    registry = ContentRegistry(guidelines, faq, tuned)
    jobs = Jobs(create_engine("sqlite://"), {}, registry, worker="web", interval=60, clock=SystemClock())
    community = "testshop"
    before = registry.snapshot.communities[community].faq.match(MESSAGE, language="en", tags=["shipping"])
    assert tuned.waiting() == 1

    def no_tuning_here(pairs: object) -> str:
        raise AssertionError("the web process started a tuning")

    monkeypatch.setattr(tuned, "_tune_in_child", no_tuning_here)
    jobs.pick_up_tuned_encoder()  # nothing on disk yet: still the stock model
    assert tuned.waiting() == 1
    shutil.copytree(tuned_cache / "tuned", tmp_path / "models" / "tuned", dirs_exist_ok=True)  # a worker's
    jobs.pick_up_tuned_encoder()

    assert tuned.waiting() == 0
    after = registry.snapshot.communities[community].faq.match(MESSAGE, language="en", tags=["shipping"])
    assert after[0].faq_id == before[0].faq_id == "returns"
    assert after[0].confidence > before[0].confidence  # now matched with the tuned copy
