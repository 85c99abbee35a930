"""Migration 0011: the teams a person belongs to go back and forth with the schema, on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from alembic import command
from bot import accounts, migrations, teams
from bot.clock import Clock
from bot.db import make_engine


def test_user_team_comes_with_0011_and_goes_with_its_downgrade(db_url: str, clock: Clock) -> None:
    engine = make_engine(db_url)
    with Session(engine) as session:
        user = accounts.add_user(
            session, username="kim", password="long enough pw", role="agent", now=clock.now()
        )
        assert user.id is not None
        teams.set_teams(session, user.id, ["legal", "webcare"])
        assert teams.teams_of(session, user.id) == ["legal", "webcare"]
        with pytest.raises(sa.exc.IntegrityError):  # a team of nobody is refused
            teams.set_teams(session, 999_999, ["legal"])
    engine.dispose()
    if not db_url.startswith("sqlite"):
        return  # the PostgreSQL test database is shared by concurrent runs: no dropping tables there
    config = migrations.alembic_config(db_url)
    command.downgrade(config, "0010")
    engine = make_engine(db_url)
    assert "user_team" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    migrations.upgrade(db_url)
    migrations.check(db_url)
