"""What delivery asks of the rest of the pipeline: quiet hours, opt-outs, and what follows a send."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.models import Conversation, Customer, Draft, Mention, Outbox
from bot.pipeline import followups, reminders
from bot.registry import ContentRegistry
from responders import hours, nudges

UNPROMPTED = ("reminder", "follow_up")
# a reminder or follow-up whose community's quiet hours cannot be computed tries again this much later
HOLD_WHEN_UNKNOWN = timedelta(hours=1)
log = logging.getLogger(__name__)


class Aftercare:
    """The delivery policy of a running process, reading the guidelines in force."""

    def __init__(self, registry: ContentRegistry) -> None:
        self.registry = registry

    def hold_until(self, session: Session, row: Outbox, now: datetime) -> datetime | None:
        """Reminders and follow-ups wait for the end of quiet hours, even when approved at night."""
        draft = session.get(Draft, row.draft_id)
        if draft is None or draft.kind not in UNPROMPTED:
            return None
        guideline = reminders.guideline_of(self.registry, draft.community_id)
        if guideline is None:
            return None
        quiet = guideline.reminders.quiet_hours
        try:
            later = hours.after_quiet_hours(now, timezone=guideline.timezone, quiet=quiet)
        except Exception:  # content that slipped past validation: this message waits, the others go
            log.exception("quiet hours unknown, message held", extra={"community": draft.community_id})
            return now + HOLD_WHEN_UNKNOWN
        return later if later != now else None

    def cancel_reason(self, session: Session, row: Outbox, now: datetime) -> str | None:
        """Why an approved reminder or follow-up must not go out after all (opted out, too late)."""
        draft = session.get(Draft, row.draft_id)
        if draft is None or draft.kind not in UNPROMPTED:
            return None
        guideline = reminders.guideline_of(self.registry, draft.community_id)
        conversation = session.get(Conversation, draft.conversation_id)
        customer = session.get(Customer, conversation.customer_id) if conversation else None
        if guideline is None or customer is None:
            return None
        replied = conversation.last_customer_message_at if conversation else None
        if draft.kind == "reminder" and replied is not None and replied > draft.created_at:
            return "customer replied"
        words = guideline.reminders.opt_out_words
        if reminders.note_opt_out(session, customer, words, since=draft.created_at):
            return "customer opted out"
        return followups.too_late(session, draft, self.registry, now)

    def after_sent(self, session: Session, draft: Draft, now: datetime) -> None:
        """Plan a reminder after a question; note when a satisfaction check went out."""
        try:
            reminders.schedule_after_sent(session, draft, self.registry, now)
        except Exception:  # the message went out; content that cannot plan a nudge must not undo that
            log.exception("no reminder planned", extra={"community": draft.community_id})
        followups.after_sent(session, draft, self.registry, now)


def on_customer_message(
    session: Session, registry: ContentRegistry, mention_id: int, *, now: datetime
) -> None:
    """React at once to a new customer message: an opt-out, a complaint, an awaited satisfaction answer."""
    # the jobs' sweep would notice within a minute too; doing it now means no follow-up slips out meanwhile
    mention = session.get(Mention, mention_id)
    customer = session.get(Customer, mention.customer_id) if mention else None
    guideline = reminders.guideline_of(registry, mention.community_id) if mention else None
    if mention is None or customer is None or guideline is None:
        return
    if customer.opted_out_at is None and nudges.is_opt_out(mention.text, guideline.reminders.opt_out_words):
        customer.opted_out_at = mention.received_at
        session.add(customer)
    followups.on_customer_message(session, mention, registry, now)
    session.commit()
