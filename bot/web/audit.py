"""The audit log page: who approved, edited, rejected, changed a guideline, signed in."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot import queries
from bot.schemas import Count
from bot.web import openapi
from bot.web.deps import SessionDep, UserDep, templates

router = APIRouter(responses=openapi.PAGE)
PAGE_SIZE = 100
ACTIONS = ("draft.", "guideline.", "user.")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    who: UserDep,
    session: SessionDep,
    actor: str = "",
    action: str = "",
    page: Count = 1,
) -> Response:
    """Audit events, newest first, filtered by who or by kind of action."""
    page = min(max(page, 1), 10_000)
    events = queries.audit_page(
        session, actor=actor.strip(), action=action, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    query = urlencode({k: v for k, v in {"actor": actor, "action": action}.items() if v})
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "who": who,
            "events": events[:PAGE_SIZE],
            "has_next": len(events) > PAGE_SIZE,
            "page": page,
            "actor": actor,
            "action": action,
            "actions": ACTIONS,
            "query": query,
        },
    )
