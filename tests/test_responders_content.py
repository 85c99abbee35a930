"""Guideline checks a community manager relies on: every mistake named with file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from tests.factories import FAQ, GUIDELINE

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def _check(guidelines: Path, text: str) -> tuple[int, list[str]]:
    (guidelines / "testshop.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["guidelines", "check"])
    return result.exit_code, result.output.splitlines()


def test_check_lists_every_mistake_at_once_with_file_line_and_field(content: tuple[Path, Path]) -> None:
    guidelines, _ = content
    broken = (
        GUIDELINE.replace("  threshold: 0.6", "  threshold: hoog")
        .replace("normal: 24h", "normal: 2 uur")
        .replace("    team: legal", "    team: legal\n    priorty: high")
        .replace('signoffs: ["Groet,"]', 'signoffs: ["Groet {{ name ,"]')
        .replace("tags: [shipping]\n  threshold", "tags: [verzending]\n  threshold")
    )
    code, lines = _check(guidelines, broken)
    file = str(guidelines / "testshop.yaml")
    assert code == 1
    expected = {
        (_line_of(broken, "threshold: hoog"), "faq.threshold"),
        (_line_of(broken, "2 uur"), "response_targets.normal"),
        (_line_of(broken, "priorty"), "escalation[0].priorty"),
    }
    found = {(int(line.split(":")[1]), line.split(": ")[1]) for line in lines if line.startswith(file)}
    assert expected <= found
    assert any("faq.threshold" in line and "valid number" in line for line in lines)
    assert any("escalation[0].priorty: unknown field" in line for line in lines)
    assert lines[-1] == f"{len(lines) - 1} error(s) found."


def test_template_syntax_errors_are_found_in_tone_and_faq_answers(content: tuple[Path, Path]) -> None:
    guidelines, faq = content
    (faq / "faq.yaml").write_text(FAQ.replace("binnen 1 tot 2 werkdagen", "binnen {{ dagen }} werkdagen"))
    broken = GUIDELINE.replace('signoffs: ["Groet,"]', 'signoffs: ["Groet {% if %},"]')
    code, lines = _check(guidelines, broken)
    assert code == 1
    assert any(
        f"faq.yaml:{_line_of(FAQ, 'binnen 1 tot 2')}: [0].answer: template uses an unknown variable" in line
        and "'dagen' is undefined" in line
        for line in lines
    )
    assert any(f":{_line_of(broken, '{% if %}')}: tone.nl.signoffs[0]: template error" in x for x in lines)


def test_two_communities_claiming_one_channel_are_refused(content: tuple[Path, Path]) -> None:
    guidelines, _ = content
    other = GUIDELINE.replace("id: testshop", "id: othershop")
    (guidelines / "other.yaml").write_text(other, encoding="utf-8")
    result = runner.invoke(app, ["guidelines", "check"])
    assert result.exit_code == 1
    assert (
        "sources[0].channels[0]: console channel 'shop-nl' is already claimed by community" in result.output
    )


def test_examples_must_name_existing_faq_entries_and_rules(content: tuple[Path, Path]) -> None:
    guidelines, _ = content
    broken = GUIDELINE + (
        "examples:\n"
        '  - text: "Wanneer komt mijn pakket?"\n'
        "    faq: levertijden\n"
        '  - text: "Ik stap naar de rechter"\n'
        "    escalation: juridisch\n"
    )
    code, lines = _check(guidelines, broken)
    assert code == 1
    assert any(f":{_line_of(broken, 'levertijden')}: examples[0].faq: unknown FAQ id" in x for x in lines)
    assert any("examples[1].escalation: no escalation rule named 'juridisch'" in x for x in lines)


def test_check_passes_on_the_demo_content(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(ROOT / "guidelines"))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(ROOT / "faq"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["guidelines", "check"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 2 guidelines")


def test_guidelines_test_runs_every_demo_example_and_all_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(ROOT / "guidelines"))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(ROOT / "faq"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["guidelines", "test"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    for community in ("dekelder-nl", "dekelder-en"):
        passed = [line for line in result.output.splitlines() if line.startswith(f"PASS {community} #")]
        assert len(passed) >= 10
    assert "FAIL" not in result.output


def test_guidelines_test_shows_what_differs_and_exits_1(content: tuple[Path, Path]) -> None:
    guidelines, _ = content
    examples = GUIDELINE + (
        "examples:\n"
        '  - text: "Hoe lang duurt de bezorging van mijn bestelling?"\n'
        "    faq: levertijd\n"
        "    action: reply\n"
        '  - text: "Mijn advocaat neemt contact met jullie op"\n'
        "    action: reply\n"
        "    priority: low\n"
    )
    (guidelines / "testshop.yaml").write_text(examples, encoding="utf-8")
    result = runner.invoke(app, ["guidelines", "test", str(guidelines / "testshop.yaml")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "PASS testshop #1: Hoe lang duurt de bezorging van mijn bestelling?"
    assert lines[1] == "FAIL testshop #2: Mijn advocaat neemt contact met jullie op"
    assert "action: expected reply, got acknowledge" in result.output
    assert "priority: expected low, got urgent" in result.output
    assert lines[-1] == "1 passed, 1 failed (2 examples in 1 guidelines)."


def test_a_dutch_template_in_the_wrong_form_of_address_is_refused(content: tuple[Path, Path]) -> None:
    guidelines, _ = content
    broken = GUIDELINE.replace('empathy: ["Wat vervelend!"]', 'empathy: ["Wat vervelend voor u!"]')
    code, lines = _check(guidelines, broken)
    assert code == 1
    assert any(
        f":{_line_of(broken, 'vervelend voor u')}: tone.nl.empathy[0]: says 'u', but this tone has formality "
        "informal" in line
        for line in lines
    )


def test_simulate_shows_analysis_candidates_decision_and_draft(content: tuple[Path, Path]) -> None:
    result = runner.invoke(
        app, ["simulate", "--community", "testshop", "--name", "Sanne Bakker", "Hoe lang duurt de bezorging?"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in ("Analysis", "FAQ candidates", "Decision", "Draft"):
        assert f"\n{heading}\n" in f"\n{out}"
    assert "levertijd" in out and "action: reply" in out and "Sanne," in out
    upset = runner.invoke(app, ["simulate", "--community", "testshop", "Wat een slechte service"])
    assert "sentiment words: slechte -" in upset.output, upset.output
    as_json = runner.invoke(
        app, ["simulate", "--community", "testshop", "--json", "Mijn advocaat belt jullie"]
    )
    data = json.loads(as_json.output)
    assert data["decision"]["action"] == "acknowledge" and data["decision"]["priority"] == "urgent"
    assert data["analysis"]["signals"] == ["legal_threat"]
    assert data["draft"]["kind"] == "acknowledgement"
    unknown = runner.invoke(app, ["simulate", "--community", "nope", "hallo"])
    assert unknown.exit_code == 2 and "known: testshop" in unknown.output
