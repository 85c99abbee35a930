"""Reminder and follow-up templates are checked when content loads, like the tone templates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from responders.content import ContentInvalid, load_content
from tests.factories import FAQ, GUIDELINE, write_content
from tests.jobs_support import POLICIES

runner = CliRunner()


def _errors(tmp_path: Path, guideline: str) -> list[str]:
    guidelines, faq_dir = write_content(tmp_path, guideline, FAQ)
    with pytest.raises(ContentInvalid) as caught:
        load_content(guidelines, faq_dir)
    return [str(e) for e in caught.value.errors]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_reminder_and_follow_up_templates_of_the_test_content_load(tmp_path: Path) -> None:
    guidelines, faq_dir = write_content(tmp_path, GUIDELINE + POLICIES, FAQ)
    step = load_content(guidelines, faq_dir).guidelines["testshop"].follow_ups.steps[0]
    assert step.template["en"] == "Hi {{ name }}, thanks for your order!"


def test_a_follow_up_template_with_an_unknown_variable_names_step_field_and_line(tmp_path: Path) -> None:
    broken = GUIDELINE + POLICIES.replace('en: "Hi {{ name }}, thanks', 'en: "Hi {{ klant }}, thanks')
    [error] = _errors(tmp_path, broken)
    line = _line_of(broken, "{{ klant }}")
    assert error.startswith(f"{tmp_path}/guidelines/testshop.yaml:{line}: follow_ups.steps[0].template.en:")
    assert "klant" in error and "allowed: name, brand, target, signature" in error


def test_a_reminder_template_with_a_syntax_error_is_refused(tmp_path: Path) -> None:
    broken = GUIDELINE + POLICIES.replace("kunnen we je nog ergens mee helpen? {{ signature }}", "{{ name }")
    [error] = _errors(tmp_path, broken)
    line = _line_of(broken, '{{ name }"')
    assert f"testshop.yaml:{line}: reminders.template.nl: template error" in error


def test_a_follow_up_in_the_wrong_form_of_address_is_refused(tmp_path: Path) -> None:
    # the test tone for nl is informal: "uw" belongs to a formal one
    broken = GUIDELINE + POLICIES.replace("hoe beviel je bestelling?", "hoe beviel uw bestelling?")
    [error] = _errors(tmp_path, broken)
    assert "follow_ups.steps[2].template.nl: says 'uw'" in error


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The jobs test content on disk, used by the `webcare` command through WEBCARE_ variables."""
    guidelines, faq = write_content(tmp_path, GUIDELINE + POLICIES, FAQ)
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(guidelines))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(faq))
    get_settings.cache_clear()
    yield guidelines
    get_settings.cache_clear()


def test_guidelines_check_exits_1_on_a_broken_follow_up(content: Path) -> None:
    assert runner.invoke(app, ["guidelines", "check"]).exit_code == 0
    file = content / "testshop.yaml"
    file.write_text(file.read_text().replace("tip: laat de rode wijn", "tip: {{ product }} laat de wijn"))
    result = runner.invoke(app, ["guidelines", "check"])
    assert result.exit_code == 1
    assert "testshop.yaml:" in result.output and "follow_ups.steps[1].template.nl" in result.output
    assert "product" in result.output
