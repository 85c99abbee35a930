"""Sentence embeddings for FAQ matching: all-MiniLM-L6-v2 on the CPU, through ONNX Runtime in int8.

An optional extra (`pip install torch==2.13.0 -e '.[embeddings]'`; `make` does both). This module is
the encoder itself: given the converted int8 ONNX model and the model's tokenizer, it turns texts
into unit-length vectors. Making that model (PyTorch export, fusing, int8 quantization) and keeping
it in a checked cache folder is file work, done in `bot/encoder_cache.py`. int8 halves the time per
message against float32 (about 4.5 instead of 9 ms on one thread) and keeps the vectors within a
cosine of 0.99 of PyTorch's (docs/benchmarks.md has the accuracy).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

NAMES = ("use", "minilm", "minilm-tuned")
# Customer messages are short (BANKING77: 15 tokens on average); a long post is judged by its start,
# which keeps the cost of one message bounded (the model's own limit is 256 tokens).
_MAX_TOKENS = 64
_CACHE = 20_000  # texts: about 30 MB of vectors; FAQ phrasings survive content reloads
_DIMENSIONS = 384


class EncoderUnavailable(Exception):
    """An encoder was asked for but its libraries are not installed, or the name is unknown."""


class VectorCache:
    """The vectors of the texts an encoder read last (thread-safe): FAQ phrasings survive reloads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def known(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors of these texts, each marked as just used."""
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        return found

    def keep(self, text: str, vector: np.ndarray) -> np.ndarray:
        """Cache a text's vector, dropping the least recently used past the size; the vector."""
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector

    def clear(self) -> None:
        """Forget every vector."""
        with self._lock:
            self._vectors.clear()


class MiniLM:
    """all-MiniLM-L6-v2: English texts as unit-length vectors of 384 numbers."""

    languages = frozenset({"en"})

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._inputs = {i.name for i in session.get_inputs()}
        self._cache = VectorCache(_CACHE)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text; texts seen before come from a cache."""
        found = self._cache.known(texts)
        for text in dict.fromkeys(t for t in texts if t not in found):
            # one text per run: int8 scales depend on the whole batch, so batching would make a
            # phrasing's vector depend on its neighbours (and it saves only a fifth of the time)
            found[text] = self._cache.keep(text, self._forward(text))
        return np.vstack([found[t] for t in texts]) if texts else np.zeros((0, _DIMENSIONS), np.float32)

    def for_scope(self, phrasings: Sequence[tuple[str, str]]) -> MiniLM:
        """The stock model serves every scope (bot/encoder_tuning.py has the tuned ones)."""
        return self

    def forget(self) -> None:
        """Drop the cached vectors (benchmarks measure each data set from scratch)."""
        self._cache.clear()

    def _forward(self, text: str) -> np.ndarray:
        ids = np.array([self._tokenizer.encode(text).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        [output] = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
        return np.asarray(output[0], dtype=np.float32)


def open_minilm(model: Path, tokenizer: Path) -> MiniLM:
    """The encoder running the converted ONNX file `model` with the model's `tokenizer.json`."""
    try:
        import onnxruntime
        import tokenizers
    except ImportError as exc:
        raise missing_extra(exc) from exc
    return MiniLM(_session(onnxruntime, model), _tokenizer(tokenizers, tokenizer))


def check_runtime() -> None:
    """Raise EncoderUnavailable unless the libraries that run the encoder can be imported."""
    try:
        import onnxruntime  # noqa: F401 (only checked: a missing library is found before any conversion)
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise missing_extra(exc) from exc


def missing_extra(exc: ImportError) -> EncoderUnavailable:
    """The error for a library of the embeddings extra that cannot be imported."""
    return EncoderUnavailable(
        f"the minilm encoder needs the embeddings extra ({exc.name} is missing): "
        "pip install torch==2.13.0 -e '.[embeddings]'"
    )


def _session(onnxruntime: Any, path: Path) -> Any:
    options = onnxruntime.SessionOptions()
    # one message is too small to share between cores; a second thread only waits on a busy machine
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: no notes about the fused graph in the logs
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _tokenizer(tokenizers: Any, path: Path) -> Any:
    """The model's own fast tokenizer (lowercasing, WordPiece), cut at _MAX_TOKENS."""
    tokenizer = tokenizers.Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=_MAX_TOKENS)
    return tokenizer
