"""FAQ index and matcher: ranked candidates with a confidence in [0, 1].

Two views of the same example phrasings are blended. A linear classifier over TF-IDF word
(1-2) and character (2-5) n-grams learns which words tell entries apart, and copes with typos,
inflection and word order; rapidfuzz compares the message with the nearest phrasing of each
likely entry, so a message must also read like one of the examples. The classifier alone is
over-confident on off-topic posts that share one telling word; fuzzy matching alone lets any
post containing all words of a short example through.

With an encoder (`responders/meaning.py`; sentence embeddings) a third view joins: a logistic
regression over the phrasings' vectors, and the cosine to the nearest phrasing. It finds paraphrases
that share no word with any example; the encoder only serves the languages it knows.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, utils
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from responders.analysis import normalize
from responders.domain import Candidate, FaqEntry
from responders.meaning import MINILM_BLEND, Encoder, Meaning, MeaningStore, blend_of
from responders.ngrams import tfidf_vector

# softmax temperature for the classifier's margins: chosen on CLINC150 val and BANKING77 train
_SHARPNESS = 5.0
_CLASSIFIER_WEIGHT = 0.6
_SHORTLIST = 4
_LARGE = 3000  # example phrasings in one scope
_FUZZY_PHRASES = 12  # per entry: long example lists are pre-filtered by TF-IDF cosine


def _prepare(text: str) -> str:
    return utils.default_process(normalize(text))


def _nearest(query: str, phrases: Sequence[str]) -> tuple[float, str]:
    """The closest phrasing and its similarity in [0, 1]: word-order-free overlap blended with
    whole-phrase similarity, so a message that merely contains a short example does not win."""
    best, phrase = 0.0, ""
    for choice in phrases:
        score = 0.5 * fuzz.token_set_ratio(query, choice) + 0.5 * fuzz.token_sort_ratio(query, choice)
        if score > best:
            best, phrase = score, choice
    return best / 100, phrase


def _vectorizers(size: int) -> list[TfidfVectorizer]:
    # on large FAQs, rare and long character n-grams cost fitting time and add no accuracy
    big = size > _LARGE
    return [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4 if big else 5), sublinear_tf=True, min_df=3 if big else 1
        ),
    ]


class _Features:
    """TF-IDF word and character n-grams, fitted once, turned into vectors without sklearn's per-call cost."""

    def __init__(self, texts: list[str]) -> None:
        self._parts = []
        offset = 0
        blocks = []
        for vectorizer in _vectorizers(len(texts)):
            blocks.append(vectorizer.fit_transform(texts))
            self._parts.append((vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)
        self.matrix = sparse.hstack(blocks).tocsr()

    def similarities(self, query: np.ndarray, start: int = 0, end: int | None = None) -> np.ndarray:
        """Cosine (scaled to [0, 1]) of a dense query vector with the phrasings start:end."""
        # straight on the CSR arrays: slicing a scipy matrix per message costs more than the maths
        indptr = self.matrix.indptr[start : (end if end is not None else self.matrix.shape[0]) + 1]
        low, high = indptr[0], indptr[-1]
        # a trailing zero keeps every row start a valid index, even for empty rows at the end
        products = np.append(self.matrix.data[low:high] * query[self.matrix.indices[low:high]], 0.0)
        sums = np.add.reduceat(products, indptr[:-1] - low)
        sums[indptr[:-1] == indptr[1:]] = 0.0  # reduceat repeats a value for empty rows
        return np.asarray(sums) / len(self._parts)

    def vector(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """The query's non-zero feature indices and values, each part L2-normalised as sklearn does."""
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for analyze, vocabulary, idf, offset in self._parts:
            found, weights = tfidf_vector(analyze, vocabulary, idf, query)
            if len(found):
                indices.append(found + offset)
                values.append(weights)
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(indices), np.concatenate(values)


def _classifier(features: _Features, labels: list[int], entries: int) -> np.ndarray | None:
    """A linear classifier's weights over the TF-IDF features, one row per entry with the bias
    last; None for one entry."""
    if entries < 2:
        return None
    big = features.matrix.shape[0] > _LARGE
    # a fixed seed: liblinear shuffles, and the same content should always give the same answers
    classifier = LinearSVC(C=0.3 if big else 0.5, tol=1e-2, max_iter=100 if big else 300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(features.matrix, labels)
    coef, bias = np.asarray(classifier.coef_), np.asarray(classifier.intercept_)
    if entries == 2:
        # a two-class model has one margin: the second entry's; the first gets its negative
        coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
    return np.hstack([coef, bias[:, None]])


@dataclass(frozen=True)
class _Scope:
    """The phrasings of the entries one community may answer with, in one language, and a model."""

    ids: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    features: _Features | None
    weights: np.ndarray | None  # classifier coefficients, one row per entry, bias in the last column
    meaning: Meaning | None = None

    @classmethod
    def build(
        cls, entries: Sequence[FaqEntry], encoder: Encoder | None = None, store: MeaningStore | None = None
    ) -> _Scope:
        ids = tuple(e.id for e in entries)
        phrases = tuple(tuple(_prepare(p) for p in (e.question, *e.examples)) for e in entries)
        texts = [p for group in phrases for p in group]
        labels = [i for i, group in enumerate(phrases) for _ in group]
        if not any(texts):
            return cls(ids, phrases, None, None)
        if encoder is None:
            features = _Features(texts)
            return cls(ids, phrases, features, _classifier(features, labels, len(ids)))
        # the model reads the phrasings as written: case and punctuation carry meaning for it
        pairs = [(e.id, p) for e in entries for p in (e.question, *e.examples)]
        with ThreadPoolExecutor(1, thread_name_prefix="faq-meaning") as pool:
            # the two views are built side by side: encoding and liblinear release the GIL, so on two
            # cores the TF-IDF model costs a large FAQ's load little time beside the encoder
            meaning = pool.submit(
                Meaning.build, encoder.for_scope(pairs), [p for _, p in pairs], labels, len(ids), store
            )
            features = _Features(texts)
            weights = _classifier(features, labels, len(ids))
            return cls(ids, phrases, features, weights, meaning.result())

    def span(self, k: int) -> tuple[int, int]:
        """Where entry k's phrasings sit among all phrasings of the scope."""
        start = sum(len(p) for p in self.phrases[:k])
        return start, start + len(self.phrases[k])

    def probabilities(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """How likely each entry is (classifier, or similarity with one entry), and the query
        as a dense TF-IDF vector."""
        if self.features is None:
            return np.zeros(len(self.ids)), np.zeros(0)
        indices, values = self.features.vector(query)
        dense = np.zeros(self.features.matrix.shape[1])
        dense[indices] = values
        if self.weights is None:
            # one entry: no classes to tell apart, so use the cosine to its nearest phrasing
            return np.array([float(self.features.similarities(dense).max(initial=0.0))]), dense
        margins = self.weights[:, indices] @ values + self.weights[:, -1]
        scaled = np.exp((margins - margins.max()) * _SHARPNESS)
        return np.asarray(scaled / scaled.sum()), dense

    def closest(self, k: int, dense: np.ndarray) -> Sequence[str]:
        """Entry k's phrasings worth a fuzzy comparison: all, or the nearest few of a long list."""
        phrases = self.phrases[k]
        if len(phrases) <= _FUZZY_PHRASES or self.features is None:
            return phrases
        start, end = self.span(k)
        cosines = self.features.similarities(dense, start, end)
        return [phrases[i] for i in np.argsort(-cosines)[:_FUZZY_PHRASES]]


def _key(language: str, tags: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    return language, tuple(sorted(tags))


class FaqIndex:
    """Every way customers ask each FAQ entry, ready to match against a new message."""

    def __init__(
        self,
        entries: Iterable[FaqEntry],
        encoder: Encoder | None = None,
        *,
        meaning_warmed: bool = False,
        meaning_store: MeaningStore | None = None,
    ) -> None:
        """meaning_warmed: someone calls warm() for each scope (the service does, in the background);
        until a scope is warm its messages are matched by words alone instead of waiting for the
        encoder to read every phrasing. meaning_store: where scopes' sentence-vector models are
        kept, so that a restart with the same FAQ reads them instead of encoding every phrasing."""
        self.entries = {entry.id: entry for entry in entries}
        self.encoder = encoder
        self.meaning_warmed = meaning_warmed
        self.meaning_store = meaning_store
        self._scopes: dict[tuple[str, tuple[str, ...]], _Scope] = {}
        self._by_words: dict[tuple[str, tuple[str, ...]], _Scope] = {}

    def warm(self, language: str, tags: Sequence[str] = ()) -> None:
        """Build the model for one language and tag scope now rather than at the first message."""
        key = _key(language, tags)
        if key not in self._scopes:
            self._scopes[key] = _Scope.build(
                self._chosen(key), self._encoder_for(language), self.meaning_store
            )

    def is_warm(self, language: str, tags: Sequence[str] = ()) -> bool:
        """Whether the scope's model, with the encoder's where it reads the language, is built."""
        return _key(language, tags) in self._scopes

    def _scope(self, language: str, tags: tuple[str, ...]) -> _Scope:
        key = _key(language, tags)
        if key in self._scopes:
            return self._scopes[key]
        if self.meaning_warmed and self._encoder_for(language) is not None:
            if key not in self._by_words:
                self._by_words[key] = _Scope.build(self._chosen(key))
            return self._by_words[key]
        self.warm(language, tags)
        return self._scopes[key]

    def _chosen(self, key: tuple[str, tuple[str, ...]]) -> list[FaqEntry]:
        language, tags = key
        return [
            e
            for e in self.entries.values()
            if e.language == language and (not tags or set(tags) & set(e.tags))
        ]

    def _encoder_for(self, language: str) -> Encoder | None:
        return self.encoder if self.encoder is not None and language in self.encoder.languages else None

    def match(
        self, text: str, *, language: str, tags: Sequence[str] = (), limit: int = 3
    ) -> tuple[Candidate, ...]:
        """Rank the entries in scope for a message, best first, one candidate per entry."""
        scope = self._scope(language, tuple(tags))
        query = _prepare(text)
        if not query or not scope.ids:
            return ()
        chances, dense = scope.probabilities(query)
        vector = None
        blend = blend_of(scope.meaning.encoder) if scope.meaning is not None else MINILM_BLEND
        if scope.meaning is not None and chances.max(initial=0.0) < blend.sure:
            vector = scope.meaning.encoder.encode([text])[0]
            chances = blend.pool(chances, scope.meaning.probabilities(vector))
        shortlist = np.argsort(-chances)[: max(limit, _SHORTLIST)]
        found = []
        for k in shortlist:
            similarity, phrase = _nearest(query, scope.closest(int(k), dense))
            if scope.meaning is not None and vector is not None:
                # the phrasing nearest in meaning is the one to show: it may share no word with the message
                start, end = scope.span(int(k))
                cosine, i = scope.meaning.nearest(vector, start, end)
                similarity = (1 - blend.cosine_weight) * similarity + blend.cosine_weight * cosine
                phrase = scope.phrases[k][i]
            confidence = _CLASSIFIER_WEIGHT * float(chances[k]) ** 0.5 + (1 - _CLASSIFIER_WEIGHT) * similarity
            found.append(Candidate(scope.ids[k], round(min(1.0, confidence), 3), phrase))
        found.sort(key=lambda c: -c.confidence)
        return tuple(found[:limit])
