"""`webcare users add --team` and `webcare users teams`: the teams a person belongs to."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()
PW = ["--password", "long enough pw"]


def test_a_person_is_added_in_teams_and_an_unknown_team_is_refused_with_the_known_ones(env: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    refused = runner.invoke(app, ["users", "add", "kim", "--role", "agent", "--team", "kwaliteit", *PW])
    assert refused.exit_code == 2
    assert "unknown team 'kwaliteit'; known teams: legal, webcare" in refused.output
    assert "kim" not in runner.invoke(app, ["users", "list"]).output  # not added without their teams

    added = runner.invoke(app, ["users", "add", "kim", "--team", "Legal", "--team", "webcare", *PW])
    assert added.exit_code == 0, added.output
    assert "added with role agent, teams legal, webcare" in added.output
    assert "kim\tagent\tactive\tlegal,webcare" in runner.invoke(app, ["users", "list"]).output

    assert runner.invoke(app, ["users", "teams", "kim", "--team", "legal"]).exit_code == 0
    assert "kim\tagent\tactive\tlegal\n" in runner.invoke(app, ["users", "list"]).output
    assert runner.invoke(app, ["users", "teams", "kim", "--team", "pr"]).exit_code == 2
    assert runner.invoke(app, ["users", "teams", "nobody", "--team", "legal"]).exit_code == 2
    assert "kim\tagent\tactive\tlegal\n" in runner.invoke(app, ["users", "list"]).output
