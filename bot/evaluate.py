"""Measuring the core: guideline examples, FAQ matching and sentiment against labelled CSV files."""

from __future__ import annotations

import csv
import statistics
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from responders import sentiment_model
from responders.analysis import analyze
from responders.content import ContentInvalid, load_content, load_faq
from responders.domain import FaqEntry, Response
from responders.engine import Community
from responders.examples import ExampleResult, run_examples
from responders.faq import FaqIndex
from responders.meaning import Encoder, MeaningStore
from responders.sentiment import explain as explain_sentiment

LABELS = ("negative", "neutral", "positive")


class CasesInvalid(Exception):
    """A cases CSV that cannot be evaluated: missing file, header or columns."""


def read_cases(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """Read a CSV with a header; every required column must be there."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise CasesInvalid(f"{path}: the header must have the column(s) {', '.join(missing)}")
            return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except OSError as exc:
        raise CasesInvalid(f"{path}: {exc.strerror}") from exc


def check_expected(path: Path, cases: Sequence[dict[str, str]], faq_ids: Collection[str]) -> None:
    """Raise CasesInvalid when a case expects an FAQ id the FAQ lacks: a typo would count as a miss."""
    unknown = sorted({c["expected"] for c in cases if c["expected"] and c["expected"] not in faq_ids})
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise CasesInvalid(f"{path}: expected FAQ id(s) not in the FAQ: {shown}{more}")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- guidelines test ---------------------------------------------------------------------------


def run_guideline_examples(
    guidelines: Path, faq_dir: Path, *, now: datetime, encoder: Encoder | None = None
) -> dict[str, list[ExampleResult]]:
    """Run every guideline's examples; raise ContentInvalid when the content does not load."""
    content = load_content(guidelines, faq_dir)
    index = FaqIndex(content.faq, encoder)
    return {gid: run_examples(Community(g, index), now=now) for gid, g in sorted(content.guidelines.items())}


# --- faq eval ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaqScores:
    """How well an FAQ answers a set of labelled messages."""

    cases: int
    accuracy: float
    coverage: float
    precision: float
    oos_rejection: float | None
    p50_ms: float
    p95_ms: float


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def load_faq_index(
    path: Path, encoder: Encoder | None = None, meaning_store: MeaningStore | None = None
) -> tuple[FaqIndex, list[FaqEntry]]:
    """Load an FAQ file or folder into a ready index; raise ContentInvalid on errors."""
    entries, errors = load_faq(path)
    if errors:
        raise ContentInvalid(errors)
    index = FaqIndex(entries, encoder, meaning_store=meaning_store)
    for language in {e.language for e in entries}:
        index.warm(language)
    return index, entries


def score_faq(index: FaqIndex, cases: list[dict[str, str]], threshold: float) -> FaqScores:
    """Match every case and score top-1 accuracy, coverage, precision, OOS rejection and speed."""
    languages = Counter(e.language for e in index.entries.values())
    default = languages.most_common(1)[0][0] if languages else "en"
    in_scope = correct = covered = proposed = proposed_right = oos = rejected = 0
    timings: list[float] = []
    for case in cases:
        start = time.perf_counter()
        language = default
        if len(languages) > 1:
            detected = analyze(case["text"], default_language=default).language
            language = detected if detected in languages else default
        found = index.match(case["text"], language=language, limit=1)
        timings.append((time.perf_counter() - start) * 1000)
        best = found[0] if found else None
        answer = best.faq_id if best and best.confidence >= threshold else None
        expected = case["expected"] or None
        if answer is not None:
            proposed += 1
            proposed_right += answer == expected
        if expected is None:
            oos += 1
            rejected += answer is None
            continue
        in_scope += 1
        correct += best is not None and best.faq_id == expected
        covered += answer is not None
    return FaqScores(
        cases=len(cases),
        accuracy=_ratio(correct, in_scope),
        coverage=_ratio(covered, in_scope),
        precision=_ratio(proposed_right, proposed),
        oos_rejection=_ratio(rejected, oos) if oos else None,
        p50_ms=round(statistics.median(timings), 3) if timings else 0.0,
        p95_ms=round(_percentile(timings, 0.95), 3),
    )


def faq_report(scores: FaqScores) -> list[str]:
    """The lines `webcare faq eval` prints."""
    oos = "n/a (no out-of-scope cases)" if scores.oos_rejection is None else f"{scores.oos_rejection:.1%}"
    return [
        f"cases:          {scores.cases}",
        f"accuracy:       {scores.accuracy:.1%}  (top-1, in-scope cases)",
        f"coverage:       {scores.coverage:.1%}  (in-scope cases with a proposed answer)",
        f"precision:      {scores.precision:.1%}  (proposed answers that are right)",
        f"oos_rejection:  {oos}  (out-of-scope cases left unanswered)",
        f"p50_ms:         {scores.p50_ms:.2f}",
        f"p95_ms:         {scores.p95_ms:.2f}",
    ]


# --- analyze eval ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentScores:
    """How well the analyser labels sentiment (and language, when the cases say it)."""

    cases: int
    accuracy: float
    macro_f1: float
    negative_precision: float
    negative_recall: float
    language_accuracy: float | None
    seen_in_training: int  # cases the shipped sentiment model was trained on


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def held_out(cases: list[dict[str, str]]) -> list[dict[str, str]]:
    """The cases the shipped sentiment model never saw in training."""
    return [case for case in cases if not sentiment_model.seen_in_training(case["text"])]


def score_sentiment(cases: list[dict[str, str]], *, learned: bool = True) -> SentimentScores:
    """Label every case and score accuracy, macro-F1, negative precision/recall and language."""
    for number, case in enumerate(cases, start=2):
        if case["label"] not in LABELS:
            raise CasesInvalid(f"line {number}: label {case['label']!r} is not one of {', '.join(LABELS)}")
    pairs: list[tuple[str, str]] = []
    language_hits = language_cases = 0
    for case in cases:
        language = case.get("language") or "nl"
        analysis = analyze(case["text"], default_language=language, learned_sentiment=learned)
        pairs.append((case["label"], analysis.sentiment_label))
        if case.get("language"):
            language_cases += 1
            # judge language without a hint: the default would otherwise decide short messages
            language_hits += analyze(case["text"], default_language="other").language == case["language"]
    tp = Counter(gold for gold, got in pairs if gold == got)
    fp = Counter(got for gold, got in pairs if gold != got)
    fn = Counter(gold for gold, got in pairs if gold != got)
    return SentimentScores(
        cases=len(cases),
        accuracy=_ratio(sum(tp.values()), len(cases)),
        macro_f1=round(sum(_f1(tp[x], fp[x], fn[x]) for x in LABELS) / len(LABELS), 4),
        negative_precision=_ratio(tp["negative"], tp["negative"] + fp["negative"]),
        negative_recall=_ratio(tp["negative"], tp["negative"] + fn["negative"]),
        language_accuracy=_ratio(language_hits, language_cases) if language_cases else None,
        seen_in_training=sum(sentiment_model.seen_in_training(case["text"]) for case in cases),
    )


def sentiment_report(scores: SentimentScores) -> list[str]:
    """The lines `webcare analyze eval` prints."""
    language = (
        "n/a (no language column)"
        if scores.language_accuracy is None
        else (f"{scores.language_accuracy:.1%}")
    )
    return [
        f"cases:               {scores.cases}",
        f"accuracy:            {scores.accuracy:.1%}",
        f"macro_f1:            {scores.macro_f1:.3f}",
        f"negative_precision:  {scores.negative_precision:.1%}",
        f"negative_recall:     {scores.negative_recall:.1%}",
        f"language_accuracy:   {language}",
        f"seen_in_training:    {scores.seen_in_training}"
        + (" (not a held-out score: use --held-out)" if scores.seen_in_training else ""),
    ]


def as_dict(scores: FaqScores | SentimentScores) -> dict[str, Any]:
    """The scores as the JSON object the eval commands print."""
    return asdict(scores)


# --- simulate ----------------------------------------------------------------------------------


def describe(response: Response, text: str) -> list[str]:
    """A response to a message as readable lines: analysis, candidates, decision, draft."""
    a, d = response.analysis, response.decision
    scored = ", ".join(f"{part.text} {part.valence:+.1f}" for part in explain_sentiment(text, a.language))
    lines = [
        "Analysis",
        f"  act: {a.act.replace('_', ' ')}   language: {a.language}"
        f"   sentiment: {a.sentiment:+.2f} ({a.sentiment_label})",
        f"  sentiment words: {scored or 'none'}",
        f"  signals: {', '.join(sorted(a.signals)) or 'none'}",
        "FAQ candidates",
        *(f"  {c.confidence:.2f}  {c.faq_id}   ~ {c.matched}" for c in response.candidates),
    ]
    if not response.candidates:
        lines.append("  none")
    lines += [
        "Decision",
        f"  action: {d.action}   priority: {d.priority}   team: {d.team}   approval: {d.approval}",
        f"  due: {d.due_at.isoformat(timespec='minutes')}",
        f"  escalations: {', '.join(d.escalations) or 'none'}",
        *(f"  - {reason}" for reason in d.reasons),
        "Draft",
    ]
    if response.draft is None:
        return [*lines, "  (no reply)"]
    draft = response.draft
    lines.append(f"  kind: {draft.kind}   language: {draft.language}   faq: {draft.faq_id or '-'}")
    return [*lines, "", *draft.text.splitlines()]


def example_lines(gid: str, results: list[ExampleResult], say: Callable[[str], None]) -> int:
    """Print pass/fail per example of one guideline; return the number failed."""
    failed = 0
    for number, result in enumerate(results, start=1):
        status = "PASS" if result.passed else "FAIL"
        say(f"{status} {gid} #{number}: {result.example.text}")
        for failure in result.failures:
            say(f"       {failure}")
        failed += not result.passed
    return failed
