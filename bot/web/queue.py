"""The review queue: pending drafts by deadline with filters, and the item view."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from bot import queries, teams
from bot.models import REJECT_CATEGORIES, Community, Conversation, Customer, Draft, Mention, Outbox, User
from bot.pipeline import review, sla
from bot.schemas import Count, RowId
from bot.web import next_item, openapi, viewing
from bot.web.delivery_state import waiting
from bot.web.deps import NowDep, ServicesDep, SessionDep, UserDep, templates
from responders.content import runtime_problem
from responders.domain import FaqEntry, Guideline

router = APIRouter(responses=openapi.PAGE)
PAGE_SIZE = 50
MAX_PAGE = 1000


@router.get("/")
def home(who: UserDep) -> Response:
    """The queue is the home page (for signed-in users)."""
    return RedirectResponse("/queue", status_code=status.HTTP_303_SEE_OTHER)


def _calendars(services: ServicesDep) -> dict[str, Guideline]:
    """Each community's guideline, whose business hours decide when a deadline is at risk.

    A guideline whose calendar cannot be computed is left out (its deadlines count clock time),
    so one community's broken time zone never fails the queue of all.
    """
    communities = services.registry.snapshot.communities
    return {cid: c.guideline for cid, c in communities.items() if runtime_problem(c.guideline) is None}


def _known_teams(services: ServicesDep) -> list[str]:
    """The teams the guidelines route to (and webcare)."""
    return teams.known_teams(c.guideline for c in services.registry.snapshot.communities.values())


def _team_view(asked: str, mine: list[str], role: str, known: list[str]) -> tuple[str, str]:
    """The team filter and the select's choice: agents see their teams unless they ask for all."""
    if asked == "all" or (not asked and (role != "agent" or not mine)):
        return "all", ""
    if asked in ("", "mine") and mine:
        return "mine", ",".join(mine)
    chosen = [t for t in asked.split(",") if t in known]
    if not chosen:
        return "all", ""
    # a link that kept "my teams" as their names still shows as my teams
    return ("mine" if chosen == mine else ",".join(chosen)), ",".join(chosen)


def _choices(session: SessionDep, services: ServicesDep) -> dict[str, object]:
    communities = session.exec(select(Community.id).order_by(Community.id)).all()
    return {
        "calendars": _calendars(services),
        "communities": communities,
        "statuses": queries.STATUSES,
        "sentiments": queries.SENTIMENTS,
        "priorities": queries.PRIORITIES,
        "kinds": queries.KINDS,
        "teams": _known_teams(services),
    }


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    who: UserDep,
    session: SessionDep,
    services: ServicesDep,
    now: NowDep,
    page: Count = 1,
    notice: str = "",
    status_: Annotated[str, Query(alias="status")] = "pending",
    community: str = "",
    platform: str = "",
    language: str = "",
    sentiment: str = "",
    priority: str = "",
    kind: str = "",
    mine: str = "",
    team: Annotated[str, Query(max_length=700)] = "",
    q: str = "",
    error: str = "",
    undo: RowId | None = None,
) -> Response:
    """Drafts matching the filters, the nearest response deadline first, 50 a page."""
    page = min(max(page, 1), MAX_PAGE)
    assert who.user.id is not None
    my_teams = teams.teams_of(session, who.user.id)
    team_choice, team_filter = _team_view(
        team.strip().lower(), my_teams, who.user.role, _known_teams(services)
    )
    f = queries.QueueFilter(
        status=status_ if status_ in queries.STATUSES else "",
        community=community,
        platform=platform.strip(),
        language=language.strip().lower(),
        sentiment=sentiment,
        priority=priority,
        kind=kind if kind in queries.KINDS else "",
        assigned=who.user.username if mine else "",
        team=team_filter,
        q=q.strip()[:200],
    )
    offset = (page - 1) * PAGE_SIZE
    found = queries.queue_page(session, f, now=now, offset=offset, size=PAGE_SIZE)
    params = {**f.params(), **({"mine": "1"} if mine else {})}
    params.pop("assigned", None)
    if team_choice == "all" and my_teams and who.user.role == "agent":
        params["team"] = "all"  # an agent who asked for every team keeps that over the pages
    partial = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "results"
    context = {
        "partial": partial,
        "who": who,
        "rows": found.rows,
        "now": now,
        "page": page,
        "total": found.total,
        "capped": found.capped,
        "has_next": found.has_next,
        "f": f,
        "mine": bool(mine),
        "team_choice": team_choice,
        "my_teams": my_teams,
        "query": urlencode(params),
        "notice": notice,
        "error": error,
        # approve and next: who else has an item open, what waits for a platform with no adapter
        "viewers": viewing.viewers(
            session, [d.id for d, _ in found.rows if d.id], now=now, exclude=who.user.username
        ),
        "connected": services.senders,
        "waiting": waiting,
        # the view approve-and-next stays in; the default view needs no words in the links
        "view": urlencode(params) if params != {"status": "pending"} else "",
        "undo_id": _undoable(session, undo, who.actor, now),
        **_choices(session, services),
        # the filters swap only the results: the alerts panel is read on a full page load
        **({} if partial else _alerts(session, now)),
    }
    return templates.TemplateResponse(request, "queue_results.html" if partial else "queue.html", context)


