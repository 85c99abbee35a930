"""Mark as answered: for feeds and webhooks, where an agent replies by hand on the site itself."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from bot import store
from bot.models import Conversation, Draft
from bot.pipeline import review
from bot.schemas import RowId
from bot.web import openapi
from bot.web.deps import CsrfUserDep, NowDep, SessionDep

router = APIRouter(responses=openapi.PAGE)
OPEN = ("pending", "snoozed", "escalated", "failed")


@router.post("/queue/{draft_id}/answered", responses=openapi.FORM)
def mark_answered(draft_id: RowId, who: CsrfUserDep, session: SessionDep, now: NowDep) -> Response:
    """Record that someone replied on the platform by hand; nothing is sent by webcare."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"draft {draft_id} does not exist")
    if not review.may_decide(draft, who.user.role):
        error = "Not marked: only a senior can approve, reject or mark this draft answered."
        return RedirectResponse(
            f"/queue/{draft_id}?{urlencode({'error': error})}", status_code=status.HTTP_303_SEE_OTHER
        )
    changed = draft.status in OPEN and store.change_draft(
        session,
        draft_id=draft_id,
        from_status=draft.status,
        version=None,
        values={"status": "answered", "decided_by": who.actor, "decided_at": now, "updated_at": now},
    )
    if not changed:
        session.rollback()
        notice = f"Not marked: the draft is {draft.status}."
        target = f"/queue/{draft_id}"
    else:
        _record_brand_reply(session, draft.conversation_id, now)
        store.audit(
            session,
            actor=who.actor,
            action="draft.answered_by_hand",
            object_type="draft",
            object_id=str(draft_id),
            now=now,
            before={"status": draft.status},
            after={"status": "answered"},
        )
        session.commit()
        notice, target = "Marked as answered.", "/queue"
    return RedirectResponse(
        f"{target}?{urlencode({'notice': notice})}", status_code=status.HTTP_303_SEE_OTHER
    )


def _record_brand_reply(session: Session, conversation_id: int, now: datetime) -> None:
    """The conversation is answered, as if webcare had sent the reply: no more deadline warnings."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is not None:
        conversation.brand_replies += 1
        conversation.last_brand_reply_at = now
        conversation.status, conversation.next_response_due_at = "waiting_customer", None
        session.add(conversation)
