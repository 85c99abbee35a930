"""Accounts at the database level: two admins cannot demote each other into having no admin."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot import accounts
from bot.models import User

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as session:
        for name in ("ada", "bob"):
            accounts.add_user(session, username=name, password="long enough pass", role="admin", now=NOW)
    check = accounts._keep_an_admin

    def slow_check(session: Session, *, user: User) -> None:
        session.flush()
        time.sleep(0.5)  # both changes are pending at the same time
        check(session, user=user)

    monkeypatch.setattr(accounts, "_keep_an_admin", slow_check)
    outcomes: dict[str, str] = {}

    def demote(name: str) -> None:
        with Session(engine, expire_on_commit=False) as session:
            user = session.exec(select(User).where(User.username == name)).one()
            try:
                accounts.set_role(session, user=user, role="agent", now=NOW)
                outcomes[name] = "demoted"
            except accounts.AccountError as exc:
                outcomes[name] = str(exc)

    threads = [threading.Thread(target=demote, args=(name,)) for name in ("ada", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [refused] = [outcome for outcome in outcomes.values() if outcome != "demoted"]
    assert len(outcomes) == 2 and "is the last admin" in refused
    with Session(engine) as session:
        roles = sorted(user.role for user in session.exec(select(User)))
    assert roles == ["admin", "agent"]
