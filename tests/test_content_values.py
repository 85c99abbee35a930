"""Content that validates works: every value the running service uses is checked when content loads."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import get_settings
from tests.conftest import add_user
from tests.factories import FAQ, GUIDELINE, write_content
from tests.test_web import sign_in

runner = CliRunner()
BAD_TIMEZONE = GUIDELINE.replace("default_language: nl", "default_language: nl\ntimezone: Europe/Amsterdan")


@pytest.fixture
def guidelines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test content on disk, used by `webcare guidelines check` through WEBCARE_ variables."""
    guidelines, faq = write_content(tmp_path)
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(guidelines))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(faq))
    get_settings.cache_clear()
    yield guidelines
    get_settings.cache_clear()


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def _check(folder: Path, text: str, file: str = "testshop.yaml") -> tuple[int, list[str]]:
    (folder / file).write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["guidelines", "check"], terminal_width=500)
    return result.exit_code, [line for line in result.output.splitlines() if ".yaml" in line]


def test_a_misspelt_time_zone_is_refused_with_the_name_it_means(guidelines: Path) -> None:
    code, [error] = _check(guidelines, BAD_TIMEZONE)
    assert code == 1
    assert error == (
        f"{guidelines}/testshop.yaml:{_line_of(BAD_TIMEZONE, 'Amsterdan')}: timezone: "
        "'Europe/Amsterdan' is not a known time zone: did you mean Europe/Amsterdam?"
    )


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (("faq:\n", "limits:\n  max_brand_replies_per_thread: 1000000000000000000000000000000\nfaq:\n"),
         "limits.max_brand_replies_per_thread", "less than or equal to 100"),
        (("high: 4h", "high: 99999999999999999999d"), "response_targets.high",
         "longest duration allowed, 365d"),
        (("low: 3d", "low: 0m"), "response_targets.low", "longer than 0m"),
        (("faq:\n", "limits:\n  max_brand_replies_per_thread: true\nfaq:\n"),
         "limits.max_brand_replies_per_thread", "true is not a valid number"),
        (("faq:\n", 'limits:\n  listen_only: "yes"\nfaq:\n'), "limits.listen_only",
         "'yes' is not true or false"),
        (("  threshold: 0.6", '  threshold: "0.6"'), "faq.threshold", "'0.6' is not a valid number"),
        (("signals: [legal_threat]", "signals: [legal_treat]"), "escalation[0].signals[0]",
         "unknown signal 'legal_treat': did you mean legal_threat?"),
        (("team: legal", "team: legal\n    min_followers: 99999999999999"), "escalation[0].min_followers",
         "less than or equal to 10000000000"),
        (("faq:\n", "retention_days: 1000000\nfaq:\n"), "retention_days", "less than or equal to 3650"),
        (("  threshold: 0.6", "  threshold: .nan"), "faq.threshold", "finite number"),
        (("competitors: [Wijnvoordeel]", 'competitors: [" "]'), "competitors[0]", "is empty"),
        (("languages: [nl, en]", "languages: [nl, en, Frans]"), "languages[2]", "not a language code"),
        (("default_language: nl", "default_language: nl\nholidays: [2026-02-30]"), "holidays[0]",
         "day is out of range"),
        (("default_language: nl", 'default_language: nl\nbusiness_hours: {days: [mon], start: "09:00", '
          'end: "09:01"}'), "response_targets.normal", "more working time than business_hours give"),
    ],
)  # fmt: skip
def test_a_value_the_service_could_not_use_is_refused_where_it_is_written(
    guidelines: Path, edit: tuple[str, str], field: str, words: str
) -> None:
    broken = GUIDELINE.replace(*edit)
    assert broken != GUIDELINE
    code, errors = _check(guidelines, broken)
    assert code == 1
    [error] = [e for e in errors if f": {field}: " in e]
    assert error.startswith(f"{guidelines}/testshop.yaml:") and words in error


