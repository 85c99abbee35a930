"""Matching and sentiment quality on the public data sets in ../shared/data (see its README).

    .venv/bin/python bench/quality.py [--data ../shared/data] [--only banking77-10,...] [--encoder minilm]
    .venv/bin/python bench/quality.py --smoke     # every set cut to a few intents: seconds (the tests)

Each FAQ data set becomes an FAQ folder (one entry per intent, its training rows as example
phrasings) and a cases CSV, written to a temporary folder, then scored by the same code as
`webcare faq eval` (bot.evaluate). Sentiment sets are scored like `webcare analyze eval`.
Nothing is copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import evaluate  # noqa: E402
from bot.encoder_cache import load_encoder  # noqa: E402
from bot.encoder_tuning import TunedMiniLM  # noqa: E402
from bot.meaning_files import MeaningFiles  # noqa: E402
from responders.embeddings import MiniLM  # noqa: E402
from responders.meaning import Encoder  # noqa: E402
from responders.multilingual import UniversalSentenceEncoder  # noqa: E402

Rows = list[tuple[str, str]]


def _rows(path: Path) -> Rows:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(r["text"], r.get("intent") or "") for r in csv.DictReader(handle)]


def _slug(intent: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", intent.lower()).strip("-") or "x"


def write_faq(folder: Path, train: Rows, language: str) -> None:
    """The rows as an FAQ folder: one entry per intent, its rows as example phrasings."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in train:
        if intent:
            by_intent[intent].append(text)
    entries = [
        {
            "id": _slug(intent),
            "language": language,
            "tags": ["bench"],
            "question": texts[0] if len(texts[0]) >= 3 else f"{texts[0]} ...",
            "examples": texts[1:],
            "answer": f"Answer for {intent}.",
        }
        for intent, texts in sorted(by_intent.items())
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "faq.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")


def _write_cases(path: Path, cases: Rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "expected"])
        writer.writerows((text, _slug(intent) if intent else "") for text, intent in cases)


def _split_every(rows: Rows, n: int, held: Callable[[int], bool]) -> tuple[Rows, Rows]:
    """Per intent, rows whose position satisfies `held` are held out; the rest train."""
    seen: dict[str, int] = defaultdict(int)
    train, test = [], []
    for row in rows:
        position = seen[row[1]] % n
        seen[row[1]] += 1
        (test if held(position) else train).append(row)
    return train, test


def _first_per_intent(rows: Rows, k: int) -> Rows:
    seen: dict[str, int] = defaultdict(int)
    chosen = []
    for row in rows:
        if row[1] and seen[row[1]] < k:
            chosen.append(row)
            seen[row[1]] += 1
    return chosen


def faq_sets(data: Path) -> dict[str, tuple[Rows, Rows, str]]:
    """name -> (FAQ rows, cases, language)."""
    banking = _rows(data / "banking77/train.csv")
    banking10 = _rows(data / "banking77/train_10.csv")
    # the 10-shot file holds lowercased copies of training rows: compare case-insensitively
    ten = {(text.strip().lower(), intent.lower()) for text, intent in banking10}
    full_train, full_test = _split_every(banking, 10, lambda p: p == 0)
    clinc = _rows(data / "clinc150/train.csv")
    sets = {
        "banking77-10": (
            banking10,
            [r for r in banking if (r[0].strip().lower(), r[1].lower()) not in ten],
            "en",
        ),
        "banking77-full": (full_train, full_test, "en"),
        # every BANKING77 training row as an FAQ example: the 10,000-example load time
        "banking77-load": (banking, banking[:200], "en"),
        "hwu64-10": (_rows(data / "hwu64/train_10.csv"), _rows(data / "hwu64/valid.csv"), "en"),
        "clinc150-10": (_first_per_intent(clinc, 10), _rows(data / "clinc150/val.csv"), "en"),
    }
    for language in ("nl", "en"):
        train, test = _split_every(_rows(data / f"xsid/{language}.valid.csv"), 2, lambda p: p == 1)
        sets[f"xsid-{language}"] = (train, test, language)
    # banking77-full's regime on the other nine tenths (per intent the (k+1)th of every ten rows):
    # one tenth (about 1,000 cases) has a standard error near 0.8 points, too coarse to tell
    # 93.5 % from 93.7 %; all ten together score every training row once (10-fold cross-validation)
    for fold in range(1, 10):
        train, test = _split_every(banking, 10, lambda position, fold=fold: position == fold)
        sets[f"banking77-full-fold{fold}"] = (train, test, "en")
    return sets


