"""Choose the FAQ matcher's encoder blend weights on rows that bench/quality.py never scores.

    .venv/bin/python bench/tune_blend.py [--data ../shared/data] [--encoder minilm|minilm-tuned|use]
    .venv/bin/python bench/tune_blend.py --smoke   # sets cut to 5 intents, one setting: seconds (tests)

Tuning sets (English, like the encoder):

- clinc150-train: the same FAQ as clinc150-10 (first 10 rows per intent of train.csv), scored on the
  next 20 rows per intent of train.csv plus its 100 out-of-scope rows (quality.py scores val.csv).
- hwu64-train-10: the FAQ of hwu64-10 (train_10.csv), scored on every 4th other row of train.csv
  (quality.py scores valid.csv).
- hwu64-train-full: per intent every 10th row of train.csv held out, the rest is the FAQ: the
  full-data regime, like banking77-full (whose rows quality.py scores, so they are not used here).

Prints one JSON line per setting with the scores of each set and their means. Two stages:

1. Blend weights, with the encoder on every message: the highest mean top-1 accuracy among settings
   that keep the CLINC150 out-of-scope rejection at 90 % or more and the mean precision at or above
   the matcher without encoder.
2. With those weights, how sure TF-IDF must be to skip the encoder: the gate with the highest mean
   accuracy, never skipping included (on a tie the lower gate: fewer encoder runs), same constraints.
   (Until the int8 ONNX encoder, a message through the encoder cost 10-20 ms and the rule bought
   time with accuracy: the lowest gate within 0.25 points of never skipping.)
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import quality

from bot.encoder_cache import load_encoder
from bot.encoder_tuning import TunedMiniLM
from responders.meaning import Blend, Encoder, blend_of

Rows = quality.Rows


def tuning_sets(data: Path) -> dict[str, tuple[Rows, Rows]]:
    """name -> (FAQ rows, cases); none of these cases is scored by bench/quality.py."""
    clinc = quality._rows(data / "clinc150/train.csv")
    seen: dict[str, int] = defaultdict(int)
    clinc_cases = []
    for text, intent in clinc:
        seen[intent] += 1
        if not intent or 10 < seen[intent] <= 30:
            clinc_cases.append((text, intent))
    hwu = quality._rows(data / "hwu64/train.csv")
    hwu10 = quality._rows(data / "hwu64/train_10.csv")
    ten = {(t.strip().lower(), i) for t, i in hwu10}
    hwu_rest = [r for r in hwu if (r[0].strip().lower(), r[1]) not in ten]
    full_train, full_test = quality._split_every(hwu, 10, lambda p: p == 0)
    return {
        "clinc150-train": (quality._first_per_intent(clinc, 10), clinc_cases),
        "hwu64-train-10": (hwu10, hwu_rest[::4]),
        "hwu64-train-full": (full_train, full_test),
    }


class Counting:
    """An encoder that counts the messages it encodes one at a time (the matcher's calls).

    Being a wrapper, quality.run_faq does not clear its cache: every setting reuses the vectors.
    A scope's own encoder (a tuned copy, or the same model) is wrapped too and counts here.
    """

    def __init__(self, encoder: Encoder, tally: Counting | None = None) -> None:
        self.languages = encoder.languages
        self.encoder = encoder
        self.tally = tally or self
        self.calls = 0
        self.setting = blend_of(encoder)  # the one being tried, set on the tally

    @property
    def blend(self) -> Blend:
        """The setting being tried (the matcher reads it from the scope's encoder)."""
        return self.tally.setting

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode with the wrapped encoder, counting single-message calls."""
        self.tally.calls += len(texts) == 1
        return self.encoder.encode(texts)

    def for_scope(self, phrasings: Sequence[tuple[str, str]]) -> Counting:
        """The wrapped encoder's choice for the scope, counted in the same tally."""
        return Counting(self.encoder.for_scope(phrasings), self.tally)


def score(sets: dict[str, tuple[Rows, Rows]], encoder: Encoder | None) -> dict[str, object]:
    """Every tuning set scored at the default threshold, and the means."""
    results = {
        name: quality.run_faq(name, train, cases, "en", 0.6, encoder) for name, (train, cases) in sets.items()
    }
    summary: dict[str, object] = {
        name: {k: r[k] for k in ("accuracy", "coverage", "precision", "oos_rejection")}
        for name, r in results.items()
    }
    for key in ("accuracy", "precision"):
        summary[f"mean_{key}"] = round(sum(float(r[key]) for r in results.values()) / len(results), 4)
    summary["clinc_oos"] = results["clinc150-train"]["oos_rejection"]
    return summary


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def _allowed(result: dict[str, object], baseline: dict[str, object]) -> bool:
    return float(result["clinc_oos"]) >= 0.9 and float(result["mean_precision"]) >= float(
        baseline["mean_precision"]
    )


def main() -> None:
    """Score the matcher without encoder, then each weight setting and gate with it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=quality.ROOT.parent / "shared" / "data")
    parser.add_argument("--encoder", default="minilm")
    parser.add_argument("--weights", type=_floats, default=[0.3, 0.5, 0.7, 0.85, 1.0])
    parser.add_argument("--cosines", type=_floats, default=[0.25, 0.5, 0.75])
    parser.add_argument("--cs", type=_floats, default=[3.0, 10.0, 30.0])
    parser.add_argument("--gates", type=_floats, default=[0.5, 0.6, 0.7, 0.8, 0.9])
    parser.add_argument(
        "--smoke", action="store_true", help="each set cut to 5 intents, one setting and one gate: seconds"
    )
    args = parser.parse_args()
    sets = tuning_sets(args.data)
    if args.smoke:
        sets = {name: quality.smoke_set(*rows) for name, rows in sets.items()}
        args.weights, args.cosines, args.cs, args.gates = [0.85], [0.5], [10.0], [0.8]
    loaded = load_encoder(args.encoder, wait_for_tuning=True)  # minilm-tuned: each FAQ tuned first
    assert loaded is not None
    encoder = Counting(loaded)
    if not isinstance(loaded, TunedMiniLM):
        # encode every text once up front; the encoder's cache serves each later setting
        loaded.encode([text for train, cases in sets.values() for text, _ in (*train, *cases)])
    baseline = score(sets, None)
    print(json.dumps({"setting": "no encoder"} | baseline), flush=True)
    messages = sum(len(cases) for _, cases in sets.values())

    best: dict[str, object] | None = None
    for weight, cosine, c in itertools.product(args.weights, args.cosines, args.cs):
        # stage 1: the encoder reads every message
        encoder.setting = Blend(meaning_weight=weight, cosine_weight=cosine, c=c, sure=2.0)
        result = {"setting": {"meaning_weight": weight, "cosine_weight": cosine, "C": c}} | score(
            sets, encoder
        )
        print(json.dumps(result), flush=True)
        if _allowed(result, baseline) and (best is None or result["mean_accuracy"] > best["mean_accuracy"]):
            best = result
    print(json.dumps({"best": best}), flush=True)
    if best is None:
        return
    chosen = best["setting"]
    weight, cosine, c = chosen.values()

    gate: dict[str, object] = best | {"setting": chosen | {"sure": None}}  # None: never skip
    for sure in sorted(args.gates, reverse=True):  # stage 2: skip the encoder where TF-IDF is sure
        encoder.setting = Blend(meaning_weight=weight, cosine_weight=cosine, c=c, sure=sure)
        encoder.calls = 0
        result = {"setting": chosen | {"sure": sure}} | score(sets, encoder)
        result["encoded_share"] = round(encoder.calls / messages, 3)
        print(json.dumps(result), flush=True)
        if float(result["mean_accuracy"]) >= float(gate["mean_accuracy"]) and _allowed(result, baseline):
            gate = result
    print(json.dumps({"best_gate": gate}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
