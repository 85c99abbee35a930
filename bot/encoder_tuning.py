"""FAQ encoders tuned per scope: made in the background, kept in the model cache, used when ready.

With WEBCARE_FAQ_ENCODER=minilm-tuned every FAQ scope (the entries a community answers with, in
one language) gets its own copy of all-MiniLM-L6-v2, fine-tuned on the scope's phrasings
(`bot/encoder_training.py`) and converted to int8 ONNX as the stock model is (`bot/encoder_cache.py`).
Until a scope's copy is ready the stock model serves it, so nothing waits for training. A copy is
found by a key over the recipe, the stock model and the scope's phrasings: edit one phrasing and
the scope is tuned anew; undo the edit and the earlier copy is used again.

Training runs in a child process at low priority: PyTorch and its gigabyte of memory stay out of the
serving process, and a crash in training cannot take the service down.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot import encoder_training
from bot.clock import file_age_seconds
from bot.encoder_cache import (
    convert,
    file_sha256,
    is_intact,
    locked,
    model_source,
    source_key,
    stock_minilm,
)
from responders.embeddings import EncoderUnavailable, MiniLM, open_minilm

log = logging.getLogger(__name__)

Phrasings = tuple[tuple[str, str], ...]  # (entry id, phrasing) for every phrasing of one scope

# Bump when the training recipe changes: models tuned by another recipe are tuned again.
_RECIPE = 1
_KEEP = 12  # tuned models kept on disk; the least recently used beyond that are removed
_OPEN = 8  # tuned models held open in one process
_RETRY_SECONDS = 3600.0  # after a failed training, wait this long before trying that scope again
_NICE = 10  # training yields the CPU to serving
_TIMEOUT_SECONDS = 4 * 3600.0  # far beyond a 10,000-phrasing FAQ (about 20 minutes): a hung child
_STALE_BUILD_SECONDS = 24 * 3600.0  # a build folder this old was left by a machine that went down


class TunedModels:
    """The folder of tuned models: `<cache>/tuned/<key>/` with model, tokenizer and manifest."""

    def __init__(self, cache_dir: Path, source: Path) -> None:
        self.cache_dir = cache_dir
        self.folder = cache_dir / "tuned"
        self.source = source
        self._stock_key = source_key(source)

    def key(self, phrasings: Phrasings) -> str:
        """What a tuned model depends on: recipe, stock model and the scope's phrasings, in any order."""
        digest = hashlib.sha256(f"tuning {_RECIPE}; {self._stock_key}".encode())
        for pair in sorted(set(phrasings)):
            digest.update(json.dumps(pair).encode() + b"\n")
        return digest.hexdigest()[:32]

    def find(self, key: str) -> Path | None:
        """The intact ONNX model tuned for `key`, or None; marks it as recently used."""
        model, manifest = self.folder / key / "model-int8.onnx", self.folder / key / "manifest.json"
        if not is_intact(model, manifest, key):
            return None
        with contextlib.suppress(OSError):  # a read-only cache still serves
            os.utime(manifest)  # last use, for pruning
        return model

    def build(self, phrasings: Phrasings) -> Path:
        """The model for a scope: tuned, converted and stored now (minutes), unless another process
        already made it; then the least recently used copies beyond the limit are removed."""
        key = self.key(phrasings)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with locked(self.folder / f"{key}.lock"):
                if self.find(key) is None:
                    self._make(key, phrasings)
        except OSError as exc:
            raise EncoderUnavailable(
                f"cannot store a tuned model in {self.folder} ({exc.strerror or exc}); "
                "WEBCARE_MODEL_CACHE_DIR must name a writable folder"
            ) from exc
        self._prune(keep=key)
        return self.folder / key / "model-int8.onnx"

    def _make(self, key: str, phrasings: Phrasings) -> None:
        """Tune and convert in a temporary folder, then move it into place whole."""
        with tempfile.TemporaryDirectory(dir=self.folder, prefix=".build-") as tmp:
            started = time.monotonic()
            tuned, made = Path(tmp) / "pytorch", Path(tmp) / "model"
            encoder_training.train(self.source, phrasings, tuned)
            made.mkdir()
            convert(tuned, made / "model-int8.onnx")
            shutil.copy(tuned / "tokenizer.json", made / "tokenizer.json")
            record = {
                "source": key,
                "sha256": file_sha256(made / "model-int8.onnx"),
                "entries": len({entry for entry, _ in phrasings}),
                "phrasings": len(phrasings),
                "epochs": encoder_training.epochs_for(len(phrasings)),
                "seconds": round(time.monotonic() - started, 1),
            }
            (made / "manifest.json").write_text(json.dumps(record), encoding="utf-8")
            shutil.rmtree(self.folder / key, ignore_errors=True)  # a damaged earlier copy
            os.replace(made, self.folder / key)  # the folder appears complete or not at all

    def _prune(self, keep: str) -> None:
        """Remove the least recently used tuned models beyond _KEEP (every FAQ edit makes one), and
        build folders a crash left behind."""
        for build in self.folder.glob(".build-*"):
            with contextlib.suppress(OSError):
                if file_age_seconds(build) > _STALE_BUILD_SECONDS:
                    shutil.rmtree(build, ignore_errors=True)
        manifests = sorted(self.folder.glob("*/manifest.json"), key=lambda m: m.stat().st_mtime, reverse=True)
        for manifest in manifests[_KEEP:]:
            key = manifest.parent.name
            if key != keep:
                shutil.rmtree(manifest.parent, ignore_errors=True)
                (self.folder / f"{key}.lock").unlink(missing_ok=True)


