"""The shipped sentiment model: softmax regression over word and character n-grams, multilingual
USE embeddings and the lexicon's sums.

Trained by tools/train_sentiment.py on 70 % of SemEval-16 nl/en and TweetEval, plus customer
questions as examples of neutral messages (see docs/benchmarks.md). Loaded lazily, once; when the
encoder or the weights are missing, `probabilities` gives None and the caller falls back to the
lexicon scorer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from responders.ngrams import tfidf_vector
from responders.sentiment import Part, compound, explain

MODEL = Path(__file__).resolve().parent / "sentiment_model.npz"
LABELS = ("negative", "neutral", "positive")
# the lexicon values are three among thousands of features; this weight lets them count
LEXICON_WEIGHT = 3.0
# how far the model alone moves a score from 0: the model says which way a message leans, the
# lexicon how strong its words are. Escalation on "very negative" (say below -0.75, "clearly
# angry") needs strong words; a calm complaint the model is sure of stays an agent's
MODEL_REACH = 0.4
# the n-gram views, as scikit-learn's TfidfVectorizer takes them (sublinear tf, lower case)
NGRAMS: dict[str, dict[str, Any]] = {
    "word": {"ngram_range": (1, 2)},
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5)},
}


@dataclass(frozen=True)
class NgramView:
    """One fitted n-gram view: how a text becomes n-grams, their columns and weights."""

    analyze: Callable[[str], list[str]]
    vocabulary: Mapping[str, int]
    idf: np.ndarray


@dataclass(frozen=True)
class Model:
    """Weights (one column per label), bias, the n-gram views, the negative bar, and hashes of
    the texts trained on."""

    weights: np.ndarray
    bias: np.ndarray
    views: tuple[NgramView, ...]
    negative_bar: float
    train_hashes: frozenset[int]
    encoder: Any


def text_hash(text: str) -> int:
    """Eight bytes that identify a text, whitespace and case aside (kept for each training text)."""
    digest = hashlib.sha1(" ".join(text.lower().split()).encode(), usedforsecurity=False).digest()[:8]
    return int(np.frombuffer(digest, dtype=np.uint64)[0])


def analyzer(view: str) -> Callable[[str], list[str]]:
    """How the named n-gram view splits a text, exactly as in training."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyze: Callable[[str], list[str]] = TfidfVectorizer(**NGRAMS[view]).build_analyzer()
    return analyze


def dense_features(text: str, language: str, embedding: Any, parts: list[Part] | None = None) -> np.ndarray:
    """The features after the n-grams: the USE embedding and the lexicon's compound, positive
    and negative sums; parts: the lexicon's reading of the text, when the caller has it."""
    parts = explain(text, language) if parts is None else parts
    lexical = [
        compound(parts, text),
        sum(p.valence for p in parts if p.valence > 0) / 4,
        sum(p.valence for p in parts if p.valence < 0) / 4,
    ]
    return np.concatenate([np.asarray(embedding, dtype=np.float64), LEXICON_WEIGHT * np.array(lexical)])


def _columns(vocabulary: np.ndarray) -> dict[str, int]:
    return {str(gram): column for column, gram in enumerate(vocabulary)}


@lru_cache(maxsize=1)
def load(path: Path = MODEL) -> Model | None:
    """The model and its encoder, or None when either is unavailable."""
    # here, not at the top: the encoder's module imports the FAQ matcher, which imports the analysis
    from responders import multilingual

    encoder = multilingual.shared()
    try:
        data = np.load(path)
        views = tuple(
            NgramView(analyzer(name), _columns(data[f"{name}_vocabulary"]), data[f"{name}_idf"])
            for name in NGRAMS
        )
    except (OSError, KeyError, ValueError):
        # a missing file, or one written by an older trainer: the lexicon scores instead
        return None
    if encoder is None:
        return None
    hashes = frozenset(int(h) for h in data["train_hashes"])
    return Model(data["weights"], data["bias"], views, float(data["negative_bar"]), hashes, encoder)


def _logits(model: Model, text: str, language: str, parts: list[Part]) -> np.ndarray:
    z = np.asarray(model.bias, dtype=np.float64).copy()
    offset = 0
    for view in model.views:
        indices, values = tfidf_vector(view.analyze, view.vocabulary, view.idf, text)
        z += values @ model.weights[indices + offset]
        offset += len(view.vocabulary)
    dense = dense_features(text, language, model.encoder.encode([text])[0], parts)
    return np.asarray(z + dense @ model.weights[offset:])


def probabilities(
    text: str, language: str, parts: list[Part] | None = None
) -> tuple[float, float, float] | None:
    """P(negative), P(neutral), P(positive) of a message, or None without the model; parts: the
    lexicon's reading of the text, when the caller has it."""
    model = load()
    if model is None:
        return None
    z = _logits(model, text, language, explain(text, language) if parts is None else parts)
    e = np.exp(z - z.max())
    p = e / e.sum()
    return float(p[0]), float(p[1]), float(p[2])


def score(text: str, language: str, parts: list[Part] | None = None) -> float | None:
    """Sentiment in [-1, 1] whose sign is the model's decision; None without the model.

    Negative when P(negative) reaches the model's bar and is at least P(positive); positive when
    P(positive) is the likeliest; neutral (0) otherwise. The strength is the lexicon's where its
    score leans the same way, else at most MODEL_REACH from the model's certainty. parts: the
    lexicon's reading of the text, when the caller has it (the lexicon runs once a message).
    """
    parts = explain(text, language) if parts is None else parts
    p = probabilities(text, language, parts)
    model = load()
    if p is None or model is None:
        return None
    neg, neu, pos = p
    lexical = compound(parts, text)
    if neg >= model.negative_bar and neg >= pos:
        return min(lexical, -0.1 - (MODEL_REACH - 0.1) * neg)
    if pos > neu and pos > neg:
        return max(lexical, 0.1 + (MODEL_REACH - 0.1) * pos)
    return 0.0


def seen_in_training(text: str) -> bool:
    """Whether the shipped model was trained on this text (for honest evaluation)."""
    model = load()
    return model is not None and text_hash(text) in model.train_hashes
