"""Reviewing drafts: approve (maybe edited) or reject, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col

from bot import store
from bot.models import (
    REJECT_CATEGORIES,
    Conversation,
    Draft,
    ExampleSuggestion,
    Mention,
    Outbox,
    RejectCategory,
)
from bot.pipeline import examples
from bot.pipeline.errors import Conflict, Forbidden, NotFound

SENIOR_ROLES = frozenset({"senior", "community_manager", "admin"})


def may_decide(draft: Draft, role: str) -> bool:
    """Whether this role may decide a draft: approve it, reject it or mark it answered by hand.

    A draft that needs a senior (a legal threat, the press, an escalation) is decided by a senior
    whichever way it goes: not answering it, or saying it was answered elsewhere, settles it as
    much as a reply does. Anyone may still assign, snooze or escalate it.
    """
    return draft.approval_level != "senior" or role in SENIOR_ROLES


def require_decider(draft: Draft, role: str) -> None:
    """Refuse a decision on a draft this role may not decide (Forbidden)."""
    if not may_decide(draft, role):
        raise Forbidden("only a senior can approve, reject or mark this draft answered")


def approve(
    session: Session,
    draft_id: int,
    *,
    actor: str,
    role: str,
    now: datetime,
    text: str | None = None,
    version: int | None = None,
    picked: str | None = None,
    hold: timedelta = timedelta(0),
) -> Draft:
    """Approve a pending draft (maybe edited) and queue it for delivery, exactly once.

    picked names the alternative FAQ answer the agent chose instead of the bot's, if any; hold is
    the undo window: delivery does not take the reply before now + hold (see undo_approval).
    """
    draft = _pending(session, draft_id)
    require_decider(draft, role)
    _approve(session, draft, actor=actor, text=text, now=now, version=version, picked=picked, hold=hold)
    session.commit()
    session.refresh(draft)
    return draft


def _approve(
    session: Session,
    draft: Draft,
    *,
    actor: str,
    text: str | None,
    now: datetime,
    version: int | None = None,
    picked: str | None = None,
    hold: timedelta = timedelta(0),
) -> None:
    assert draft.id is not None
    # browsers send textarea line breaks as \r\n; replies keep the platform-neutral \n
    edited = (text or "").replace("\r\n", "\n").strip()
    final = edited or draft.text
    changed = store.change_draft(
        session,
        draft_id=draft.id,
        from_status="pending",
        version=version,
        values={
            "status": "approved",
            "text": final,
            "decided_by": actor,
            "decided_at": now,
            "updated_at": now,
        },
    )
    if not changed:
        session.rollback()
        raise Conflict("this draft was already handled by someone else")
    platform, channel, thread_ref, reply_to = _target(session, draft)
    session.add(
        Outbox(
            draft_id=draft.id,
            idempotency_key=f"draft:{draft.id}",
            platform=platform,
            channel=channel,
            thread_ref=thread_ref,
            reply_to=reply_to,
            text=final,
            # delivery claims only rows due by its clock: the undo window is simply a later due time
            next_attempt_at=now + hold,
            created_at=now,
        )
    )
    was_edited = final != draft.original_text
    picked = picked if picked in examples.alternative_ids(draft.alternatives) else None
    store.audit(
        session,
        actor=actor,
        action="draft.approve_edited" if was_edited else "draft.approve",
        object_type="draft",
        object_id=str(draft.id),
        now=now,
        before={"status": "pending", "text": draft.original_text},
        after={"status": "approved", "text": final, **({"picked": picked} if picked else {})},
    )
    examples.offer(session, draft, final=final, picked=picked, now=now)


def undo_approval(session: Session, draft_id: int, *, actor: str, now: datetime) -> Draft:
    """Take back one's own approval while its reply still waits in the undo window; nothing is sent."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"draft {draft_id} does not exist")
    if draft.status != "approved":
        raise Conflict(f"this draft is {draft.status}, not waiting to be sent")
    if draft.decided_by != actor:
        raise Forbidden("only the person who approved a reply can undo it")
    # compare-and-set against the delivery worker: only a row it has not claimed, still due later
    taken = session.execute(
        delete(Outbox).where(
            col(Outbox.draft_id) == draft_id,
            col(Outbox.status) == "pending",
            col(Outbox.attempts) == 0,
            col(Outbox.next_attempt_at) > now,
        )
    )
    if getattr(taken, "rowcount", 0) != 1:
        session.rollback()
        raise Conflict("too late to undo: the reply is already on its way to the customer")
    changed = store.change_draft(
        session,
        draft_id=draft_id,
        from_status="approved",
        version=None,
        values={"status": "pending", "decided_by": "", "decided_at": None, "updated_at": now},
    )
    if not changed:
        session.rollback()
        raise Conflict("this draft was changed by someone else meanwhile; look again")
    # the approval offered the customer's words as an FAQ example; an undone approval offers nothing
    session.execute(
        delete(ExampleSuggestion).where(
            col(ExampleSuggestion.draft_id) == draft_id, col(ExampleSuggestion.status) == "pending"
        )
    )
    store.audit(
        session, actor=actor, action="draft.undo_approve", object_type="draft", object_id=str(draft_id),
        now=now, before={"status": "approved"}, after={"status": "pending"},
    )  # fmt: skip
    session.commit()
    session.refresh(draft)
    return draft


