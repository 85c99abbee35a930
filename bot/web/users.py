"""User administration for admins: who can sign in, with which role; add and disable people."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from bot import accounts, store
from bot.models import User, utcnow
from bot.web.deps import AdminDep, CsrfUserDep, SessionDep, require_role, templates

router = APIRouter()


def _back(**query: str) -> Response:
    return RedirectResponse(f"/users?{urlencode(query)}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request, who: AdminDep, session: SessionDep, notice: str = "", error: str = ""
) -> Response:
    """Everyone who can sign in."""
    users = session.exec(select(User).order_by(User.username)).all()
    context = {"who": who, "users": users, "roles": accounts.ROLES, "notice": notice, "error": error}
    return templates.TemplateResponse(request, "users.html", context)


@router.post("/users")
def add_user(
    who: CsrfUserDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=100, pattern=r"^[A-Za-z0-9._-]+$")],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[str, Form()],
) -> Response:
    """Create a user (the same rules as `webcare users add`)."""
    require_role(who, "admin")
    now = utcnow()
    try:
        user = accounts.add_user(session, username=username, password=password, role=role, now=now)
    except accounts.AccountError as exc:
        return _back(error=f"Not added: {exc}.")
    store.audit(
        session, actor=who.actor, action="user.add", object_type="user", object_id=str(user.id), now=now,
        after={"username": username, "role": role},
    )  # fmt: skip
    session.commit()
    return _back(notice=f"User {username} added as {role}.")


@router.post("/users/{user_id}/disable")
def disable_user(user_id: int, who: CsrfUserDep, session: SessionDep) -> Response:
    """Stop a user from signing in and end their sessions."""
    require_role(who, "admin")
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such user")
    if user.id == who.user.id:
        return _back(error="Not disabled: you cannot disable yourself.")
    now = utcnow()
    accounts.disable_user(session, user=user, now=now)
    store.audit(
        session, actor=who.actor, action="user.disable", object_type="user", object_id=str(user_id), now=now
    )
    session.commit()
    return _back(notice=f"User {user.username} disabled and signed out.")
