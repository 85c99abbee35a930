"""TF-IDF vectors of one text against a fitted vocabulary, without scikit-learn's per-call cost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np


def tfidf_vector(
    analyze: Callable[[str], list[str]], vocabulary: Mapping[str, int], idf: np.ndarray, text: str
) -> tuple[np.ndarray, np.ndarray]:
    """The text's known n-gram indices and their sublinear TF-IDF weights, L2-normalised as
    scikit-learn's TfidfVectorizer(sublinear_tf=True) makes them; empty when none is known."""
    # one C-level lookup per n-gram (this runs for every message); unknown ones count as None
    counts = Counter(map(vocabulary.get, analyze(text)))
    counts.pop(None, None)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    found = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    times = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    weights = (1 + np.log(times)) * idf[found]
    return found, weights / np.linalg.norm(weights)