def _target(session: Session, draft: Draft) -> tuple[str, str, str, str]:
    """Where a draft goes: in reply to its mention, or (reminders, follow-ups) into its conversation."""
    if draft.mention_id is not None:
        mention = session.get(Mention, draft.mention_id)
        assert mention is not None
        return mention.platform, mention.channel, mention.thread_ref, mention.external_id
    conversation = session.get(Conversation, draft.conversation_id)
    assert conversation is not None
    return conversation.platform, conversation.channel, conversation.thread_ref, ""


def reject(
    session: Session,
    draft_id: int,
    *,
    actor: str,
    role: str,
    reason: str,
    now: datetime,
    category: RejectCategory = "other",
    version: int | None = None,
) -> Draft:
    """Reject a pending draft with a reason (a category and free text); nothing is sent."""
    if category not in REJECT_CATEGORIES:
        raise ValueError(f"the reject reason is one of {', '.join(REJECT_CATEGORIES)}")
    require_decider(_pending(session, draft_id), role)
    return _update_pending(
        session, draft_id, actor=actor, action="draft.reject", now=now, version=version,
        values={"status": "rejected", "reject_category": category, "reject_reason": reason,
                "decided_by": actor, "decided_at": now},
    )  # fmt: skip


def _pending(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"draft {draft_id} does not exist")
    if draft.status != "pending":
        by = f" by {draft.decided_by}" if draft.decided_by else ""
        raise Conflict(f"this draft was already handled: it is {draft.status}{by}")
    return draft


def approve_by_policy(session: Session, draft: Draft, *, now: datetime) -> None:
    """Approve a draft the guideline lets go out without a human; recorded as such."""
    _approve(session, draft, actor="policy:auto-send", text=None, now=now)


def _update_pending(
    session: Session,
    draft_id: int,
    *,
    actor: str,
    action: str,
    now: datetime,
    version: int | None,
    values: dict[str, Any],
) -> Draft:
    """Change a pending draft if nobody got there first, and record it in the audit log."""
    draft = _pending(session, draft_id)
    before = {key: _plain(getattr(draft, key)) for key in values}
    changed = store.change_draft(
        session,
        draft_id=draft_id,
        from_status="pending",
        version=version,
        values={**values, "updated_at": now},
    )
    if not changed:
        session.rollback()
        raise Conflict("this draft was changed by someone else meanwhile; look again")
    after = {key: _plain(value) for key, value in values.items()}
    store.audit(
        session, actor=actor, action=action, object_type="draft", object_id=str(draft_id), now=now,
        before=before, after=after,
    )  # fmt: skip
    session.commit()
    session.refresh(draft)
    return draft


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def assign(
    session: Session, draft_id: int, *, actor: str, to: str, now: datetime, version: int | None = None
) -> Draft:
    """Give a pending draft to one agent ('' takes it back to the team)."""
    return _update_pending(
        session, draft_id, actor=actor, action="draft.assign", now=now, version=version,
        values={"assigned_to": to},
    )  # fmt: skip


def snooze(
    session: Session, draft_id: int, *, actor: str, until: datetime, now: datetime, version: int | None = None
) -> Draft:
    """Hide a pending draft from the queue until a later time."""
    if until <= now:
        raise ValueError("snooze until a time in the future")
    return _update_pending(
        session, draft_id, actor=actor, action="draft.snooze", now=now, version=version,
        values={"snoozed_until": until},
    )  # fmt: skip


def escalate(
    session: Session,
    draft_id: int,
    *,
    actor: str,
    note: str,
    now: datetime,
    version: int | None = None,
    team: str = "",
) -> Draft:
    """Hand a draft to the seniors, or to a team ('' keeps its team): it rises in priority.

    To the seniors it needs a senior's approval; to a team it moves to that team's queue and its
    approval level stays (a team's agents may answer what their rules let them).
    """
    draft = _pending(session, draft_id)
    priority = draft.priority if draft.priority in ("urgent", "high") else "high"
    moves = {"team": team} if team else {"approval_level": "senior"}
    return _update_pending(
        session, draft_id, actor=actor, action="draft.escalate", now=now, version=version,
        values={**moves, "priority": priority, "escalated_at": now,
                "escalation_note": note, "snoozed_until": None},
    )  # fmt: skip
