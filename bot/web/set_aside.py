"""Messages set aside: what could not be taken in, from where and why, for admins to act on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from bot.models import SetAside
from bot.schemas import Count
from bot.web import openapi
from bot.web.deps import AdminDep, SessionDep, templates

router = APIRouter(responses=openapi.PAGE)
PAGE_SIZE = 50


@router.get("/set-aside", response_class=HTMLResponse, responses=openapi.refusals(403, page=True))
def set_aside_page(request: Request, who: AdminDep, session: SessionDep, page: Count = 1) -> Response:
    """Messages that could not be taken in, newest first, with their source and reason."""
    page = min(max(page, 1), 10_000)
    stmt = (
        select(SetAside)
        .order_by(col(SetAside.at).desc(), col(SetAside.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    rows = session.exec(stmt).all()
    context = {"who": who, "rows": rows[:PAGE_SIZE], "has_next": len(rows) > PAGE_SIZE, "page": page}
    return templates.TemplateResponse(request, "set_aside.html", context)
