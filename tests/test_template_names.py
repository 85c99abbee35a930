"""Reply templates print only the documented values, never Jinja's own objects."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError
from typer.testing import CliRunner

from bot.cli import app
from responders.compose import TEMPLATE_VARIABLES, check_template, render
from tests.factories import FAQ, GUIDELINE

JINJA_OWN = ["lipsum", "cycler", "range", "self", "dict", "joiner", "namespace", "loop", "caller"]


@pytest.mark.parametrize("name", JINJA_OWN)
def test_jinjas_own_names_are_refused_like_any_unknown_variable(name: str) -> None:
    problem = check_template(f"Groet, {{{{ {name} }}}}")
    assert problem is not None and f"'{name}' is undefined" in problem
    assert "allowed: name, brand" in problem


@pytest.mark.parametrize("name", [n for n in JINJA_OWN if n != "self"])
def test_rendering_never_prints_a_jinja_object(name: str) -> None:
    values = dict.fromkeys(TEMPLATE_VARIABLES, "x")
    with pytest.raises(UndefinedError):
        render(f"Hoi {{{{ {name} }}}}", values)


def test_check_names_the_file_line_and_field_of_a_template_using_jinjas_names(
    content: tuple[Path, Path],
) -> None:
    guidelines, faq = content
    (faq / "faq.yaml").write_text(FAQ.replace("binnen 1 tot 2 werkdagen", "binnen {{ range }} werkdagen"))
    broken = GUIDELINE.replace('signoffs: ["Groet,"]', 'signoffs: ["Groet, {{ lipsum }}"]')
    (guidelines / "testshop.yaml").write_text(broken, encoding="utf-8")
    result = CliRunner().invoke(app, ["guidelines", "check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    line = next(i for i, text in enumerate(broken.splitlines(), start=1) if "lipsum" in text)
    signoff = f"testshop.yaml:{line}: tone.nl.signoffs[0]: template uses an unknown variable ('lipsum'"
    assert any(signoff in x for x in lines)
    assert any("[0].answer: template uses an unknown variable ('range' is undefined)" in x for x in lines)


def test_the_documented_variables_still_render() -> None:
    values = dict.fromkeys(TEMPLATE_VARIABLES, "") | {"name": "Anna", "brand": "De Kelder"}
    assert check_template("Hoi {{ name }}{% if private %}!{% endif %} {{ brand|upper }}") is None
    assert render("Hoi {{ name }}, groet van {{ brand }}", values) == "Hoi Anna, groet van De Kelder"