def _undoable(session: SessionDep, draft_id: int | None, actor: str, now: datetime) -> int | None:
    """The approval just made, if its reply still waits in the undo window: the Undo banner shows."""
    if draft_id is None:
        return None
    draft = session.get(Draft, draft_id)
    if draft is None or draft.status != "approved" or draft.decided_by != actor:
        return None
    row = session.exec(select(Outbox).where(Outbox.draft_id == draft_id)).first()
    return draft_id if row and row.status == "pending" and row.next_attempt_at > now else None


def _alerts(session: SessionDep, now: datetime) -> dict[str, object]:
    """Response-time warnings and breaches on drafts still pending: the panel and the nav badge."""
    found = sla.open_alerts(session, now=now)
    return {"alerts": found.alerts, "alert_count": found.count, "alert_capped": found.capped}


@router.get("/queue/{draft_id}", response_class=HTMLResponse, responses=openapi.refusals(404, page=True))
def item_page(
    request: Request,
    draft_id: RowId,
    who: UserDep,
    session: SessionDep,
    services: ServicesDep,
    now: NowDep,
    notice: str = "",
    error: str = "",
    view: str = "",
    undo: RowId | None = None,
) -> Response:
    """One draft with the mention, its thread, the customer's history, why the bot drafted it."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such draft")
    viewing.record(session, draft_id, who.user.username, now)
    outbox = queries.outbox_for(session, draft_id)
    mention = session.get(Mention, draft.mention_id) if draft.mention_id else None
    conversation = session.get(Conversation, draft.conversation_id)
    customer = session.get(Customer, conversation.customer_id) if conversation else None
    users = session.exec(select(User.username).where(User.disabled == False).order_by(User.username))  # noqa: E712
    faq = services.registry.snapshot.faq.entries
    context = {
        "who": who,
        "draft": draft,
        "alternatives": _alternatives(draft, faq),
        "candidates": [
            {**c, "question": c.get("question") or _question(faq, c["faq_id"])} for c in draft.candidates
        ],
        "reject_categories": REJECT_CATEGORIES,
        "may_decide": review.may_decide(draft, who.user.role),
        "mention": mention,
        "customer": customer,
        "conversation": conversation,
        "calendar": _calendars(services).get(draft.community_id),
        "thread": queries.thread(session, draft.conversation_id, exclude=draft.mention_id),
        "history": queries.history(session, customer, exclude=draft.conversation_id) if customer else [],
        "outbox": outbox,
        "view": next_item.clean_view(view),
        "undo_id": _undoable(session, undo, who.actor, now),
        "others": viewing.viewers(session, [draft_id], now=now, exclude=who.user.username).get(draft_id, []),
        "waiting_for": waiting(outbox.platform, services.senders)
        if outbox and draft.status == "approved"
        else "",
        "sla_events": sla.events_for(session, draft_id),
        "users": list(users),
        "teams": _known_teams(services),
        "now": now,
        "notice": notice,
        "error": error,
    }
    return templates.TemplateResponse(request, "item.html", context)


def _question(faq: Mapping[str, FaqEntry], faq_id: object) -> str:
    entry = faq.get(str(faq_id))
    return entry.question if entry else ""


def _alternatives(draft: Draft, faq: Mapping[str, FaqEntry]) -> list[dict[str, Any]]:
    """Each alternative with its FAQ question and full reply; drafts made before 0006 hold only ids."""
    found: list[dict[str, Any]] = []
    for alt in draft.alternatives:
        if isinstance(alt, dict):
            faq_id = str(alt.get("faq_id", ""))
            question = alt.get("question") or _question(faq, faq_id)
            found.append({**alt, "faq_id": faq_id, "question": question, "text": str(alt.get("text", ""))})
        else:  # no text was kept: the agent sees which answer, but there is nothing to put in the editor
            found.append({"faq_id": alt, "question": _question(faq, alt), "text": "", "confidence": None})
    return found
