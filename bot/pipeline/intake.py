"""Receiving mentions: stored once, analysed, drafted."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import db, store
from bot.models import Draft
from bot.pipeline import aftercare
from bot.pipeline.errors import CommunityUnavailable, UnknownChannel
from bot.pipeline.review import approve_by_policy
from bot.pipeline.set_aside import Unreadable, is_transient, reason_for, set_aside
from bot.registry import ContentRegistry
from responders import domain, nudges
from responders.engine import Community, respond
from responders.text import order_number

log = logging.getLogger(__name__)
# C0 control characters but tab, newline and carriage return: no customer means them, and
# PostgreSQL cannot store U+0000; a stray one must not cost the customer their message
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HALF_PAIR = re.compile("[\ud800-\udfff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Received:
    """What happened to one incoming mention."""

    mention_id: int
    draft_id: int | None
    duplicate: bool
    action: str
    # an opt-out, or a message from a customer who ordered: follow-ups must hear of it
    touches_follow_ups: bool = False


# A concurrent request may create the same customer, thread or mention between our look-up and
# our insert; the loser rolls back and tries again, finding the winner's rows.
ATTEMPTS = 3


def receive(
    session: Session,
    mention: domain.Mention,
    registry: ContentRegistry,
    *,
    now: datetime,
    commit: bool = True,
) -> Received:
    """Store a mention once and draft the community's answer; idempotent on (platform, external_id).

    With commit=False the caller commits, so a batch of mentions shares one commit, and then
    calls after_commit; a clash with a concurrent writer raises with nothing rolled back (see
    bot.ingest).
    """
    mention = readable(mention)
    community = registry.community_for(mention.platform, mention.channel)
    if community is None:
        existing = store.mention_id_for(session, platform=mention.platform, external_id=mention.external_id)
        if existing is not None:  # stored before its channel was dropped from the guidelines
            return _duplicate(session, existing)
        raise UnknownChannel(f"no community listens to {mention.platform} channel {mention.channel!r}")
    if not commit:
        return _store_new(session, mention, community, now)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with db.write_turn(session):
                result = _store_new(session, mention, community, now)
                session.commit()
            after_commit(session, registry, result, now=now)
            return result
        except IntegrityError:
            session.rollback()
            stored = store.mention_id_for(session, platform=mention.platform, external_id=mention.external_id)
            if stored is not None:
                return _duplicate(session, stored)
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def clean_text(text: str) -> str:
    """What a person wrote, without control characters and with half an emoji shown as U+FFFD."""
    return _HALF_PAIR.sub("\ufffd", _CONTROLS.sub("", text))


def readable(mention: domain.Mention) -> domain.Mention:
    """The mention with its words cleaned (clean_text); Unreadable when an id or address holds
    what no database stores, as an id cannot be mended without risking a mix-up with another."""
    addresses = {
        "channel": mention.channel,
        "external id": mention.external_id,
        "author id": mention.author.id,
        "thread": mention.thread_ref,
        "link": mention.url,
    }
    for name, value in addresses.items():
        if _UNSTORABLE.search(value):
            raise Unreadable(f"its {name} holds U+0000 or half a surrogate pair")
    author = mention.author
    words = (mention.text, author.name, author.handle)
    if not any(_CONTROLS.search(w) or _HALF_PAIR.search(w) for w in words):
        return mention
    author = replace(author, name=clean_text(author.name), handle=clean_text(author.handle))
    return replace(mention, text=clean_text(mention.text), author=author)


def after_commit(session: Session, registry: ContentRegistry, received: Received, *, now: datetime) -> None:
    """Opt-outs, complaints that end follow-ups and satisfaction answers take effect right away."""
    if not received.touches_follow_ups:
        return
    try:
        aftercare.on_customer_message(session, registry, received.mention_id, now=now)
    except Exception:  # the mention is stored already; the jobs' sweep catches up within a minute
        session.rollback()
        log.exception(
            "could not apply a customer message to follow-ups", extra={"mention_id": received.mention_id}
        )


def _duplicate(session: Session, mention_id: int) -> Received:
    draft = store.draft_summary(session, mention_id=mention_id)
    return Received(mention_id, draft[0] if draft else None, True, draft[1] if draft else "no_reply")


def _store_new(session: Session, mention: domain.Mention, community: Community, now: datetime) -> Received:
    """Customer, thread, mention and draft in one transaction; upserts make concurrent intake safe."""
    guideline = community.guideline
    known = store.intake_lookup(session, mention=mention, community_id=guideline.id)
    if known.mention_id is not None:
        return _duplicate(session, known.mention_id)
    customer = known.customer
    facts = store.thread_facts(session, thread_id=known.thread.id) if known.thread else None
    context = domain.Context(
        now=now,
        brand_replies_in_thread=known.thread.brand_replies if known.thread else 0,
        last_reply_to_customer_at=customer.last_reply_at if customer else None,
        previous_opening=known.previous_opening,
        order_number=_given_order_number(facts),
        answered_in_thread=facts.answered_faq_ids if facts else (),
    )
    try:
        response = respond(mention, context, community)
    except Exception as exc:
        # content that slipped past validation: this community's messages wait, the others flow
        log.exception("community content failed at run time", extra={"community": guideline.id})
        raise CommunityUnavailable(
            f"community {guideline.id!r} cannot take in messages: its content failed "
            f"({type(exc).__name__}: {exc}); fix it and send the message again"
        ) from exc
    customer_id = store.save_customer(
        session, known=customer, platform=mention.platform, author=mention.author, now=now
    )
    thread_id = store.save_thread(
        session,
        known=known.thread,
        community_id=guideline.id,
        customer_id=customer_id,
        mention=mention,
        due_at=response.decision.due_at if response.draft is not None else None,
        now=now,
    )
    mention_id = store.insert_mention(
        session, **_mention_fields(mention, response, guideline.id, thread_id, customer_id, now)
    )
    draft_id = store.insert_draft(
        session, **_draft_fields(response, mention_id, guideline.id, thread_id, now, community.faq.entries)
    )
    if response.decision.approval == "auto" and response.draft is not None:
        stored = session.get(Draft, draft_id)
        assert stored is not None
        approve_by_policy(session, stored, now=now)
    # only an opt-out or a customer who ordered can change follow-ups, and most messages are neither
    opt_out = nudges.is_opt_out(mention.text, guideline.reminders.opt_out_words)
    ordered = customer is not None and customer.has_orders
    return Received(mention_id, draft_id, False, response.decision.action, opt_out or ordered)


def _given_order_number(facts: store.ThreadFacts | None) -> str:
    """The newest order number the customer wrote earlier in the thread, so nobody asks again."""
    for text in facts.texts if facts else ():
        number = order_number(text)
        if number:
            return number
    return ""


def _mention_fields(
    mention: domain.Mention,
    response: domain.Response,
    community_id: str,
    thread_id: int,
    customer_id: int,
    now: datetime,
) -> dict[str, Any]:
    analysis = response.analysis
    return {
        "platform": mention.platform,
        "external_id": mention.external_id,
        "community_id": community_id,
        "conversation_id": thread_id,
        "customer_id": customer_id,
        "channel": mention.channel,
        "thread_ref": mention.thread_ref,
        "url": mention.url,
        "text": mention.text,
        "created_at": mention.created_at,
        "received_at": now,
        "language": analysis.language,
        "sentiment": analysis.sentiment,
        "sentiment_label": analysis.sentiment_label,
        "signals": sorted(analysis.signals),
        "act": analysis.act,
    }


def _question(faq: Mapping[str, domain.FaqEntry], faq_id: str) -> str:
    entry = faq.get(faq_id)
    return entry.question if entry else ""


def _draft_fields(
    response: domain.Response,
    mention_id: int,
    community_id: str,
    thread_id: int,
    now: datetime,
    faq: Mapping[str, domain.FaqEntry],
) -> dict[str, Any]:
    decision, draft = response.decision, response.draft
    return {
        "mention_id": mention_id,
        "conversation_id": thread_id,
        "community_id": community_id,
        "kind": draft.kind if draft else "reply",
        "status": "pending" if draft else "ignored",
        "action": decision.action,
        "text": draft.text if draft else "",
        "original_text": draft.text if draft else "",
        "language": draft.language if draft else response.analysis.language,
        "opening": draft.opening if draft else "",
        "faq_id": draft.faq_id if draft else None,
        "confidence": draft.confidence if draft else 0.0,
        "priority": decision.priority,
        "team": decision.team,
        "approval_level": decision.approval,
        "due_at": decision.due_at,
        "reasons": list(decision.reasons),
        # vars, not asdict: asdict deep-copies, and this runs for every mention
        "alternatives": [dict(vars(a)) for a in draft.alternatives] if draft else [],
        "candidates": [{**vars(c), "question": _question(faq, c.faq_id)} for c in response.candidates],
        "created_at": now,
        "updated_at": now,
    }


def sync_communities(session: Session, registry: ContentRegistry, *, now: datetime) -> None:
    """Make sure every loaded community has its row with the revision in force."""
    snapshot = registry.snapshot
    for gid, community in snapshot.communities.items():
        store.upsert_community(
            session,
            community_id=gid,
            name=community.guideline.name,
            revision=snapshot.revisions[gid],
            now=now,
        )
    session.commit()


def take_in(
    session: Session, registry: ContentRegistry, mention: domain.Mention, *, now: datetime
) -> Received | None:
    """Receive one mention; None (and a log line) when no community listens to its channel.

    A community that listens but cannot take messages in right now (CommunityUnavailable) is
    raised, not skipped: the caller sets the message aside, so no customer's words are lost.
    """
    try:
        return receive(session, mention, registry, now=now)
    except CommunityUnavailable:
        raise
    except UnknownChannel as exc:
        log.warning("mention skipped: %s", exc, extra={"external_id": mention.external_id})
        return None


def set_aside_or_raise(
    session: Session, exc: Exception, *, platform: str, source: str, payload: str, now: datetime
) -> None:
    """After a message failed: raise a passing failure so it is tried again; set anything else
    aside (it would fail every time), so the messages after it flow. See docs/operations.md."""
    session.rollback()
    if is_transient(exc):
        raise exc
    log.warning("message set aside", exc_info=exc, extra={"platform": platform, "source": source})
    set_aside(session, platform=platform, source=source, payload=payload, reason=reason_for(exc), now=now)
