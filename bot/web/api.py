"""The JSON API under /api/v1, authenticated with a bearer token."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from bot import pipeline, store
from bot.models import Draft, Mention
from bot.pipeline.group_commit import WriterBusy
from bot.pipeline.inbox import Queued
from bot.pipeline.set_aside import Unreadable
from bot.schemas import ApproveIn, Count, DraftOut, MentionAccepted, MentionIn, RejectIn, RowId
from bot.web import openapi
from bot.web.deps import ApiActorDep, NowDep, ServicesDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["api"])
# API tokens belong to integrations trusted by an admin: they may approve senior-level drafts.
API_ROLE = "senior"

DRAFT_REFUSALS = openapi.refusals(401, 404, 409, 413, 422)
DraftStatus = Literal["pending", "approved", "rejected", "sent", "failed", "ignored", "escalated", "expired"]


@router.post(
    "/mentions",
    response_model=MentionAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=openapi.refusals(401, 413, 422, 503),
)
async def post_mention(
    body: MentionIn,
    actor: ApiActorDep,
    services: ServicesDep,
    now: NowDep,
    wait: Annotated[
        Literal["draft"] | None,
        Query(description="`draft`: answer once the draft is made, with its id (slower under load)"),
    ] = None,
) -> MentionAccepted:
    """Take in one mention; posting the same one twice stores it once. Answered once it is stored,
    in a transaction shared with the mentions posted at the same time (group commit); drafted a
    moment later, or before the answer with `?wait=draft`."""
    writer = services.intake if wait == "draft" else services.inbox
    try:
        result = await writer.receive_async(body.to_mention(now), now=now)
    except (pipeline.UnknownChannel, Unreadable) as exc:
        field, kind = (
            ("channel", "unknown_channel") if isinstance(exc, pipeline.UnknownChannel) else ("", "unreadable")
        )
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", field] if field else ["body"], "msg": str(exc), "type": kind}],
        ) from exc
    except WriterBusy as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "5"}
        ) from exc
    if isinstance(result, Queued):
        return MentionAccepted(
            mention_id=result.mention_id,
            draft_id=result.draft_id,
            duplicate=result.duplicate,
            action=result.action,
            intake_id=result.intake_id,
        )
    return MentionAccepted(
        mention_id=result.mention_id,
        draft_id=result.draft_id,
        duplicate=result.duplicate,
        action=result.action,
    )


@router.get("/drafts", response_model=list[DraftOut], responses=openapi.refusals(401, 422))
def list_drafts(
    actor: ApiActorDep,
    session: SessionDep,
    status_: DraftStatus = Query("pending", alias="status"),
    community: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Count = 0,
) -> list[DraftOut]:
    """Drafts with a status, nearest deadline first."""
    rows = store.list_drafts(session, statuses=(status_,), community_id=community, limit=limit, offset=offset)
    return [DraftOut.of(draft, mention) for draft, mention in rows]


def _draft_out(session: SessionDep, draft_id: RowId) -> DraftOut:
    draft = session.get(Draft, draft_id)
    assert draft is not None
    mention = session.get(Mention, draft.mention_id) if draft.mention_id is not None else None
    return DraftOut.of(draft, mention)


@router.post("/drafts/{draft_id}/approve", response_model=DraftOut, responses=DRAFT_REFUSALS)
def approve_draft(
    draft_id: RowId, actor: ApiActorDep, session: SessionDep, now: NowDep, body: ApproveIn | None = None
) -> DraftOut:
    """Approve a pending draft, optionally with new text; 409 when it was already handled."""
    body = body or ApproveIn()
    try:
        pipeline.approve(
            session,
            draft_id,
            actor=actor,
            role=API_ROLE,
            now=now,
            text=body.text,
            version=body.version,
            picked=body.picked,
        )
    except pipeline.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except pipeline.Conflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return _draft_out(session, draft_id)


@router.post("/drafts/{draft_id}/reject", response_model=DraftOut, responses=DRAFT_REFUSALS)
def reject_draft(
    draft_id: RowId, body: RejectIn, actor: ApiActorDep, session: SessionDep, now: NowDep
) -> DraftOut:
    """Reject a pending draft with a reason (category and text); 409 when it was already handled."""
    try:
        pipeline.reject(
            session,
            draft_id,
            actor=actor,
            role=API_ROLE,
            reason=body.reason.strip(),
            category=body.category,
            now=now,
            version=body.version,
        )
    except pipeline.NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except pipeline.Conflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return _draft_out(session, draft_id)
