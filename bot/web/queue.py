"""The review queue: pending drafts by deadline, the item view, approve and reject."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot import pipeline, store
from bot.models import Customer, Draft, Mention, utcnow
from bot.web.deps import CsrfUserDep, SessionDep, UserDep, templates

router = APIRouter()
PAGE_SIZE = 50


@router.get("/")
def home() -> Response:
    """The queue is the home page."""
    return RedirectResponse("/queue", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, who: UserDep, session: SessionDep, page: int = 1, notice: str = ""
) -> Response:
    """Pending drafts, the nearest response deadline first."""
    page = max(page, 1)
    rows = store.list_drafts(session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = store.count_drafts(session)
    return templates.TemplateResponse(
        request,
        "queue.html",
        {
            "who": who,
            "rows": rows,
            "now": utcnow(),
            "page": page,
            "total": total,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "notice": notice,
        },
    )


@router.get("/queue/{draft_id}", response_class=HTMLResponse)
def item_page(
    request: Request, draft_id: int, who: UserDep, session: SessionDep, notice: str = ""
) -> Response:
    """One draft with the mention, why the bot drafted it, and the actions."""
    draft = session.get(Draft, draft_id)
    if draft is None or draft.mention_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such draft")
    mention = session.get(Mention, draft.mention_id)
    customer = session.get(Customer, mention.customer_id) if mention else None
    return templates.TemplateResponse(
        request,
        "item.html",
        {
            "who": who,
            "draft": draft,
            "mention": mention,
            "customer": customer,
            "now": utcnow(),
            "notice": notice,
        },
    )


def _back(draft_id: int, notice: str, *, to_queue: bool) -> Response:
    target = "/queue" if to_queue else f"/queue/{draft_id}"
    return RedirectResponse(
        f"{target}?{urlencode({'notice': notice})}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/queue/{draft_id}/approve")
def approve_form(
    draft_id: int,
    who: CsrfUserDep,
    session: SessionDep,
    text: Annotated[str, Form(max_length=40_000)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    """Approve (maybe edited) and queue for sending."""
    try:
        pipeline.approve(
            session, draft_id, actor=who.actor, role=who.user.role, now=utcnow(), text=text, version=version
        )
    except pipeline.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (pipeline.Conflict, pipeline.Forbidden) as exc:
        return _back(draft_id, f"Not approved: {exc}.", to_queue=False)
    return _back(draft_id, "Approved: the reply is on its way.", to_queue=True)


@router.post("/queue/{draft_id}/reject")
def reject_form(
    draft_id: int,
    who: CsrfUserDep,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    """Reject with a reason; nothing is sent."""
    try:
        pipeline.reject(
            session,
            draft_id,
            actor=who.actor,
            reason=reason.strip() or "no reason given",
            now=utcnow(),
            version=version,
        )
    except pipeline.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except pipeline.Conflict as exc:
        return _back(draft_id, f"Not rejected: {exc}.", to_queue=False)
    return _back(draft_id, "Rejected: nothing was sent.", to_queue=True)