def test_a_key_written_twice_names_both_lines(guidelines: Path) -> None:
    # PyYAML would keep the second name and silently drop the first
    broken = GUIDELINE.replace("brand: Testshop", "brand: Testshop\nname: Another name")
    code, [error] = _check(guidelines, broken)
    assert code == 1
    first, second = _line_of(broken, "name: Testshop community"), _line_of(broken, "Another name")
    assert error == (
        f"{guidelines}/testshop.yaml:{second}: name: 'name' is written twice, "
        f"on line {first} and line {second}: keep one"
    )


@pytest.mark.parametrize(
    "written", ['"Team\\0{{ brand }}"', '"Team\\x07{{ brand }}"', '"Team\x00{{ brand }}"']
)
def test_a_nul_or_control_character_in_a_text_is_refused(guidelines: Path, written: str) -> None:
    broken = GUIDELINE.replace('signature: "Team {{ brand }}"', f"signature: {written}", 1)
    code, [error] = _check(guidelines, broken)
    assert code == 1
    assert error.startswith(f"{guidelines}/testshop.yaml:{_line_of(broken, 'Team')}: ")
    assert "control character U+00" in error


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (
            ("question: Hoe lang duurt", 'question: "Hoe\\0 lang duurt'),
            "[0].question",
            "control character U+0000",
        ),
        (("  language: nl", "  language: nl\n  language: en"), "[0].language", "written twice"),
        (("id: levertijd", "id: " + "l" * 121), "[0].id", "at most 120 characters"),
        (("tags: [shipping]", 'tags: [""]'), "[0].tags[0]", "is empty"),
    ],
)
def test_faq_files_get_the_same_checks(
    guidelines: Path, edit: tuple[str, str], field: str, words: str
) -> None:
    broken = FAQ.replace(*edit, 1)
    if edit[1].startswith('question: "'):
        broken = broken.replace("bezorging?", 'bezorging?"', 1)
    assert broken != FAQ
    code, errors = _check(guidelines.parent / "faq", broken, "faq.yaml")
    assert code == 1
    [error] = [e for e in errors if f": {field}: " in e]
    assert error.startswith(
        f"{guidelines.parent}/faq/faq.yaml:{_line_of(broken, edit[1].split(chr(10))[-1])}:"
    )
    assert words in error


def test_the_editor_refuses_a_misspelt_time_zone_and_keeps_the_file(
    client: TestClient, services: Services
) -> None:
    add_user(services, "cm", role="community_manager")
    csrf = sign_in(client, "cm")
    path = services.registry.guidelines_dir / "testshop.yaml"
    original = path.read_text()
    broken = original.replace("default_language: nl", "default_language: nl\ntimezone: Europe/Amsterdan")
    response = client.post(
        "/guidelines/file", data={"name": "guidelines/testshop.yaml", "text": broken, "csrf_token": csrf}
    )
    assert response.status_code == 422
    shown = [html.unescape(e) for e in re.findall(r"<li><code>(.*?)</code></li>", response.text)]
    assert [e.split(": ", 1)[1] for e in shown] == [
        "timezone: 'Europe/Amsterdan' is not a known time zone: did you mean Europe/Amsterdam?"
    ]
    assert path.read_text() == original
    assert services.registry.snapshot.communities["testshop"].guideline.timezone == "Europe/Amsterdam"


def test_a_reload_keeps_the_last_good_content_when_a_value_is_unusable(tmp_path: Path) -> None:
    guidelines, faq = write_content(tmp_path)
    registry = ContentRegistry(guidelines, faq)
    (guidelines / "testshop.yaml").write_text(
        GUIDELINE.replace(
            "faq:\n", "limits:\n  max_brand_replies_per_thread: 1000000000000000000000000000000\nfaq:\n"
        )
    )
    assert registry.reload_if_changed() is False
    assert registry.snapshot.communities["testshop"].guideline.limits.max_brand_replies_per_thread == 3
    assert [e.field for e in registry.errors] == ["limits.max_brand_replies_per_thread"]
