"""What an agent does to a queue item: approve, reject, escalate, assign, snooze."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from bot import teams
from bot.models import REJECT_CATEGORIES, Draft, Outbox, User
from bot.pipeline import review
from bot.pipeline.errors import Conflict, Forbidden, NotFound
from bot.schemas import Count, RowId
from bot.web import next_item, openapi
from bot.web.delivery_state import platform_name
from bot.web.deps import CsrfUserDep, NowDep, ServicesDep, SessionDep

router = APIRouter(responses=openapi.PAGE)
SNOOZE = {
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
}
VersionField = Annotated[Count | None, Form()]
NoteField = Annotated[str, Form(max_length=2000)]
# the queue view (its filters as a query string) the agent works from: approve and next stays in it
ViewField = Annotated[str, Form(max_length=2000)]


def _back(draft_id: int, *, notice: str = "", error: str = "", to_queue: bool = False) -> Response:
    target = "/queue" if to_queue else f"/queue/{draft_id}"
    query = urlencode({"notice": notice} if notice else {"error": error})
    return RedirectResponse(f"{target}?{query}", status_code=status.HTTP_303_SEE_OTHER)


def _act(draft_id: int, verb: str, done: str, action: Callable[[], Draft], *, to_queue: bool) -> Response:
    """Run one use case; tell the agent plainly when someone else got there first."""
    try:
        action()
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (Conflict, Forbidden, ValueError) as exc:
        return _back(draft_id, error=f"Not {verb}: {exc}.")
    return _back(draft_id, notice=done, to_queue=to_queue)


def _decide_and_next(
    session: Session,
    draft_id: int,
    verb: str,
    done: Callable[[Draft], str],
    action: Callable[[], Draft],
    *,
    view: str,
    username: str,
    now: datetime,
    undo: bool = False,
) -> Response:
    """Run a decision, then land on the next item of the same view (or the view's list when none is left)."""
    view = next_item.clean_view(view)
    # read the order before deciding: the decided item leaves a pending view
    candidates = next_item.following(session, view, current=draft_id, username=username, now=now)
    try:
        draft = action()
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (Conflict, Forbidden, ValueError) as exc:
        query = urlencode({"error": f"Not {verb}: {exc}.", **({"view": view} if view else {})})
        return RedirectResponse(f"/queue/{draft_id}?{query}", status_code=status.HTTP_303_SEE_OTHER)
    after = next_item.next_pending(session, candidates)
    # none left in the view: its list, which says so ("Nothing to review with these filters")
    extra = {"notice": done(draft), **({"undo": str(draft_id)} if undo else {})}
    if after is None:
        target = f"/queue?{view + '&' if view else ''}{urlencode(extra)}"
    else:
        target = f"/queue/{after}?{urlencode({**({'view': view} if view else {}), **extra})}"
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def approved_notice(session: Session, draft: Draft, senders: Mapping[str, object], undo: float) -> str:
    """What the agent is told after approving: when it goes out, or honestly why it cannot yet."""
    row = session.exec(select(Outbox).where(Outbox.draft_id == draft.id)).first()
    platform = row.platform if row else ""
    if platform and platform not in senders:
        name = platform_name(platform)
        return f"Approved, but waiting: no {name} connection, so nothing is sent until one is set up."
    if undo > 0:
        return f"Approved: the reply goes out in {undo:g} seconds unless you undo it."
    return "Approved: the reply is on its way."


@router.post("/queue/{draft_id}/approve", responses=openapi.FORM)
def approve_form(
    draft_id: RowId,
    who: CsrfUserDep,
    session: SessionDep,
    services: ServicesDep,
    now: NowDep,
    text: Annotated[str, Form(max_length=40_000)] = "",
    version: VersionField = None,
    picked: Annotated[str, Form(max_length=120)] = "",
    view: ViewField = "",
) -> Response:
    """Approve (maybe edited, maybe with another answer picked); it is sent after the undo window."""
    undo = services.settings.undo_seconds

    def run() -> Draft:
        return review.approve(
            session, draft_id, actor=who.actor, role=who.user.role, now=now, text=text, version=version,
            picked=picked or None, hold=timedelta(seconds=undo),
        )  # fmt: skip

    def done(draft: Draft) -> str:
        return approved_notice(session, draft, services.senders, undo)

    return _decide_and_next(
        session, draft_id, "approved", done, run, view=view, username=who.user.username, now=now,
        undo=undo > 0,
    )  # fmt: skip


@router.post("/queue/{draft_id}/undo", responses=openapi.FORM)
def undo_form(
    draft_id: RowId,
    who: CsrfUserDep,
    session: SessionDep,
    now: NowDep,
    view: ViewField = "",
) -> Response:
    """Take back one's approval within the undo window: the draft is pending again, nothing is sent."""
    view = next_item.clean_view(view)
    try:
        review.undo_approval(session, draft_id, actor=who.actor, now=now)
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (Conflict, Forbidden) as exc:
        message = {"error": f"Not undone: {exc}."}
    else:
        message = {"notice": "Undone: nothing was sent; the draft is back in the queue."}
    query = urlencode({**({"view": view} if view else {}), **message})
    return RedirectResponse(f"/queue/{draft_id}?{query}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/queue/{draft_id}/reject", responses=openapi.FORM)
def reject_form(
    draft_id: RowId,
    who: CsrfUserDep,
    session: SessionDep,
    now: NowDep,
    reason: NoteField = "",
    category: Annotated[str, Form(max_length=32)] = "other",
    version: VersionField = None,
    view: ViewField = "",
) -> Response:
    """Reject with a reason (a category and free text); nothing is sent."""
    chosen = next((c for c in REJECT_CATEGORIES if c == category), None)
    if chosen is None:
        return _back(draft_id, error=f"Not rejected: choose one of {', '.join(REJECT_CATEGORIES)}.")

    def run() -> Draft:
        why = reason.strip() or ("" if chosen != "other" else "no reason given")
        return review.reject(
            session, draft_id, actor=who.actor, role=who.user.role, reason=why, category=chosen, now=now,
            version=version,
        )  # fmt: skip

    return _decide_and_next(
        session, draft_id, "rejected", lambda _: "Rejected: nothing was sent.", run, view=view,
        username=who.user.username, now=now,
    )  # fmt: skip


@router.post("/queue/{draft_id}/escalate", responses=openapi.FORM)
def escalate_form(
    draft_id: RowId,
    who: CsrfUserDep,
    session: SessionDep,
    now: NowDep,
    services: ServicesDep,
    note: NoteField = "",
    version: VersionField = None,
    view: ViewField = "",
    to: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Hand the item to a senior (it now needs senior approval) or to a team (it moves to their queue)."""
    team = "" if to in ("", "senior") else to
    if team and team not in teams.known_teams(
        c.guideline for c in services.registry.snapshot.communities.values()
    ):
        return _back(draft_id, error=f"Not escalated: there is no team {team!r}.")

    def run() -> Draft:
        return review.escalate(
            session, draft_id, actor=who.actor, note=note.strip(), now=now, version=version, team=team
        )

    done = f"Escalated to team {team}." if team else "Escalated: a senior has to approve this one."
    return _decide_and_next(
        session, draft_id, "escalated", lambda _: done, run,
        view=view, username=who.user.username, now=now,
    )  # fmt: skip


def _active_user(session: Session, username: str) -> bool:
    stmt = select(User).where(User.username == username, User.disabled == False)  # noqa: E712
    return session.exec(stmt).first() is not None


@router.post("/queue/{draft_id}/assign", responses=openapi.FORM)
def assign_form(
    draft_id: RowId,
    who: CsrfUserDep,
    session: SessionDep,
    now: NowDep,
    to: Annotated[str, Form(max_length=100)] = "",
    version: VersionField = None,
) -> Response:
    """Give the item to a colleague (or yourself, or back to the team)."""
    to = who.user.username if to == "@me" else to.strip()
    if to and not _active_user(session, to):
        return _back(draft_id, error=f"Not assigned: there is no active user {to!r}.")

    def run() -> Draft:
        return review.assign(session, draft_id, actor=who.actor, to=to, now=now, version=version)

    return _act(draft_id, "assigned", f"Assigned to {to}." if to else "Unassigned.", run, to_queue=False)


@router.post("/queue/{draft_id}/snooze", responses=openapi.FORM)
def snooze_form(
    draft_id: RowId,
    who: CsrfUserDep,
    session: SessionDep,
    now: NowDep,
    for_: Annotated[str, Form(alias="for")] = "1h",
    version: VersionField = None,
) -> Response:
    """Hide the item from the queue for a while."""
    if for_ not in SNOOZE:
        return _back(draft_id, error=f"Not snoozed: choose one of {', '.join(SNOOZE)}.")

    def run() -> Draft:
        return review.snooze(
            session, draft_id, actor=who.actor, until=now + SNOOZE[for_], now=now, version=version
        )

    return _act(draft_id, "snoozed", f"Snoozed for {for_}.", run, to_queue=True)
