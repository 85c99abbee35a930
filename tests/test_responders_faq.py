"""FAQ matching as customers write (typos, accents, word order) and `webcare faq eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from responders.content import load_faq
from responders.faq import FaqIndex

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def demo() -> FaqIndex:
    """The demo FAQ of Wijnhuis De Kelder."""
    entries, errors = load_faq(ROOT / "faq")
    assert errors == []
    return FaqIndex(entries)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("hoelang duurt het voordat mn bestelling er is", "nl", "levertijd-nl"),
        ("Wat zijn de verzendkosten naar België?", "nl", "buitenland-nl"),
        ("verzendkosten onder de vijfenzeventig euro?", "nl", "verzendkosten-nl"),
        ("kapote fles in het pakket, alles nat", "nl", "kapotte-fles-nl"),  # typo
        ("Kan ik betalen met iDEAL of achteraf?", "nl", "betaalmethoden-nl"),
        ("wijn ruikt naar kurk", "nl", "kurk-nl"),
        ("tracking says delivered but nothing here", "en", "order-tracking-en"),
        ("do u ship 2 belgium", "en", "shipping-abroad-en"),  # informal spelling
        ("how long will an opened bottle of red keep", "en", "opened-bottle-en"),
    ],
)
def test_customers_questions_find_their_answer(
    demo: FaqIndex, text: str, language: str, expected: str
) -> None:
    [best, *_] = demo.match(text, language=language)
    assert best.faq_id == expected
    assert best.confidence >= 0.6


def test_candidates_are_ranked_distinct_and_confidences_stay_in_0_1(demo: FaqIndex) -> None:
    found = demo.match("Hoe lang duurt de bezorging?", language="nl", limit=5)
    assert len(found) == 5 and len({c.faq_id for c in found}) == 5
    assert [c.confidence for c in found] == sorted((c.confidence for c in found), reverse=True)
    assert all(0 <= c.confidence <= 1 for c in found)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Gaaf weekend gehad in Amsterdam, mooi weer ook", "nl"),
        ("wie gaat er mee naar het voetbal zaterdag", "nl"),
        ("The weather in Utrecht is lovely today", "en"),
        ("my cat knocked over the plant again", "en"),
    ],
)
def test_off_topic_posts_get_no_answer(demo: FaqIndex, text: str, language: str) -> None:
    found = demo.match(text, language=language)
    assert found == () or found[0].confidence < 0.6


def test_scope_by_tag_and_language(demo: FaqIndex) -> None:
    only_payment = demo.match("hoe lang duurt de bezorging", language="nl", tags=["payment"], limit=10)
    ids = {c.faq_id for c in only_payment}
    assert ids and "levertijd-nl" not in ids
    assert all(demo.entries[i].language == "nl" and "payment" in demo.entries[i].tags for i in ids)


def _write(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    file = tmp_path / "cases.csv"
    lines = ["text,expected", *(f'"{text}",{expected}' for text, expected in rows)]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return file


FAQ_DIR = str(ROOT / "faq" / "nl")


def test_faq_eval_counts_accuracy_coverage_precision_and_oos_rejection(tmp_path: Path) -> None:
    cases = _write(
        tmp_path,
        [
            ("hoe lang duurt de levering", "levertijd-nl"),  # right, proposed
            ("vanaf welk bedrag is verzenden gratis", "verzendkosten-nl"),  # right, proposed
            ("hoe lang duurt de levering", "verzendkosten-nl"),  # wrong top-1, proposed: lowers precision
            ("Gaaf weekend gehad in Amsterdam, mooi weer ook", ""),  # out of scope, rejected
        ],
    )
    result = runner.invoke(app, ["faq", "eval", "--faq", FAQ_DIR, "--cases", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert list(scores) == [
        "encoder",
        "cases",
        "accuracy",
        "coverage",
        "precision",
        "oos_rejection",
        "p50_ms",
        "p95_ms",
    ]
    assert scores["encoder"] == get_settings().faq_encoder  # the one it used, named
    assert scores["cases"] == 4
    assert scores["accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    assert scores["coverage"] == 1.0
    assert scores["precision"] == pytest.approx(2 / 3, abs=1e-3)
    assert scores["oos_rejection"] == 1.0
    assert 0 < scores["p50_ms"] <= scores["p95_ms"]


def test_faq_eval_threshold_trades_coverage_for_rejection(tmp_path: Path) -> None:
    cases = _write(tmp_path, [("hoe lang duurt de levering", "levertijd-nl"), ("wie gaat er mee", "")])
    strict = runner.invoke(
        app, ["faq", "eval", "--faq", FAQ_DIR, "--cases", str(cases), "--threshold", "1", "--json"]
    )
    assert json.loads(strict.output)["coverage"] == 0.0
    assert json.loads(strict.output)["oos_rejection"] == 1.0
    text = runner.invoke(app, ["faq", "eval", "--faq", FAQ_DIR, "--cases", str(cases)]).output
    for label in ("cases:", "accuracy:", "coverage:", "precision:", "oos_rejection:", "p50_ms:", "p95_ms:"):
        assert label in text


def test_faq_eval_rejects_a_csv_without_the_expected_column(tmp_path: Path) -> None:
    file = tmp_path / "cases.csv"
    file.write_text("text,intent\nhallo,x\n", encoding="utf-8")
    result = runner.invoke(app, ["faq", "eval", "--faq", FAQ_DIR, "--cases", str(file)])
    assert result.exit_code == 2
    assert "expected" in result.output


def test_faq_eval_refuses_an_expected_id_the_faq_does_not_have(tmp_path: Path) -> None:
    cases = _write(tmp_path, [("hoe lang duurt de levering", "levertijd-nI"), ("wie gaat er mee", "")])
    result = runner.invoke(app, ["faq", "eval", "--faq", FAQ_DIR, "--cases", str(cases)])
    assert result.exit_code == 2
    assert "expected FAQ id(s) not in the FAQ: 'levertijd-nI'" in result.output


def test_long_example_lists_and_punctuation_only_examples_still_match(tmp_path: Path) -> None:
    many = [f"wanneer komt bestelling nummer {n} binnen" for n in range(30)]
    entries = (
        "- id: levertijd\n  language: nl\n  question: Hoe lang duurt de bezorging?\n"
        f"  examples: {json.dumps([*many, 'is mijn pakket al onderweg', '???'])}\n  answer: Snel.\n"
        "- id: betalen\n  language: nl\n  question: Hoe kan ik betalen?\n"
        "  examples: [kan ik met ideal betalen, achteraf betalen, '!!!']\n  answer: Met iDEAL.\n"
    )
    (tmp_path / "faq.yaml").write_text(entries, encoding="utf-8")
    loaded, errors = load_faq(tmp_path)
    assert errors == []
    index = FaqIndex(loaded)
    [best, *_] = index.match("is mijn pakket al onderweg?", language="nl")
    assert (best.faq_id, best.matched) == ("levertijd", "is mijn pakket al onderweg")
    assert index.match("betalen met ideal", language="nl")[0].faq_id == "betalen"
