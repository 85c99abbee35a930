"""The sentence-vector view of an FAQ scope: the phrasings as vectors from an encoder, and a
logistic regression that tells entries apart by them; kept in a MeaningStore between processes."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

_RECIPE = 1  # bump when _fit changes: kept meaning models made another way are built afresh


@dataclass(frozen=True)
class Blend:
    """How an encoder's view joins the TF-IDF one: the share of the sentence-vector model in the
    entry probabilities, of the cosine to the nearest phrasing in the similarity, the regression's
    C, and how sure the TF-IDF model must be to skip the encoder (where TF-IDF is this sure, the
    encoder more often overrules a right answer than a wrong one; skipping also saves its time).
    pooling: how the two views' entry probabilities join, as a weighted mean or as a weighted
    geometric mean (log-linear pooling: where the views agree the answer grows surer, where they
    disagree neither one's overconfidence carries it)."""

    meaning_weight: float
    cosine_weight: float
    c: float
    sure: float
    pooling: Literal["mean", "geometric"] = "mean"

    def pool(self, words: np.ndarray, meant: np.ndarray) -> np.ndarray:
        """The entry probabilities of the TF-IDF view and the sentence-vector view, joined."""
        if self.pooling == "mean":
            return np.asarray((1 - self.meaning_weight) * words + self.meaning_weight * meant)
        # in logs: a probability that underflowed to 0 in one view must not zero the other's
        logs = (1 - self.meaning_weight) * np.log(np.maximum(words, 1e-300))
        logs += self.meaning_weight * np.log(np.maximum(meant, 1e-300))
        if len(logs) < 2:
            # one entry: its certainty in both views, nothing to normalise over
            return np.asarray(np.exp(logs))
        pooled = np.exp(logs - logs.max())
        return np.asarray(pooled / pooled.sum())


# MiniLM's, chosen by bench/tune_blend.py on rows no benchmark scores; an encoder may bring its own
MINILM_BLEND = Blend(meaning_weight=0.85, cosine_weight=0.5, c=10.0, sure=0.8)


def blend_of(encoder: Encoder) -> Blend:
    """The encoder's blend, MiniLM's when it names none."""
    return getattr(encoder, "blend", MINILM_BLEND)


class MeaningStore(Protocol):
    """Keeps a scope's sentence vectors and regression between processes, by a key of what made them."""

    def get(self, key: str) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The vectors and weights kept under this key, or None."""
        ...

    def put(self, key: str, vectors: np.ndarray, weights: np.ndarray | None) -> None:
        """Keep the vectors and weights under this key."""
        ...


def _meaning_key(encoder: Encoder, texts: Sequence[str], labels: Sequence[int]) -> str:
    """A key for what a scope's meaning model is made of; '' for an encoder without a stable
    identity (one tuned in this process), which is then built afresh every time."""
    identity = getattr(encoder, "identity", "")
    if not identity:
        return ""
    digest = hashlib.sha256(f"{identity}\0{blend_of(encoder).c}\0{_RECIPE}".encode())
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label}\0{text}\0".encode())
    return digest.hexdigest()


class Encoder(Protocol):
    """Turns texts into unit-length sentence vectors; `languages` are the ones it understands."""

    languages: frozenset[str]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text."""
        ...

    def for_scope(self, phrasings: Sequence[tuple[str, str]]) -> Encoder:
        """The encoder for a scope of (entry id, phrasing) pairs: itself, or one tuned on them."""
        ...


def one_blas_thread() -> AbstractContextManager[object]:
    """Numpy's BLAS on one thread while the block runs (the limit holds for the whole process)."""
    # OpenBLAS's second thread costs far more than it saves on these sizes when the other core is
    # busy: the regression of a 10,000-phrasing FAQ took 10-19 s instead of 2 s on the 2-core
    # machine of docs/benchmarks.md. Work that is worth two cores runs on threads of its own
    limits: AbstractContextManager[object] = threadpool_limits(1, user_api="blas")
    return limits


def _fit(
    encoder: Encoder, texts: list[str], labels: list[int], entries: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """The phrasings' vectors and a logistic regression's weights over them (None for one entry)."""
    vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
    if entries < 2:
        return vectors, None
    model = LogisticRegression(C=blend_of(encoder).c, max_iter=300)
    with warnings.catch_warnings(), one_blas_thread():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # in float32, as the vectors come: the fit takes 40 % less time and scores the same
        model.fit(vectors, labels)
    coef, bias = np.asarray(model.coef_), np.asarray(model.intercept_)
    if entries == 2:
        # a two-class model has one log-odds: half of it for each side gives the same softmax
        coef, bias = np.vstack([-coef, coef]) / 2, np.concatenate([-bias, bias]) / 2
    return vectors, np.hstack([coef, bias[:, None]])


def _fits(kept: tuple[np.ndarray, np.ndarray | None], texts: int, entries: int) -> bool:
    # a kept model of another shape (a damaged or foreign file) is built afresh, not trusted
    vectors, weights = kept
    if vectors.ndim != 2 or vectors.shape[0] != texts:
        return False
    if entries < 2:
        return weights is None
    return weights is not None and weights.shape == (entries, vectors.shape[1] + 1)


@dataclass(frozen=True)
class Meaning:
    """The phrasings as sentence vectors, and a logistic regression that tells entries apart by them."""

    encoder: Encoder
    vectors: np.ndarray  # one unit-length row per phrasing, entry after entry
    weights: np.ndarray | None  # one row per entry, bias in the last column

    @classmethod
    def build(
        cls,
        encoder: Encoder,
        texts: list[str],
        labels: list[int],
        entries: int,
        store: MeaningStore | None = None,
    ) -> Meaning:
        key = _meaning_key(encoder, texts, labels) if store is not None else ""
        kept = store.get(key) if store is not None and key else None
        if kept is not None and _fits(kept, len(texts), entries):
            return cls(encoder, *kept)
        meaning = cls(encoder, *_fit(encoder, texts, labels, entries))
        if store is not None and key:
            store.put(key, meaning.vectors, meaning.weights)
        return meaning

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        """How likely each entry is for a message's vector."""
        if self.weights is None:
            return np.array([max(0.0, float((self.vectors @ vector).max(initial=0.0)))])
        logits = self.weights[:, :-1] @ vector + self.weights[:, -1]
        scaled = np.exp(logits - logits.max())
        return np.asarray(scaled / scaled.sum())

    def nearest(self, vector: np.ndarray, start: int, end: int) -> tuple[float, int]:
        """The cosine (at least 0) of the phrasing start:end nearest to the vector, and its position."""
        cosines = self.vectors[start:end] @ vector
        best = int(np.argmax(cosines))
        return max(0.0, float(cosines[best])), best
