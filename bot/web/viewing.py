"""Who has a queue item open: a heartbeat per (item, person) in the database, read by the list.

A table rather than process memory because uvicorn may run several workers: a heartbeat one worker
records must show on a list another worker renders.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.models import Viewing
from bot.schemas import RowId
from bot.web import openapi
from bot.web.deps import NowDep, SessionDep, UserDep, templates

router = APIRouter(responses=openapi.PAGE)
# the item page beats every HEARTBEAT; a person counts as viewing until FRESH has passed without one
HEARTBEAT = timedelta(seconds=10)
FRESH = timedelta(seconds=30)
FORGET = timedelta(hours=1)


def record(session: Session, draft_id: int, username: str, now: datetime) -> None:
    """Note that this person has this item open now."""
    session.execute(delete(Viewing).where(col(Viewing.seen_at) < now - FORGET))
    row = session.get(Viewing, (draft_id, username))
    if row is None:
        session.add(Viewing(draft_id=draft_id, username=username, seen_at=now))
    else:
        row.seen_at = now
        session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same person's other tab beat us to it: their row says the same
        session.rollback()


def viewers(session: Session, draft_ids: list[int], *, now: datetime, exclude: str) -> dict[int, list[str]]:
    """Per item, the other people who have it open now, by name."""
    if not draft_ids:
        return {}
    stmt = (
        select(Viewing.draft_id, Viewing.username)
        .where(col(Viewing.draft_id).in_(draft_ids), col(Viewing.seen_at) > now - FRESH)
        .where(Viewing.username != exclude)
        .order_by(col(Viewing.username))
    )
    found: dict[int, list[str]] = {}
    for draft_id, username in session.exec(stmt).all():
        found.setdefault(draft_id, []).append(username)
    return found


@router.get("/queue/{draft_id}/viewing", response_class=HTMLResponse)
def heartbeat(request: Request, draft_id: RowId, who: UserDep, session: SessionDep, now: NowDep) -> Response:
    """The item page's heartbeat: note the viewer, answer with who else has the item open."""
    record(session, draft_id, who.user.username, now)
    others = viewers(session, [draft_id], now=now, exclude=who.user.username).get(draft_id, [])
    return templates.TemplateResponse(request, "viewing.html", {"others": others})


Others = Annotated[list[str], "other people viewing"]
