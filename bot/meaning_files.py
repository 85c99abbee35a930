"""FAQ meaning models on disk, so that a restart with the same FAQ does not encode every phrasing.

The service reads the FAQ with the sentence encoder in the background on start and reload; for a
10,000-phrasing FAQ that is 10 s of encoding and 3 s of regression. `responders.meaning` keys each
scope's model by the encoder, the phrasings and their entries; this store keeps it as one `.npz`
file per key in the model cache folder. A missing, damaged or foreign file is built afresh, and
only the newest files are kept: old content's models go away by themselves.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
KEEP = 32  # files: a few communities' scopes in two languages, and the versions just before


class MeaningFiles:
    """A MeaningStore (responders.meaning) in a folder of `.npz` files."""

    def __init__(self, folder: Path, keep: int = KEEP) -> None:
        self.folder = folder
        self.keep = keep

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def get(self, key: str) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The vectors and weights kept under this key, or None when there are none to trust."""
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as kept:
                vectors = np.asarray(kept["vectors"], dtype=np.float32)
                weights = np.asarray(kept["weights"]) if "weights" in kept.files else None
            os.utime(path)  # in use: the pruning keeps it
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("FAQ meaning model %s not readable, building it again: %s", path.name, exc)
            return None
        return vectors, weights

    def put(self, key: str, vectors: np.ndarray, weights: np.ndarray | None) -> None:
        """Keep a scope's model; a folder that cannot be written only costs the next start its time."""
        part: Path | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # written next to its place and renamed: a crash mid-write never leaves half a file
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".part", delete=False) as handle:
                part = Path(handle.name)
                if weights is None:
                    np.savez(handle, vectors=vectors)
                else:
                    np.savez(handle, vectors=vectors, weights=weights)
            os.replace(part, self._path(key))
        except OSError as exc:
            if part is not None:
                part.unlink(missing_ok=True)
            log.warning("FAQ meaning model not kept in %s: %s", self.folder, exc)
            return
        self._prune()

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.npz"), key=_modified, reverse=True)
        for old in files[self.keep :]:
            old.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
