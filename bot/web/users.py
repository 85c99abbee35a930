"""User administration for admins: who can sign in, with which role; add, disable, sign out people."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from bot import accounts, store, teams
from bot.models import User
from bot.schemas import RowId
from bot.web import openapi
from bot.web.deps import (
    AdminDep,
    CsrfUserDep,
    NowDep,
    ServicesDep,
    SessionDep,
    SignedIn,
    require_role,
    templates,
)

router = APIRouter(responses=openapi.PAGE)
TeamsField = Annotated[list[str] | None, Form(max_length=64)]


def _known_teams(services: ServicesDep) -> list[str]:
    return teams.known_teams(c.guideline for c in services.registry.snapshot.communities.values())


def _back(**query: str) -> Response:
    return RedirectResponse(f"/users?{urlencode(query)}", status_code=status.HTTP_303_SEE_OTHER)


def _user(session: SessionDep, user_id: RowId) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such user")
    return user


def audit_user(
    session: SessionDep, who: SignedIn, action: str, user: User, *, now: datetime, **change: dict[str, object]
) -> None:
    """Record in the audit log what someone did to an account (their own or another's)."""
    store.audit(
        session, actor=who.actor, action=action, object_type="user", object_id=str(user.id), now=now,
        **change,
    )  # fmt: skip
    session.commit()


@router.get("/users", response_class=HTMLResponse, responses=openapi.refusals(403, page=True))
def users_page(
    request: Request,
    who: AdminDep,
    session: SessionDep,
    services: ServicesDep,
    now: NowDep,
    notice: str = "",
    error: str = "",
) -> Response:
    """Everyone who can sign in."""
    users = session.exec(select(User).order_by(User.username)).all()
    sessions = accounts.open_session_counts(session, now=now)
    context = {
        "who": who, "users": users, "sessions": sessions, "roles": accounts.ROLES, "notice": notice,
        "error": error, "teams": _known_teams(services), "teams_of": teams.all_teams_by_user(session),
    }  # fmt: skip
    return templates.TemplateResponse(request, "users.html", context)


@router.post("/users", responses=openapi.FORM)
def add_user(
    who: CsrfUserDep,
    session: SessionDep,
    services: ServicesDep,
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[str, Form()],
    now: NowDep,
    # empty is allowed here so that accounts.check_username, the one rule for names, refuses it
    username: Annotated[str, Form(max_length=1000)] = "",
    team: TeamsField = None,
) -> Response:
    """Create a user (the same rules as `webcare users add`)."""
    require_role(who, "admin")
    try:
        chosen = teams.check_teams(team or [], _known_teams(services))
        user = accounts.add_user(session, username=username, password=password, role=role, now=now)
    except accounts.AccountError as exc:
        return _back(error=f"Not added: {exc}.")
    assert user.id is not None
    teams.set_teams(session, user.id, chosen)
    store.audit(
        session, actor=who.actor, action="user.add", object_type="user", object_id=str(user.id), now=now,
        after={"username": username, "role": role, "teams": chosen},
    )  # fmt: skip
    session.commit()
    in_teams = f" in {', '.join(chosen)}" if chosen else ""
    return _back(notice=f"User {username} added as {role}{in_teams}.")


@router.post("/users/{user_id}/teams", responses=openapi.FORM)
def change_teams(
    user_id: RowId,
    who: CsrfUserDep,
    session: SessionDep,
    services: ServicesDep,
    now: NowDep,
    team: TeamsField = None,
) -> Response:
    """Set the teams a person belongs to (their queue shows these teams first)."""
    require_role(who, "admin")
    user = _user(session, user_id)
    assert user.id is not None
    try:
        chosen = teams.check_teams(team or [], _known_teams(services))
    except accounts.AccountError as exc:
        return _back(error=f"Teams not changed: {exc}.")
    before = teams.teams_of(session, user.id)
    teams.set_teams(session, user.id, chosen)
    audit_user(session, who, "user.teams", user, now=now, before={"teams": before}, after={"teams": chosen})
    return _back(notice=f"{user.username} is in {', '.join(chosen) if chosen else 'no team'}.")


@router.post("/users/{user_id}/disable", responses=openapi.FORM)
def disable_user(user_id: RowId, who: CsrfUserDep, session: SessionDep, now: NowDep) -> Response:
    """Stop a user from signing in and end their sessions."""
    require_role(who, "admin")
    user = _user(session, user_id)
    if user.id == who.user.id:
        return _back(error="Not disabled: you cannot disable yourself.")
    try:
        accounts.disable_user(session, user=user, now=now)
    except accounts.AccountError as exc:
        return _back(error=f"Not disabled: {exc}.")
    audit_user(session, who, "user.disable", user, now=now)
    return _back(notice=f"User {user.username} disabled and signed out.")


@router.post("/users/{user_id}/enable", responses=openapi.FORM)
def enable_user(user_id: RowId, who: CsrfUserDep, session: SessionDep, now: NowDep) -> Response:
    """Let a disabled user sign in again (with their old password)."""
    require_role(who, "admin")
    user = _user(session, user_id)
    accounts.enable_user(session, user=user)
    audit_user(session, who, "user.enable", user, now=now)
    return _back(notice=f"User {user.username} can sign in again.")


@router.post("/users/{user_id}/role", responses=openapi.FORM)
def change_role(
    user_id: RowId,
    who: CsrfUserDep,
    session: SessionDep,
    role: Annotated[str, Form(max_length=32)],
    now: NowDep,
) -> Response:
    """Give a user another role; their sessions end so the new rights apply at once."""
    require_role(who, "admin")
    user = _user(session, user_id)
    before = user.role
    if role == before:
        return _back(notice=f"{user.username} already has the role {role}.")
    try:
        accounts.set_role(session, user=user, role=role, now=now)
    except accounts.AccountError as exc:
        return _back(error=f"Role not changed: {exc}.")
    audit_user(session, who, "user.role", user, now=now, before={"role": before}, after={"role": role})
    if user.id == who.user.id:  # the change signed the admin out as well
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    return _back(notice=f"{user.username} is now {role} and was signed out, so the new rights apply at once.")


@router.post("/users/{user_id}/sign-out", responses=openapi.FORM)
def sign_out_user(user_id: RowId, who: CsrfUserDep, session: SessionDep, now: NowDep) -> Response:
    """End all of a user's sessions (an admin's own: all but this one), e.g. for a lost laptop."""
    require_role(who, "admin")
    user = _user(session, user_id)
    keep = who.session.id if user.id == who.user.id else None
    ended = accounts.revoke_sessions(session, user=user, now=now, keep=keep)
    audit_user(session, who, "user.sign_out_everywhere", user, now=now, after={"sessions_ended": ended})
    return _back(notice=f"{user.username} signed out: {ended} session{'' if ended == 1 else 's'} ended.")