class TunedMiniLM:
    """all-MiniLM-L6-v2, and for each FAQ scope the copy tuned on its phrasings once that is ready."""

    languages = frozenset({"en"})

    def __init__(self, stock: MiniLM, models: TunedModels, *, wait: bool = False) -> None:
        self.stock = stock
        self.models = models
        self.wait = wait
        self._open: OrderedDict[str, MiniLM] = OrderedDict()
        self._wanted: dict[str, Phrasings] = {}
        self._failed: dict[str, float] = {}
        self._child: subprocess.Popen[str] | None = None
        self._stopping = False
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors from the stock model (a scope's matcher asks `for_scope` for its own)."""
        return self.stock.encode(texts)

    def for_scope(self, phrasings: Sequence[tuple[str, str]], *, queue: bool = True) -> MiniLM:
        """The model tuned on these phrasings if it is ready (or, when waiting, once it is made);
        otherwise the stock model, and the scope is put on the list to tune unless `queue` is False."""
        pairs = tuple(phrasings)
        if len({entry for entry, _ in pairs}) < 2:
            return self.stock  # one entry: nothing to tell apart, nothing to learn
        key = self.models.key(pairs)
        with self._lock:
            if key in self._open:
                self._open.move_to_end(key)
                return self._open[key]
        model = self.models.find(key)
        if model is None and queue and self.wait and self._due(key):
            self._tune(key, pairs)
            model = self.models.find(key)
        if model is None:
            if queue:
                with self._lock:
                    self._wanted.setdefault(key, pairs)
            return self.stock
        encoder = open_minilm(model, model.parent / "tokenizer.json")
        with self._lock:
            self._open[key] = encoder
            while len(self._open) > _OPEN:
                self._open.popitem(last=False)
        return encoder

    def ready_only(self) -> ReadyOnly:
        """This encoder for content that may never be saved (a preview): it starts no tuning."""
        return ReadyOnly(self)

    def waiting(self) -> int:
        """How many scopes in use still wait for their tuned model."""
        with self._lock:
            return len(self._wanted)

    def adopt_ready(self) -> bool:
        """Stop waiting for the scopes whose copy is now on disk (made by another process); True if any."""
        with self._lock:
            waiting = list(self._wanted)
        ready = [key for key in waiting if self.models.find(key) is not None]
        with self._lock:
            for key in ready:
                self._wanted.pop(key, None)
        return bool(ready)

    def forget_waiting(self) -> None:
        """Content changed: scopes ask again as they are rebuilt, outdated ones are not tuned."""
        with self._lock:
            self._wanted.clear()

    def tune_next(self) -> bool:
        """Tune one scope that waits, in a child process at low priority; True when its model is ready."""
        with self._lock:
            ready = [k for k in self._wanted if self._due(k)] if not self._stopping else []
            if not ready:
                return False
            key, pairs = ready[0], self._wanted[ready[0]]
        return self._tune(key, pairs)

    def _due(self, key: str) -> bool:
        """Not tried, or the last failed try is long enough ago."""
        failed = self._failed.get(key)
        return failed is None or time.monotonic() - failed >= _RETRY_SECONDS

    def _tune(self, key: str, pairs: Phrasings) -> bool:
        """Tune one scope now; True when its model is ready, else the failure is logged and remembered."""
        log.info("tuning the FAQ encoder for a scope", extra={"scope": key, "phrasings": len(pairs)})
        error = self._tune_in_child(pairs)
        with self._lock:
            if not error and self.models.find(key) is not None:
                self._wanted.pop(key, None)
                self._failed.pop(key, None)
                log.info("tuned FAQ encoder ready", extra={"scope": key})
                return True
            self._failed[key] = time.monotonic()
            if self._stopping:
                log.info("tuning the FAQ encoder stopped: shutting down", extra={"scope": key})
                return False
        log.error(
            "tuning the FAQ encoder failed; the stock model serves", extra={"scope": key, "error": error}
        )
        return False

    def _tune_in_child(self, pairs: Phrasings) -> str:
        """Tune and store a scope's model in a fresh child process; "" on success, else its last words.

        A child, not a thread: PyTorch's gigabyte is returned when it ends, a crash in training ends
        only the child, and the serving process never imports PyTorch."""
        command = [sys.executable, "-m", "bot.encoder_tuning", str(self.models.cache_dir)]
        # our own interpreter and module; the phrasings go to stdin
        with subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        ) as child:
            with self._lock:
                self._child = child
                stopping = self._stopping
            if stopping:  # asked to stop while this child was starting
                child.terminate()
            try:
                _, errors = child.communicate(json.dumps(pairs), timeout=_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                return f"no result after {_TIMEOUT_SECONDS:.0f} s"
            finally:
                with self._lock:
                    self._child = None
        if child.returncode == 0:
            return ""
        return (errors.strip().splitlines() or [f"exit status {child.returncode}"])[-1]

    def stop_tuning(self) -> None:
        """End a tuning in progress (the process is shutting down); the scope is tuned again later."""
        with self._lock:
            self._stopping = True
            child = self._child
        if child is not None:
            child.terminate()


class ReadyOnly:
    """A tuned-per-scope encoder that uses the copies already made and never asks for new ones."""

    def __init__(self, tuned: TunedMiniLM) -> None:
        self.tuned = tuned
        self.languages = tuned.languages

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors from the stock model."""
        return self.tuned.encode(texts)

    def for_scope(self, phrasings: Sequence[tuple[str, str]]) -> MiniLM:
        """The scope's tuned copy if it is ready, else the stock model; nothing is queued."""
        return self.tuned.for_scope(phrasings, queue=False)


@lru_cache(maxsize=4)
def tuned_minilm(cache_dir: Path, *, wait: bool) -> TunedMiniLM:
    """The tuned-per-scope encoder over the stock model converted in `cache_dir`, once per process."""
    return TunedMiniLM(stock_minilm(cache_dir), TunedModels(cache_dir, model_source()), wait=wait)


def main() -> int:
    """Child process: tune the scope whose phrasings arrive on stdin as JSON; exit 0 when stored."""
    # asked to stop: unwind, so the temporary build folder is removed on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped: the service is shutting down"))
    os.nice(_NICE)
    pairs = tuple((str(entry), str(text)) for entry, text in json.load(sys.stdin))
    try:
        TunedModels(Path(sys.argv[1]), model_source()).build(pairs)
    except EncoderUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
