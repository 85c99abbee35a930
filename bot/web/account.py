"""The signed-in person's own sessions: where they are signed in, and signing other browsers out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot import accounts
from bot.web import openapi
from bot.web.deps import CsrfUserDep, NowDep, SessionDep, UserDep, templates
from bot.web.format import DEFAULT_ZONE, LANGUAGE_NAMES, TIME_LANGUAGES, known_zone
from bot.web.users import audit_user

router = APIRouter(responses=openapi.PAGE)

# first match wins: Edge and Opera also say Chrome, Chrome also says Safari, Android also says Linux
_BROWSERS = (
    ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)  # fmt: skip
_SYSTEMS = (
    ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
    ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
)  # fmt: skip


def describe_agent(user_agent: str | None) -> str:
    """'Firefox on Windows' for a browser's User-Agent header; the header itself when unrecognised."""
    if not user_agent:
        return "unknown browser"
    browser = next((name for key, name in _BROWSERS if key in user_agent), "")
    system = next((name for key, name in _SYSTEMS if key in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent[:60]


def _back(**query: str) -> Response:
    return RedirectResponse(f"/account/sessions?{urlencode(query)}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/account/sessions", response_class=HTMLResponse)
def sessions_page(
    request: Request, who: UserDep, session: SessionDep, now: NowDep, notice: str = "", error: str = ""
) -> Response:
    """Every browser this person is signed in on, this one marked."""
    rows = accounts.open_sessions(session, user=who.user, now=now)
    listed = [(row, describe_agent(row.user_agent)) for row in rows]
    context = {"who": who, "sessions": listed, "notice": notice, "error": error}
    return templates.TemplateResponse(request, "sessions.html", context)


@router.post("/account/sessions/revoke", responses=openapi.FORM)
def revoke_session(
    who: CsrfUserDep, session: SessionDep, session_id: Annotated[str, Form(max_length=64)], now: NowDep
) -> Response:
    """Sign out one of this person's other sessions; it stops working on its next request."""
    if session_id == who.session.id:
        return _back(error="That is the session you are using now: use Sign out at the top instead.")
    row = accounts.revoke_session(session, user=who.user, session_id=session_id, now=now)
    if row is None:
        return _back(error="That session had already ended.")
    browser = describe_agent(row.user_agent)
    audit_user(
        session,
        who,
        "user.session_revoke",
        who.user,
        now=now,
        after={"browser": browser, "signed_in": row.created_at.isoformat()},
    )
    return _back(notice=f"Signed out the session on {browser}.")


@router.post("/account/sessions/revoke-others", responses=openapi.FORM)
def revoke_other_sessions(who: CsrfUserDep, session: SessionDep, now: NowDep) -> Response:
    """Sign out every session of this person except the one making the request."""
    ended = accounts.revoke_sessions(session, user=who.user, now=now, keep=who.session.id)
    audit_user(session, who, "user.sign_out_elsewhere", who.user, now=now, after={"sessions_ended": ended})
    return _back(notice=f"Signed out everywhere else ({ended} session{'' if ended == 1 else 's'}).")


@router.post("/account/timezone", responses=openapi.FORM)
def set_timezone(
    who: CsrfUserDep, session: SessionDep, timezone: Annotated[str, Form(max_length=64)], now: NowDep
) -> Response:
    """Set the zone this person reads times in where no community applies; empty is the default."""
    chosen = timezone.strip()
    if chosen and not known_zone(chosen):
        return _back(error=f"{chosen!r} is not a time zone we know; try a name like Europe/Amsterdam.")
    before = who.user.timezone
    who.user.timezone = chosen
    session.add(who.user)
    audit_user(
        session,
        who,
        "user.timezone",
        who.user,
        now=now,
        before={"timezone": before},
        after={"timezone": chosen},
    )
    return _back(notice=f"Times now show in {chosen or DEFAULT_ZONE}.")


@router.post("/account/language", responses=openapi.FORM)
def set_language(
    who: CsrfUserDep, session: SessionDep, language: Annotated[str, Form(max_length=8)], now: NowDep
) -> Response:
    """Set the language this person reads dates and deadlines in ("en" or "nl")."""
    if language not in TIME_LANGUAGES:
        return _back(error=f"Choose one of {', '.join(TIME_LANGUAGES)} for dates and deadlines.")
    before = who.user.language
    who.user.language = "" if language == "en" else language
    session.add(who.user)
    audit_user(
        session,
        who,
        "user.language",
        who.user,
        now=now,
        before={"language": before or "en"},
        after={"language": language},
    )
    return _back(notice=f"Dates and deadlines now read in {LANGUAGE_NAMES[language]}.")
