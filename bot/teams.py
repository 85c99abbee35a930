"""Teams: the ones the guidelines route escalations to, and who belongs to which."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.accounts import AccountError
from bot.models import UserTeam
from responders.domain import Guideline

# the team every mention goes to unless an escalation rule names another
DEFAULT_TEAM = "webcare"


def known_teams(guidelines: Iterable[Guideline]) -> list[str]:
    """Every team an escalation rule of these guidelines names, and webcare, sorted."""
    return sorted({DEFAULT_TEAM} | {rule.team for g in guidelines for rule in g.escalation})


def check_teams(teams: Iterable[str], known: list[str]) -> list[str]:
    """The teams, cleaned and without repeats; an unknown one is refused with the known ones listed."""
    cleaned = sorted({t.strip().lower() for t in teams if t.strip()})
    unknown = [t for t in cleaned if t not in known]
    if unknown:
        raise AccountError(f"unknown team {', '.join(map(repr, unknown))}; known teams: {', '.join(known)}")
    return cleaned


def teams_of(session: Session, user_id: int) -> list[str]:
    """The teams one person belongs to, sorted."""
    rows = session.exec(select(UserTeam.team).where(UserTeam.user_id == user_id).order_by(col(UserTeam.team)))
    return list(rows.all())


def all_teams_by_user(session: Session) -> dict[int, list[str]]:
    """Every person's teams, for the users page."""
    found: dict[int, list[str]] = {}
    for row in session.exec(select(UserTeam).order_by(col(UserTeam.team))).all():
        found.setdefault(row.user_id, []).append(row.team)
    return found


def set_teams(session: Session, user_id: int, teams: list[str]) -> None:
    """Make these (checked) teams the person's teams; commits."""
    session.execute(delete(UserTeam).where(col(UserTeam.user_id) == user_id))
    session.add_all(UserTeam(user_id=user_id, team=t) for t in teams)
    session.commit()
