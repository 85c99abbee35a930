"""Insights per community: volume, sentiment, speed, top answers, escalations, competitors, leads,
and per FAQ entry and act how often agents send the draft unedited and why they reject it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import select

from bot import insights
from bot.models import Community
from bot.web import charts, openapi
from bot.web.deps import NowDep, ServicesDep, SessionDep, UserDep, templates
from bot.web.format import DEFAULT_ZONE, known_zone

router = APIRouter(responses=openapi.PAGE)
PERIODS = (7, 30, 90)


def _zone(services: ServicesDep, community: Community) -> str:
    """The zone whose days the charts count: the community's, or the default where it has none."""
    loaded = services.registry.snapshot.communities.get(community.id)
    zone = loaded.guideline.timezone if loaded else ""
    return zone if known_zone(zone) else DEFAULT_ZONE


@router.get("/insights", response_class=HTMLResponse)
def insights_page(
    request: Request,
    who: UserDep,
    session: SessionDep,
    services: ServicesDep,
    now: NowDep,
    community: str = "",
    days: int = 30,
) -> Response:
    """One community's numbers over the last 7, 30 or 90 days, with SVG charts."""
    communities = list(session.exec(select(Community).order_by(Community.id)).all())
    chosen = next((c for c in communities if c.id == community), communities[0] if communities else None)
    days = days if days in PERIODS else 30
    data = (
        insights.compute(session, community=chosen.id, now=now, days=days, zone=_zone(services, chosen))
        if chosen
        else None
    )
    context = {
        "who": who,
        "communities": communities,
        "chosen": chosen,
        "days": days,
        "periods": PERIODS,
        "data": data,
        "volume": charts.bars(data.days, data.volume) if data else None,
        "mood": charts.line(data.days, data.sentiment) if data else None,
        "faq_map": services.registry.snapshot.faq.entries,
    }
    return templates.TemplateResponse(request, "insights.html", context)
