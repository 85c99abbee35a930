"""The response-time watch over the API: events (warnings, breaches) and the share within target."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import col, select

from bot.models import SlaEvent
from bot.pipeline import sla
from bot.web import openapi
from bot.web.deps import ApiActorDep, LoginRequired, NowDep, ServicesDep, SessionDep, current_user, templates

router = APIRouter(prefix="/api/v1", tags=["response times"])
pages = APIRouter()


class SlaEventOut(BaseModel):
    """A warning or breach of a response-time target."""

    draft_id: int
    community: str
    kind: str
    priority: str
    due_at: datetime
    at: datetime
    notified: bool


class ShareOut(BaseModel):
    """The share of replies sent within target for a community and period."""

    community: str
    since: datetime
    until: datetime
    answered: int
    within_target: int
    share: float | None


@router.get("/response-times", response_model=list[ShareOut], responses=openapi.refusals(401, 404, 422))
def response_times(
    actor: ApiActorDep,
    services: ServicesDep,
    session: SessionDep,
    now: NowDep,
    community: str | None = None,
    days: int = Query(30, ge=1, le=366),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ShareOut]:
    """Per community: how many replies to mentions of the period met their target (default: 30 days)."""
    known = list(services.registry.snapshot.communities)
    if community is not None and community not in known:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no community {community!r}")
    if any(t is not None and t.tzinfo is None for t in (since, until)):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "since and until need a time zone, e.g. Z")
    until = until or now
    since = since or until - timedelta(days=days)
    out = []
    for gid in [community] if community else known:
        share = sla.response_share(session, community_id=gid, since=since, until=until)
        out.append(
            ShareOut(
                community=gid,
                since=since,
                until=until,
                answered=share.answered,
                within_target=share.within_target,
                share=share.share,
            )
        )
    return out


@router.get("/response-events", response_model=list[SlaEventOut], responses=openapi.refusals(401, 422))
def response_events(
    actor: ApiActorDep, session: SessionDep, kind: str | None = None, limit: int = Query(100, ge=1, le=1000)
) -> list[SlaEventOut]:
    """The newest response-time warnings and breaches."""
    stmt = select(SlaEvent).order_by(col(SlaEvent.id).desc()).limit(limit)
    if kind:
        stmt = stmt.where(SlaEvent.kind == kind)
    return [
        SlaEventOut(
            draft_id=e.draft_id,
            community=e.community_id,
            kind=e.kind,
            priority=e.priority,
            due_at=e.due_at,
            at=e.at,
            notified=e.notified_at is not None,
        )
        for e in session.exec(stmt)
    ]


@pages.get(
    "/alerts/count",
    response_class=HTMLResponse,
    responses={401: {"description": "not signed in: the badge stays as it is"}},
)
def alert_count(request: Request, session: SessionDep, now: NowDep) -> Response:
    """The nav badge: how many pending drafts had a response-time warning or breach."""
    try:
        who = current_user(request, session, now)
    except LoginRequired:
        # htmx swaps nothing on a 401, so an expired session never puts the login page in the nav
        return Response(status_code=status.HTTP_401_UNAUTHORIZED)
    found = sla.open_alerts(session, now=now, limit=0)
    context = {"who": who, "alert_count": found.count, "alert_capped": found.capped}
    return templates.TemplateResponse(request, "alert_count.html", context)
