"""Guideline and FAQ files: clear errors with file, line and field; the last good content stays."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.registry import ContentRegistry
from responders.content import ContentInvalid, load_content
from tests.factories import FAQ, GUIDELINE, write_content

ROOT = Path(__file__).resolve().parent.parent


def _errors(tmp_path: Path, guideline: str, faq: str = FAQ) -> list[str]:
    guidelines, faq_dir = write_content(tmp_path, guideline, faq)
    with pytest.raises(ContentInvalid) as caught:
        load_content(guidelines, faq_dir)
    return [str(e) for e in caught.value.errors]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_duration_in_words_names_file_line_and_field(tmp_path: Path) -> None:
    broken = GUIDELINE.replace("high: 4h", "high: 2 uur")
    [error] = _errors(tmp_path, broken)
    assert error.startswith(
        f"{tmp_path}/guidelines/testshop.yaml:{_line_of(broken, '2 uur')}: response_targets.high:"
    )
    assert "not a duration" in error


def test_an_unknown_field_is_reported_where_it_is(tmp_path: Path) -> None:
    broken = GUIDELINE.replace("  threshold: 0.6", "  treshold: 0.6")
    [error] = _errors(tmp_path, broken)
    assert f":{_line_of(broken, 'treshold')}: faq.treshold: unknown field" in error


def test_a_template_with_an_unknown_variable_is_refused(tmp_path: Path) -> None:
    broken = GUIDELINE.replace('"Hoi {{ name }},"', '"Hoi {{ naam }},"')
    [error] = _errors(tmp_path, broken)
    assert "tone.nl.greetings[0]" in error and "naam" in error


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ('"{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"', "loops"),
        ("'{{ \"x\" * 100000000 }}'", "arithmetic"),
        ('"{{ name.__class__ }}"', "attribute access"),
    ],
)
def test_a_template_that_could_run_for_hours_is_refused_before_it_runs(
    tmp_path: Path, template: str, named: str
) -> None:
    [error] = _errors(tmp_path, GUIDELINE.replace('"Hoi {{ name }},"', template))
    assert "tone.nl.greetings[0]" in error and f"template uses {named}" in error


def test_templates_may_use_if_and_simple_filters(tmp_path: Path) -> None:
    guidelines, faq_dir = write_content(
        tmp_path, GUIDELINE.replace('"Hoi {{ name }},"', '"{% if name %}Hoi {{ name | title }},{% endif %}"')
    )
    assert load_content(guidelines, faq_dir).guidelines


def test_yaml_syntax_errors_give_the_line(tmp_path: Path) -> None:
    broken = GUIDELINE.replace("brand: Testshop", "brand: [Testshop")
    [error] = _errors(tmp_path, broken)
    assert "YAML syntax" in error and "testshop.yaml:" in error


def test_a_file_saved_in_latin_1_names_the_line_and_the_fix(tmp_path: Path) -> None:
    guidelines, faq_dir = write_content(tmp_path)
    file = guidelines / "testshop.yaml"
    file.write_bytes(file.read_bytes() + "brand_note: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ContentInvalid) as caught:
        load_content(guidelines, faq_dir)
    line = file.read_bytes().count(b"\n")
    assert [str(e) for e in caught.value.errors] == [
        f"{file}:{line}: not UTF-8 (byte 0xe9): save the file as UTF-8"
    ]


def test_yaml_aliases_are_refused_before_they_can_expand(tmp_path: Path) -> None:
    # nine levels of nine aliases: 387 million strings if expanded; a second at most when refused
    bomb = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    [error] = _errors(tmp_path, GUIDELINE + "\n".join(bomb) + "\nbomb: *a8\n")
    assert "testshop.yaml:" in error and "anchors and aliases" in error


def test_an_unknown_faq_tag_is_reported(tmp_path: Path) -> None:
    broken = GUIDELINE.replace("tags: [shipping]", "tags: [verzending]")
    [error] = _errors(tmp_path, broken)
    assert "faq.tags[0]: unknown FAQ tag 'verzending'" in error


def test_a_broken_edit_keeps_the_last_good_content(tmp_path: Path) -> None:
    guidelines, faq_dir = write_content(tmp_path)
    registry = ContentRegistry(guidelines, faq_dir)
    (guidelines / "testshop.yaml").write_text(GUIDELINE.replace("high: 4h", "high: soon"), encoding="utf-8")
    assert registry.reload_if_changed() is False
    assert registry.community_for("console", "shop-nl") is not None
    assert "response_targets.high" in str(registry.errors[0])
    (guidelines / "testshop.yaml").write_text(GUIDELINE.replace("high: 4h", "high: 2h"), encoding="utf-8")
    assert registry.reload_if_changed() is True
    community = registry.community_for("console", "shop-nl")
    assert community is not None and community.guideline.response_targets["high"].total_seconds() == 7200
    assert registry.errors == []


def test_the_demo_content_is_valid_and_rich_enough() -> None:
    content = load_content(ROOT / "guidelines", ROOT / "faq")
    assert len(content.guidelines) >= 2
    languages = {entry.language for entry in content.faq}
    assert {"nl", "en"} <= languages
    assert len(content.faq) >= 20
    assert all(len(entry.examples) >= 3 for entry in content.faq)


def test_a_missing_folder_is_one_clear_error_not_empty_content(tmp_path: Path) -> None:
    guidelines, faq_dir = write_content(tmp_path)
    with pytest.raises(ContentInvalid) as caught:
        load_content(tmp_path / "guidlines", faq_dir)
    assert [str(e) for e in caught.value.errors] == [f"{tmp_path}/guidlines: no such file or folder"]
    # without the FAQ folder every tag would be "unknown": only the real cause is listed
    with pytest.raises(ContentInvalid) as caught:
        load_content(guidelines, tmp_path / "faqs")
    assert [str(e) for e in caught.value.errors] == [f"{tmp_path}/faqs: no such file or folder"]


def test_a_moved_folder_keeps_the_last_good_content_and_is_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    guidelines, faq_dir = write_content(tmp_path)
    registry = ContentRegistry(guidelines, faq_dir)
    guidelines.rename(tmp_path / "elsewhere")
    with caplog.at_level(logging.ERROR, logger="bot.registry"):
        assert registry.reload_if_changed() is False
        assert registry.reload_if_changed() is False  # the job runs every few seconds
    assert [r.getMessage() for r in caplog.records] == [
        f"content not loaded, keeping last good version: {guidelines}: no such file or folder"
    ]
    assert registry.community_for("console", "shop-nl") is not None
    assert registry.errors
    (tmp_path / "elsewhere").rename(guidelines)
    assert registry.reload_if_changed() is False  # the same files as the content in force
    assert registry.errors == []
