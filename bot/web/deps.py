"""FastAPI dependencies: database session, the time, signed-in user, API caller, CSRF check."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlmodel import Session

from bot import accounts
from bot.models import User, UserSession
from bot.services import Services
from bot.web.format import DEFAULT_ZONE, LANGUAGE_NAMES, PLATFORM_LABELS, deadline, gist, local
from responders.domain import Guideline

SESSION_COOKIE = "webcare_session"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@pass_context
def _local(context: Context, at: datetime | None, zone: str = "", now: datetime | None = None) -> str:
    """`local` for templates: where no community's zone is given, the signed-in person's own; in
    the language they read dates in."""
    who = context.get("who")
    if who is None:
        return local(at, zone, now)
    return local(at, zone or who.user.timezone, now, who.user.language)


@pass_context
def _deadline(
    context: Context, due_at: datetime, now: datetime, calendar: Guideline | None = None
) -> tuple[str, str, str]:
    """`deadline` for templates, in the language the signed-in person reads dates in."""
    who = context.get("who")
    return deadline(due_at, now, calendar, who.user.language if who is not None else "")


templates.env.globals["local"] = _local
templates.env.globals["deadline"] = _deadline
templates.env.globals["platform_labels"] = PLATFORM_LABELS
templates.env.globals["default_zone"] = DEFAULT_ZONE
templates.env.globals["language_names"] = LANGUAGE_NAMES
templates.env.filters["gist"] = gist


async def get_services(request: Request) -> Services:
    """The process's services, attached to the app by create_app()."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """One database session per request."""
    with Session(services.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def request_time(services: ServicesDep) -> datetime:
    """The time of this request, read once from the services' clock."""
    return services.clock.now()


# one instant per request: every part of a handler sees the same "now"
NowDep = Annotated[datetime, Depends(request_time)]


class LoginRequired(Exception):
    """Raised for a page request without a live session; answered with a redirect to /login."""


@dataclass(frozen=True)
class SignedIn:
    """The user behind a browser request and their session."""

    user: User
    session: UserSession

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return f"user:{self.user.username}"


def _plain(token: str) -> bool:
    return token.isascii() and token.isprintable()


def current_user(request: Request, session: SessionDep, now: NowDep) -> SignedIn:
    """The signed-in user, or a redirect to the sign-in page; notes that the session is in use."""
    token = request.cookies.get(SESSION_COOKIE)
    # tokens are URL-safe: anything else (a quoted "\000" in the cookie) is no session, not a query
    found = accounts.session_user(session, token=token, now=now) if token and _plain(token) else None
    if found is None:
        raise LoginRequired()
    accounts.touch_session(session, row=found[1], now=now)
    return SignedIn(*found)


UserDep = Annotated[SignedIn, Depends(current_user)]


def check_csrf(request: Request, who: UserDep, csrf_token: Annotated[str, Form()] = "") -> SignedIn:
    """Refuse a form post whose CSRF token (form field or htmx header) does not belong to the session."""
    sent = csrf_token or request.headers.get("X-CSRF-Token", "")
    if not hmac.compare_digest(sent.encode(), who.session.csrf_token.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid or missing CSRF token; reload the page")
    return who


CsrfUserDep = Annotated[SignedIn, Depends(check_csrf)]


def require_role(who: SignedIn, minimum: str) -> SignedIn:
    """Let only users of this role or a higher one through (403 otherwise)."""
    if not accounts.role_at_least(who.user.role, minimum):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {minimum} role or higher")
    return who


def role_at_least(minimum: str) -> Callable[[SignedIn], SignedIn]:
    """A dependency for pages only this role or a higher one may see."""

    def check(who: UserDep) -> SignedIn:
        return require_role(who, minimum)

    return check


SeniorDep = Annotated[SignedIn, Depends(role_at_least("senior"))]
AdminDep = Annotated[SignedIn, Depends(role_at_least("admin"))]

_bearer = HTTPBearer(auto_error=False)


async def api_actor(
    services: ServicesDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The API caller's name for the audit log (its token's last use noted); 401 without a valid token.

    Async, so that the settings' token is checked without a trip through the thread pool; a token
    made with `webcare tokens` is looked up in the database in a worker thread.
    """
    configured = services.settings.api_token.get_secret_value() if services.settings.api_token else None
    name: str | None = None
    if credentials and accounts.is_configured_token(credentials.credentials, configured):
        name = "settings"
    elif credentials:
        name = await run_in_threadpool(_stored_token_name, services, credentials.credentials, now)
    if name is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return f"api:{name}"


def _stored_token_name(services: Services, token: str, now: datetime) -> str | None:
    with Session(services.engine, expire_on_commit=False) as session:
        return accounts.api_token_name(session, token=token, configured=None, now=now)


ApiActorDep = Annotated[str, Depends(api_actor)]
