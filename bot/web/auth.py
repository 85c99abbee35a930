"""Sign-in and sign-out pages."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot import accounts, store
from bot.web.deps import SESSION_COOKIE, CsrfUserDep, NowDep, ServicesDep, SessionDep, templates

log = logging.getLogger(__name__)
router = APIRouter()
LOGIN_CSRF_COOKIE = "webcare_login_csrf"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, services: ServicesDep, error: str = "") -> Response:
    """The sign-in form, with a fresh CSRF token in a cookie and the form (double submit)."""
    token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, "login.html", {"csrf_token": token, "error": error})
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=services.settings.cookie_secure
    )
    return response


@router.post("/login")
def login(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    now: NowDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Check the password, open a server-side session and go to the queue."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        return _login_again(request, services, "Your sign-in form expired. Please try again.")
    client = request.client.host if request.client else "unknown"
    keys = (f"user:{username.lower()}", f"ip:{client}")
    attempt = accounts.count_sign_in_attempt(session, keys, now=now)
    if attempt is None:
        return _login_again(
            request, services, "Too many failed attempts. Wait 15 minutes and try again.", 429
        )
    user = accounts.authenticate(session, username=username, password=password)
    if user is None:
        log.info("sign-in failed", extra={"username": username, "client": client})
        return _login_again(request, services, "Wrong username or password.", 401)
    accounts.forget_sign_in_attempt(session, keys, attempt)
    token, _ = accounts.start_session(
        session,
        user=user,
        now=now,
        hours=services.settings.session_hours,
        user_agent=request.headers.get("User-Agent"),
        ip=request.client.host if request.client else None,
    )
    store.audit(
        session,
        actor=f"user:{user.username}",
        action="user.sign_in",
        object_type="user",
        object_id=str(user.id),
        now=now,
    )
    session.commit()
    response = RedirectResponse("/queue", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=services.settings.cookie_secure,
        max_age=services.settings.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _login_again(request: Request, services: ServicesDep, error: str, code: int = 400) -> Response:
    response = login_page(request, services, error)
    response.status_code = code
    return response


@router.post("/logout")
def logout(request: Request, who: CsrfUserDep, session: SessionDep, now: NowDep) -> Response:
    """Revoke the session and return to the sign-in page."""
    accounts.end_session(session, token=request.cookies.get(SESSION_COOKIE, ""), now=now)
    store.audit(
        session,
        actor=who.actor,
        action="user.sign_out",
        object_type="user",
        object_id=str(who.user.id),
        now=now,
    )
    session.commit()
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    return response