def smoke_set(
    train: Rows, cases: Rows, intents: int = 5, most: int = 20, phrasings: int = 10
) -> tuple[Rows, Rows]:
    """The first few intents of a set, a few phrasings each, with a few of their cases and some
    out-of-scope ones: a run of seconds that goes through the same code."""
    keep = set(list(dict.fromkeys(intent for _, intent in train if intent))[:intents])
    out_of_scope = [r for r in cases if not r[1]][: most // 4]
    in_scope = [r for r in cases if r[1] in keep][: most - len(out_of_scope)]
    return _first_per_intent([r for r in train if r[1] in keep], phrasings), in_scope + out_of_scope


# the BANKING77 tenths a default run scores beside banking77-full; the other seven are run by name
_DEFAULT_TENTHS = {"banking77-full-fold3", "banking77-full-fold6"}


def selected(name: str, only: set[str]) -> bool:
    """Whether to run a set: the ones named; with none named, every set but the seven extra tenths."""
    if only:
        return name in only
    return not name.startswith("banking77-full-fold") or name in _DEFAULT_TENTHS


def _forget(encoder: Encoder | None) -> None:
    if isinstance(encoder, MiniLM | UniversalSentenceEncoder):
        encoder.forget()


def run_faq(
    name: str, train: Rows, cases: Rows, language: str, threshold: float, encoder: Encoder | None = None
) -> dict[str, object]:
    """Build the FAQ, time loading it, score the cases."""
    with tempfile.TemporaryDirectory() as tmp:
        folder, cases_file = Path(tmp) / "faq", Path(tmp) / "cases.csv"
        write_faq(folder, train, language)
        _write_cases(cases_file, cases)
        store = MeaningFiles(Path(tmp) / "models")
        stock = encoder.stock if isinstance(encoder, TunedMiniLM) else encoder
        _forget(stock)  # each set from scratch: no vectors cached by an earlier set
        start, cpu = time.perf_counter(), time.process_time()
        index, entries = evaluate.load_faq_index(folder, encoder, store)
        load_s, load_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        # the service's next start: a new process (nothing in memory) with the models kept on disk
        _forget(stock)
        start = time.perf_counter()
        evaluate.load_faq_index(folder, encoder, store)
        restart_s = time.perf_counter() - start
        rows = evaluate.read_cases(cases_file, ["text", "expected"])
        cpu = time.process_time()
        scores = evaluate.score_faq(index, rows, threshold)
        # CPU time per message: unlike wall time, not inflated by other jobs on a shared machine
        cpu_ms = (time.process_time() - cpu) * 1000 / max(1, len(rows))
    examples = sum(1 + len(e.examples) for e in entries)
    loading = {
        "load_s": round(load_s, 2),
        "load_cpu_s": round(load_cpu_s, 2),
        "restart_s": round(restart_s, 2),
        "cpu_ms": round(cpu_ms, 3),
    }
    size = {"set": name, "faq_entries": len(entries), "faq_examples": examples}
    return size | loading | evaluate.as_dict(scores)


def run_sentiment(data: Path, most: int | None = None) -> list[dict[str, object]]:
    """Score the analyser on TweetEval and the SemEval-2016 sentences (with their language), on
    the rows the shipped sentiment model was not trained on; `most`: only that many rows of each."""
    results = []
    for name, file, language in (
        ("tweeteval", "tweeteval_sentiment/val.csv", ""),
        ("semeval16-nl", "semeval16/nl_train.csv", "nl"),
        ("semeval16-en", "semeval16/en_train.csv", "en"),
    ):
        with (data / file).open(encoding="utf-8", newline="") as handle:
            cases = [
                {"text": r["text"], "label": r["label"], **({"language": language} if language else {})}
                for r in csv.DictReader(handle)
            ][:most]
        # the smoke run's few rows are mostly training rows: it checks the code, not the score
        held_out = evaluate.held_out(cases) if most is None else cases
        results.append({"set": name} | evaluate.as_dict(evaluate.score_sentiment(held_out)))
    return results


def main() -> None:
    """Run the chosen sets and print one JSON object per line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", default="", help="comma-separated set names, e.g. banking77-10,sentiment")
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument(
        "--encoder",
        default="",
        help='sentence embeddings for FAQ matching: "minilm", or "minilm-tuned" (each FAQ tuned first)',
    )
    parser.add_argument(
        "--smoke", action="store_true", help="each set cut to 5 intents and 20 cases: seconds (the tests)"
    )
    args = parser.parse_args()
    only = {s for s in args.only.split(",") if s}
    # as `webcare faq eval` does: a tuned encoder is tuned on each set's FAQ before it is scored
    encoder = load_encoder(args.encoder, wait_for_tuning=True)
    for name, (train, cases, language) in faq_sets(args.data).items():
        if selected(name, only):
            if args.smoke:
                train, cases = smoke_set(train, cases)
            result = run_faq(name, train, cases, language, args.threshold, encoder)
            print(json.dumps({"encoder": args.encoder or None} | result), flush=True)
    if not only or "sentiment" in only:
        for result in run_sentiment(args.data, 20 if args.smoke else None):
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
