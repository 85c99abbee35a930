"""The shipped sentiment model: softmax regression over multilingual USE embeddings.

Trained by tools/train_sentiment.py on 70 % of SemEval-16 nl/en and TweetEval (see
docs/benchmarks.md). Loaded lazily, once; when the encoder or the weights are missing,
`probabilities` gives None and the caller falls back to the lexicon scorer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL = Path(__file__).resolve().parent / "sentiment_model.npz"
LABELS = ("negative", "neutral", "positive")
# the lexicon values are few among 512 embedding values; this weight lets them count
LEXICON_WEIGHT = 3.0


@dataclass(frozen=True)
class Model:
    """Weights, bias, the negative bar, and hashes of the texts trained on."""

    weights: Any
    bias: Any
    negative_bar: float
    train_hashes: frozenset[int]
    encoder: Any


def text_hash(text: str) -> int:
    """The same eight bytes tools/train_sentiment.py stores for a training text."""
    digest = hashlib.sha1(" ".join(text.lower().split()).encode(), usedforsecurity=False).digest()[:8]
    return int(np.frombuffer(digest, dtype=np.uint64)[0])


def features(text: str, language: str, embedding: Any) -> Any:
    """The model's input: the USE embedding and the lexicon's compound, positive and negative sums."""
    from responders.sentiment import explain, score

    parts = explain(text, language)
    lexical = [
        score(text, language),
        sum(p.valence for p in parts if p.valence > 0) / 4,
        sum(p.valence for p in parts if p.valence < 0) / 4,
    ]
    return np.concatenate([np.asarray(embedding, dtype=np.float64), LEXICON_WEIGHT * np.array(lexical)])


@lru_cache(maxsize=1)
def load(path: Path = MODEL) -> Model | None:
    """The model and its encoder, or None when either is unavailable."""
    # here, not at the top: the encoder's module imports the FAQ matcher, which imports the analysis
    from responders import multilingual

    encoder = multilingual.shared()
    try:
        data = np.load(path)
    except OSError:
        return None
    if encoder is None:
        return None
    hashes = frozenset(int(h) for h in data["train_hashes"])
    return Model(data["weights"], data["bias"], float(data["negative_bar"]), hashes, encoder)


def probabilities(text: str, language: str) -> tuple[float, float, float] | None:
    """P(negative), P(neutral), P(positive) of a message, or None without the model."""
    model = load()
    if model is None:
        return None
    x = features(text, language, model.encoder.encode([text])[0])
    z = x @ model.weights + model.bias
    e = np.exp(z - z.max())
    p = e / e.sum()
    return float(p[0]), float(p[1]), float(p[2])


def score(text: str, language: str) -> float | None:
    """Sentiment in [-1, 1] whose sign is the model's decision; None without the model.

    Negative only when P(negative) reaches the bar (tuned for precision >= 0.85), so a
    negative score is one escalation can trust; otherwise neutral or positive, whichever
    is likelier. Magnitude is P(positive) - P(negative), kept on the decided side.
    """
    p = probabilities(text, language)
    model = load()
    if p is None or model is None:
        return None
    neg, neu, pos = p
    value = pos - neg
    if neg >= model.negative_bar:
        return min(value, -0.1)
    if pos > neu:
        return max(value, 0.1)
    return 0.0


def seen_in_training(text: str) -> bool:
    """Whether the shipped model was trained on this text (for honest evaluation)."""
    model = load()
    return model is not None and text_hash(text) in model.train_hashes
