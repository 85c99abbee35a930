"""`webcare drafts eval` as a team lead runs it: some cases of the set, a broken file, what it checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.drafts_cases import Case
from bot.drafts_checks import Outcome, check
from bot.settings import get_settings
from responders.content import load_content
from responders.domain import Guideline

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "eval" / "drafts.jsonl"
runner = CliRunner()


@pytest.fixture
def demo_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo guidelines and FAQ, which the case set is written for."""
    monkeypatch.setenv("WEBCARE_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(ROOT / "guidelines"))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(ROOT / "faq"))
    monkeypatch.setenv("WEBCARE_FAQ_ENCODER", "")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _some_cases(tmp_path: Path, *ids: str) -> Path:
    lines = [line for line in CASES.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] in ids]
    assert len(lines) == len(ids)
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_case_set_has_at_least_120_cases_in_both_languages() -> None:
    cases = [Case.model_validate_json(line) for line in CASES.read_text(encoding="utf-8").splitlines()]
    assert len(cases) >= 120
    assert {case.expect.language for case in cases} >= {"nl", "en"}
    assert {case.expect.action for case in cases} == {"reply", "acknowledge", "no_reply"}


def test_a_few_cases_run_through_intake_and_report_a_share(demo_content: None, tmp_path: Path) -> None:
    # a question, a DM thread with an earlier brand reply, customers among themselves, a legal threat
    ids = ("nl-q-verjaardag", "nl-x-nog-nieuws-dm", "nl-n-rose-winter", "en-e-small-claims")
    cases = _some_cases(tmp_path, *ids)
    result = runner.invoke(app, ["drafts", "eval", "--cases", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["cases"] == 4
    assert report["passed"] == 4 - len(report["failures"])
    assert report["share"] == round(report["passed"] / 4, 4)
    assert {failure["id"] for failure in report["failures"]} <= set(ids)

    text = runner.invoke(app, ["drafts", "eval", "--cases", str(cases)])
    assert text.exit_code == 0
    assert f"{report['passed']} of 4 cases pass" in text.output


def _write(tmp_path: Path, *cases: dict[str, Any] | str) -> Path:
    path = tmp_path / "cases.jsonl"
    lines = [case if isinstance(case, str) else json.dumps(case) for case in cases]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _case(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": "c1",
        "platform": "telegram",
        "channel": "@dekelder_community",
        "author": {"name": "Noor", "handle": "noor_v"},
        "text": "Wat kost verzenden?",
        "expect": {"action": "reply", "faq": "verzendkosten-nl"},
    }
    return case | changes


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([_case(), "{not json"], "line 2: not JSON"),
        ([_case(), _case()], "line 2: case id 'c1' is on line 1 too"),
        ([_case(expect={"action": "reply", "emapthy": True})], "line 1: expect.emapthy"),
        ([_case(expect={"action": "reply", "faq": "verzendkosten"})], "line 1: expect.faq: verzendkosten"),
        ([_case(channel="@elsewhere")], "line 1: no community listens to telegram channel '@elsewhere'"),
        ([_case(community="dekelder-en")], "line 1: telegram channel '@dekelder_community' belongs to"),
    ],
)
def test_a_bad_case_file_is_refused_with_its_line(
    demo_content: None, tmp_path: Path, lines: list[dict[str, Any] | str], message: str
) -> None:
    result = runner.invoke(app, ["drafts", "eval", "--cases", str(_write(tmp_path, *lines))])
    assert result.exit_code == 2
    assert message in result.output


def test_min_share_fails_the_run_below_it(demo_content: None, tmp_path: Path) -> None:
    # a brand message that answers nothing can never pass
    thread = [{"from": "brand", "text": "Hoi!"}]
    cases = _write(tmp_path, _case(thread=thread))
    result = runner.invoke(app, ["drafts", "eval", "--cases", str(cases), "--min-share", "0.5"])
    assert result.exit_code == 1
    assert "thread: expected thread[0] answers a draft" in result.output
    assert "0 of 1 cases pass (0.0%)" in result.output


@pytest.fixture(scope="module")
def dekelder() -> Guideline:
    return load_content(ROOT / "guidelines", ROOT / "faq").guidelines["dekelder-nl"]


def _checks(guideline: Guideline, draft: str, **changes: Any) -> set[str]:
    case = Case.model_validate(_case(expect={"action": "reply", "empathy": False}) | changes)
    outcome = Outcome("reply", draft, "verzendkosten-nl", "webcare", "nl")
    return {problem.check for problem in check(case, outcome, guideline)}


def _reply(greeting: str, extra: str = "") -> str:
    return f"{greeting}\n\nVanaf €75 bezorgen we gratis.{extra}\n\nGroet,\nTeam Wijnhuis De Kelder"


def test_a_handle_or_address_in_the_greeting_fails(dekelder: Guideline) -> None:
    handle = {"author": {"name": "zaterdagzuiper", "handle": "zaterdagzuiper"}}
    assert _checks(dekelder, _reply("Hoi zaterdagzuiper,"), **handle) == {"no_handle_as_name"}
    assert not _checks(dekelder, _reply("Hoi,"), **handle)
    email = {"author": {"name": "joris@example.nl", "handle": ""}}
    assert _checks(dekelder, _reply("Hey joris@example.nl,"), **email) == {"no_handle_as_name"}
    person = {"author": {"name": "Sanne de Vries", "handle": "sanne"}}
    assert not _checks(dekelder, _reply("Hoi Sanne,"), **person)


def test_apologies_and_requests_for_what_the_customer_gave_fail(dekelder: Guideline) -> None:
    assert _checks(dekelder, _reply("Hoi Noor,", " Sorry dat dit zo gelopen is.")) == {"empathy"}
    ask = _reply("Hoi Noor,", " Stuur ons je ordernummer in een privébericht.")
    assert _checks(dekelder, ask) == set()
    assert _checks(dekelder, ask, text="Bestelling 100482 is er niet") == {"no_order_number_request"}
    assert _checks(dekelder, ask, channel="direct", private=True) == {"no_private_message_request"}
    named = _reply("Hoi Noor,", " We zoeken bestelling 100482 voor je uit.")
    assert _checks(dekelder, named, text="Bestelling 100482 is er niet") == set()
