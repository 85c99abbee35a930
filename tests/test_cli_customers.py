"""`webcare customers erase` by what staff know: the platform and the customer's handle."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import make_engine
from bot.models import Customer, Draft, Mention
from tests.factories import jsonl, mention_json

runner = CliRunner()


def _count(url: str, model: type) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = int(session.exec(select(func.count()).select_from(model)).one())
    engine.dispose()
    return count


def _two_customers(tmp_path: Path) -> None:
    file = tmp_path / "mentions.jsonl"
    other = mention_json("m-3", author_id="u-2")
    other["author"] = {"id": "u-2", "handle": "bram", "name": "Bram Visser"}
    file.write_text(jsonl(mention_json("m-1"), mention_json("m-2"), other), encoding="utf-8")
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(file)]).exit_code == 0


def test_erase_by_handle_names_the_person_and_counts_and_removes_only_them(env: str, tmp_path: Path) -> None:
    _two_customers(tmp_path)
    declined = runner.invoke(
        app, ["customers", "erase", "--platform", "console", "--handle", "@Anna_W"], input="n\n"
    )
    assert declined.exit_code == 1
    assert "Anna de Wit (console @anna_w)" in declined.output
    assert "2 mentions, 2 drafts, 2 conversations, 0 orders" in declined.output
    assert _count(env, Customer) == 2

    erased = runner.invoke(
        app, ["customers", "erase", "--platform", "console", "--handle", "anna_w", "--yes"]
    )
    assert erased.exit_code == 0, erased.output
    assert "Anna de Wit (console @anna_w) erased" in erased.output
    assert _count(env, Customer) == 1 and _count(env, Mention) == 1 and _count(env, Draft) == 1


def test_erase_refuses_an_unknown_handle_and_half_a_name_and_keeps_the_number_form(
    env: str, tmp_path: Path
) -> None:
    _two_customers(tmp_path)
    unknown = runner.invoke(
        app, ["customers", "erase", "--platform", "telegram", "--handle", "anna_w", "--yes"]
    )
    assert unknown.exit_code == 2 and "no customer on telegram with handle anna_w" in unknown.output
    assert runner.invoke(app, ["customers", "erase", "--handle", "anna_w", "--yes"]).exit_code == 2
    assert runner.invoke(app, ["customers", "erase", "1", "--handle", "anna_w", "--yes"]).exit_code == 2

    by_number = runner.invoke(app, ["customers", "erase", "1"], input="y\n")
    assert by_number.exit_code == 0, by_number.output
    assert "Erase Anna de Wit (console @anna_w)" in by_number.output
    assert _count(env, Customer) == 1
