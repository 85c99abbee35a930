"""The `webcare` command as an operator uses it: demo, ingest, users, guidelines check."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from bot.cli import app, main
from bot.db import make_engine
from bot.logs import JsonFormatter
from bot.models import ApiToken, CustomerOrder, Draft, Mention, User
from bot.settings import get_settings
from tests.factories import jsonl, mention_json

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _count(url: str, model: type) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = int(session.exec(select(func.count()).select_from(model)).one())
    engine.dispose()
    return count


def test_ingest_reports_accepted_duplicate_and_rejected_lines_with_reasons(env: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    bad = mention_json("m-3")
    del bad["external_id"]
    file = tmp_path / "mentions.jsonl"
    file.write_text(
        jsonl(mention_json("m-1"), mention_json("m-2", author_id="u-2"), mention_json("m-1"), bad)
        + "{not json\n"
        + jsonl(mention_json("m-4", channel="unknown")),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["ingest", str(file)])
    assert result.exit_code == 1, result.output
    assert "taken in: 2  duplicates: 1  set aside: 3" in result.output
    assert "line 4: external_id: Field required" in result.output
    assert "line 5: not valid JSON" in result.output
    assert "line 6: no community listens to console channel 'unknown'" in result.output
    assert _count(env, Mention) == 2 and _count(env, Draft) == 2

    again = runner.invoke(app, ["ingest", str(file)])
    assert "taken in: 0  duplicates: 3" in again.output
    assert _count(env, Mention) == 2


def test_ingest_keeps_a_line_separator_inside_a_text_and_rejects_only_the_line_not_in_utf8(
    env: str, tmp_path: Path
) -> None:
    runner.invoke(app, ["migrate"])
    file = tmp_path / "export.jsonl"
    # JSON may carry U+2028 (pasted from a phone) unescaped; a Latin-1 line comes from an old export
    text = "Waar blijft mijn pakket?\u2028Besteld op maandag."
    pasted = json.dumps(mention_json("m-1", text), ensure_ascii=False)
    latin = json.dumps(mention_json("m-2", "Mijn caf\u00e9 bestelling"), ensure_ascii=False)
    file.write_bytes(
        pasted.encode() + b"\n" + latin.encode("latin-1") + b"\n" + jsonl(mention_json("m-3")).encode()
    )
    result = runner.invoke(app, ["ingest", str(file)])
    assert "taken in: 2  duplicates: 0  set aside: 1" in result.output
    assert "line 2: not UTF-8 (byte 0xe9" in result.output
    engine = make_engine(env)
    with Session(engine) as session:
        texts = {m.external_id: m.text for m in session.exec(select(Mention)).all()}
    engine.dispose()
    assert texts["m-1"] == text


def test_demo_sets_everything_up_once_and_a_second_run_duplicates_nothing(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(ROOT / "guidelines"))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(ROOT / "faq"))
    get_settings.cache_clear()
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "password:" in first.output and "API token created" in first.output
    mentions = _count(env, Mention)
    assert mentions >= 30
    assert _count(env, Draft) == mentions

    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "password:" not in second.output and "API token" not in second.output
    assert f"0 new, {mentions} already there" in second.output
    assert (_count(env, Mention), _count(env, User), _count(env, ApiToken)) == (mentions, 1, 1)
    # the demo's orders, with their follow-ups planned, are recorded once too
    assert "Demo orders: 3 new" in first.output and "Demo orders: 0 new" in second.output
    assert _count(env, CustomerOrder) == 3


def test_demo_creates_no_token_when_one_is_configured(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBCARE_API_TOKEN", "from-the-environment")
    monkeypatch.setenv("WEBCARE_GUIDELINES_DIR", str(ROOT / "guidelines"))
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(ROOT / "faq"))
    get_settings.cache_clear()
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "API token" not in result.output
    assert _count(env, ApiToken) == 0


def test_users_add_refuses_unknown_roles_and_short_passwords(env: str) -> None:
    runner.invoke(app, ["migrate"])
    assert (
        runner.invoke(
            app, ["users", "add", "sam", "--role", "boss", "--password", "long enough pw"]
        ).exit_code
        == 2
    )
    assert (
        runner.invoke(app, ["users", "add", "sam", "--role", "senior", "--password", "short"]).exit_code == 2
    )
    ok = runner.invoke(app, ["users", "add", "sam", "--role", "senior", "--password", "long enough pw"])
    assert ok.exit_code == 0
    assert "sam\tsenior\tactive" in runner.invoke(app, ["users", "list"]).output


def test_guidelines_check_lists_errors_and_exits_1(env: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["guidelines", "check"]).exit_code == 0
    file = tmp_path / "content" / "guidelines" / "testshop.yaml"
    file.write_text(file.read_text().replace("normal: 24h", "normal: een dag"))
    result = runner.invoke(app, ["guidelines", "check"])
    assert result.exit_code == 1
    assert "testshop.yaml:" in result.output and "response_targets.normal" in result.output


def test_json_logs_are_one_object_per_line_with_extra_fields() -> None:
    record = logging.LogRecord("bot.pipeline", logging.INFO, __file__, 1, "reply delivered", None, None)
    record.draft_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "reply delivered" and line["level"] == "info" and line["draft_id"] == 7


def test_users_passwd_changes_the_password_and_disable_blocks_the_user(env: str) -> None:
    from bot import accounts

    runner.invoke(app, ["migrate"])
    runner.invoke(app, ["users", "add", "kim", "--password", "first password"])
    assert runner.invoke(app, ["users", "passwd", "kim", "--password", "second password"]).exit_code == 0
    assert runner.invoke(app, ["users", "passwd", "nobody", "--password", "second password"]).exit_code == 2
    engine = make_engine(env)
    with Session(engine) as session:
        assert accounts.authenticate(session, username="kim", password="first password") is None
        assert accounts.authenticate(session, username="kim", password="second password") is not None
    assert runner.invoke(app, ["users", "disable", "kim"]).exit_code == 0
    with Session(engine) as session:
        assert accounts.authenticate(session, username="kim", password="second password") is None
    engine.dispose()


def test_guidelines_check_and_test_refuse_a_path_that_does_not_exist(env: str, tmp_path: Path) -> None:
    for command in ("check", "test"):
        result = runner.invoke(app, ["guidelines", command, str(tmp_path / "guidlines")])
        assert result.exit_code == 1, command
        assert f"{tmp_path}/guidlines: no such file or folder" in result.output


@pytest.mark.parametrize("command", ["serve", "worker", "demo"])
def test_the_service_does_not_start_on_a_missing_content_folder(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("WEBCARE_FAQ_DIR", str(tmp_path / "faqs"))  # a typo in the deployment's settings
    get_settings.cache_clear()
    result = runner.invoke(app, [command])
    assert result.exit_code == 1
    assert f"{tmp_path}/faqs: no such file or folder" in result.output


def test_invalid_settings_name_the_variable_and_never_its_value(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBCARE_PORT", "0")
    monkeypatch.setenv("WEBCARE_WEBHOOK_SECRETS", '{"shop": "hunter2-secret"')  # the closing brace lost
    get_settings.cache_clear()
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "WEBCARE_WEBHOOK_SECRETS: not valid JSON" in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output
    monkeypatch.setenv("WEBCARE_WEBHOOK_SECRETS", "{}")
    monkeypatch.setenv("WEBCARE_API_TOKEN", "1234")
    get_settings.cache_clear()
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "error: WEBCARE_PORT: Input should be greater than or equal to 1" in result.output
    assert "error: WEBCARE_API_TOKEN: use at least 16 characters" in result.output
    assert "1234" not in result.output


def test_a_database_that_cannot_be_reached_is_one_line_without_the_password(
    env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # port 1 on this machine: refused at once
    monkeypatch.setenv("WEBCARE_DATABASE_URL", "postgresql+psycopg://webcare:pw-secret@127.0.0.1:1/webcare")
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as exited:
        main(["migrate"])
    assert exited.value.code == 1
    message = capsys.readouterr().err
    safe_url = "postgresql+psycopg://webcare:***@127.0.0.1:1/webcare"
    assert f"error: the database at {safe_url} cannot be used" in message
    assert "pw-secret" not in message and "Traceback" not in message


def test_serve_and_worker_refuse_a_database_without_the_current_schema(env: str) -> None:
    from alembic import command
    from bot import migrations

    for command_name in ("serve", "worker"):
        result = runner.invoke(app, [command_name])
        assert result.exit_code == 1
        assert "the database has no webcare schema yet: run `webcare migrate`" in result.output
    command.upgrade(migrations.alembic_config(env), "0004")  # code upgraded, `migrate` forgotten
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 1
    assert "the database schema is older than this webcare: run `webcare migrate`" in result.output
    runner.invoke(app, ["migrate"])
    assert migrations.schema_problem(env) is None
    engine = make_engine(env)
    with engine.begin() as connection:  # a newer webcare migrated it, then the code was rolled back
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    engine.dispose()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "the database has a newer schema (0099) than this webcare knows" in result.output


def test_a_command_on_a_database_without_schema_says_to_migrate(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["users", "list"])
    assert exited.value.code == 1
    assert "no such table: user_account; run `webcare migrate`" in capsys.readouterr().err
