"""Approve and next: the queue view an agent works from, and the item that follows in it."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlmodel import Session

from bot import queries
from bot.models import Draft

# how far down the view "next" looks: the queue's own page size
WINDOW = 50


def view_filter(view: str, *, username: str) -> queries.QueueFilter:
    """The queue filter a view's query string (as the queue links it) stands for."""
    params = dict(parse_qsl(view, keep_blank_values=False))
    known = {f.name for f in fields(queries.QueueFilter)} - {"assigned"}
    # every filter the queue keeps in its links is a field of QueueFilter; "mine" means assigned to me
    values = {name: value[:200] for name, value in params.items() if name in known}
    status = values.pop("status", "pending")
    return queries.QueueFilter(
        status=status if status in queries.STATUSES else "pending",
        assigned=username if params.get("mine") else "",
        **values,
    )


def clean_view(view: str) -> str:
    """Only the filter part of a query string: no page, notices or other parameters pass through."""
    known = {f.name for f in fields(queries.QueueFilter)} - {"assigned"} | {"mine"}
    return urlencode([(k, v[:200]) for k, v in parse_qsl(view) if k in known])


def following(session: Session, view: str, *, current: int, username: str, now: datetime) -> list[int]:
    """The drafts of the view after the current one, then those before it, in the queue's order."""
    f = view_filter(view, username=username)
    ids = [draft.id for draft, _ in queries.queue_page(session, f, now=now, offset=0, size=WINDOW).rows]
    if current in ids:
        at = ids.index(current)
        ids = ids[at + 1 :] + ids[:at]
    return [i for i in ids if i is not None and i != current]


def next_pending(session: Session, candidates: list[int]) -> int | None:
    """The first candidate still waiting for a decision (someone else may have taken the others)."""
    for draft_id in candidates:
        draft = session.get(Draft, draft_id)
        if draft is not None:
            session.refresh(draft)
            if draft.status == "pending":
                return draft_id
    return None
