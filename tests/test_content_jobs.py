"""Reminder and follow-up content is checked when it loads: templates, categories, opt-out lines, timing."""

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


def _changed(old: str, new: str) -> str:
    assert old in POLICIES, old
    return GUIDELINE + POLICIES.replace(old, new)


def test_the_reminder_and_follow_up_texts_of_the_test_content_load(tmp_path: Path) -> None:
    guidelines, faq_dir = write_content(tmp_path, GUIDELINE + POLICIES, FAQ)
    thanks, tips, _ = load_content(guidelines, faq_dir).guidelines["testshop"].follow_ups.steps
    assert thanks.template["en"] == "Thanks for your order!"
    assert list(tips.by_category) == ["sparkling", "red"] and tips.template == {}


def test_a_follow_up_template_with_an_unknown_variable_names_step_field_and_line(tmp_path: Path) -> None:
    broken = _changed('en: "Thanks for your order!"', 'en: "Thanks {{ klant }}!"')
    [error] = _errors(tmp_path, broken)
    line = _line_of(broken, "{{ klant }}")
    assert error.startswith(f"{tmp_path}/guidelines/testshop.yaml:{line}: follow_ups.steps[0].template.en:")
    assert "klant" in error and "allowed: name, brand" in error


def test_a_reminder_template_with_a_syntax_error_is_refused(tmp_path: Path) -> None:
    broken = _changed('nl: "Kunnen we je nog ergens mee helpen?"', 'nl: "{{ name }"')
    [error] = _errors(tmp_path, broken)
    line = _line_of(broken, '{{ name }"')
    assert f"testshop.yaml:{line}: reminders.template.nl: template error" in error


def test_a_follow_up_in_the_wrong_form_of_address_is_refused(tmp_path: Path) -> None:
    # the test tone for nl is informal: "uw" belongs to a formal one, in a tip as anywhere
    broken = _changed("Hoe beviel je bestelling?", "Hoe beviel uw bestelling?")
    assert any("follow_ups.steps[2].template.nl: says 'uw'" in e for e in _errors(tmp_path, broken))
    tip = _changed("laat de rode wijn", "laat uw rode wijn")
    [error] = _errors(tmp_path, tip)
    line = _line_of(tip, "laat uw rode wijn")
    assert f"testshop.yaml:{line}: follow_ups.steps[1].by_category.red.nl: says 'uw'" in error


def test_a_category_must_be_written_as_the_shop_sends_it_normalised(tmp_path: Path) -> None:
    broken = _changed("        sparkling:\n", "        Mousserend wijn:\n")
    [error] = _errors(tmp_path, broken)
    line = _line_of(broken, "by_category:")
    assert (
        f"testshop.yaml:{line}: follow_ups.steps[1].by_category: 'Mousserend wijn' is not a category" in error
    )


def test_a_step_without_any_text_is_refused(tmp_path: Path) -> None:
    broken = _changed('      template: {nl: "Hoe beviel je bestelling?"}\n', "")
    [error] = _errors(tmp_path, broken)
    assert "follow_ups.steps[2]: a step needs a template, a by_category, or both" in error


def test_steps_closer_together_than_min_gap_are_refused(tmp_path: Path) -> None:
    broken = _changed("delay: 3d", "delay: 12h")
    [error] = _errors(tmp_path, broken)
    line = _line_of(broken, "delay: 12h")
    assert f"testshop.yaml:{line}: follow_ups.steps[1].delay: comes within 24 hours of step 'thanks'" in error
    assert "lower follow_ups.min_gap" in error
    relaxed = broken.replace("follow_ups:\n", "follow_ups:\n  min_gap: 6h\n")
    guidelines, faq_dir = write_content(tmp_path / "relaxed", relaxed, FAQ)
    assert load_content(guidelines, faq_dir).guidelines["testshop"].follow_ups.steps[1].name == "tips"


def test_an_opt_out_line_must_name_a_word_that_stops_the_messages(tmp_path: Path) -> None:
    wrong = "Geen berichten meer? Stuur 'afmelden'."
    broken = _changed(
        "  opt_out_words: [stop, geen berichten meer]\n",
        f'  opt_out_words: [stop]\n  opt_out_line: {{nl: "{wrong}"}}\n',
    )
    [error] = _errors(tmp_path, broken)
    line = _line_of(broken, "afmelden")
    assert (
        f"testshop.yaml:{line}: reminders.opt_out_line.nl: this line tells customers to send 'afmelden'"
        in error
    )
    assert "not in opt_out_words (stop)" in error


def test_without_stop_in_the_opt_out_words_the_built_in_line_would_lie(tmp_path: Path) -> None:
    broken = _changed("[stop, geen berichten meer]", "[afmelden]")
    errors = _errors(tmp_path, broken)
    line = _line_of(broken, "[afmelden]")
    assert errors == [
        f"{tmp_path}/guidelines/testshop.yaml:{line}: reminders.opt_out_words: the built-in opt-out line for "
        f"{lang!r} tells customers to send 'stop', which is not in opt_out_words (afmelden), or write "
        f"reminders.opt_out_line.{lang}"
        for lang in ("nl", "en")
    ]


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
    file.write_text(file.read_text().replace("Tip: laat de rode wijn", "Tip: {{ product }} laat de wijn"))
    result = runner.invoke(app, ["guidelines", "check"])
    assert result.exit_code == 1
    assert "testshop.yaml:" in result.output and "follow_ups.steps[1].by_category.red.nl" in result.output
    assert "product" in result.output
