"""Learning from agents: a customer's words the bot answered wrongly become an FAQ example phrasing.

When an agent approves a draft with another FAQ answer picked, or rewrites it, the mention is
offered to community managers; accepting adds it to the FAQ entry's examples as a revision like
any other, dismissing drops it. Either way it is not offered again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot import content_edit, faq_examples, store
from bot.models import Draft, ExampleSuggestion, Mention, SuggestionSource, SuggestionStatus
from bot.pipeline.errors import Conflict, NotFound
from bot.registry import ContentRegistry

# what these customers do is not asking something an FAQ answers: a rewrite there teaches nothing
NOT_FAQ_MATERIAL = frozenset({"legal_threat", "health_safety", "press", "spam", "conversation"})


def alternative_ids(alternatives: list[Any]) -> list[str]:
    """The FAQ ids of a draft's alternatives (dicts since 0006, plain ids before)."""
    return [str(a.get("faq_id", "")) if isinstance(a, dict) else str(a) for a in alternatives]


def offer(session: Session, draft: Draft, *, final: str, picked: str | None, now: datetime) -> None:
    """After an approval: offer the customer's words when the agent picked another answer or rewrote."""
    mention = session.get(Mention, draft.mention_id) if draft.mention_id is not None else None
    if mention is None or mention.act in NOT_FAQ_MATERIAL or draft.id is None:
        return
    source: SuggestionSource
    faq_id: str | None
    if picked and picked in alternative_ids(draft.alternatives):
        source, faq_id = "alternative", picked
    elif final != draft.original_text:
        source, faq_id = "rewrite", draft.faq_id
    else:
        return
    session.add(ExampleSuggestion(draft_id=draft.id, source=source, faq_id=faq_id, created_at=now))


@dataclass(frozen=True)
class Offer:
    """A pending suggestion with the draft the agent approved and the customer's mention."""

    suggestion: ExampleSuggestion
    draft: Draft
    mention: Mention


def pending(session: Session, *, limit: int = 50) -> tuple[list[Offer], int]:
    """The newest pending suggestions (at most limit) and how many are pending in all."""
    stmt = (
        select(ExampleSuggestion, Draft, Mention)
        .join(Draft, col(Draft.id) == col(ExampleSuggestion.draft_id))
        .join(Mention, col(Mention.id) == col(Draft.mention_id))
        .where(ExampleSuggestion.status == "pending")
        .order_by(col(ExampleSuggestion.created_at).desc(), col(ExampleSuggestion.id).desc())
        .limit(limit)
    )
    rows = [Offer(s, d, m) for s, d, m in session.exec(stmt).all()]
    total = session.exec(
        select(func.count()).select_from(ExampleSuggestion).where(ExampleSuggestion.status == "pending")
    ).one()
    return rows, int(total)


def _decide(
    session: Session,
    row: ExampleSuggestion,
    status: SuggestionStatus,
    *,
    faq_id: str | None,
    actor: str,
    now: datetime,
) -> None:
    """Move a pending suggestion on, once: two community managers never both act on it."""
    result = session.execute(
        update(ExampleSuggestion)
        .where(col(ExampleSuggestion.id) == row.id, col(ExampleSuggestion.status) == "pending")
        .values(status=status, faq_id=faq_id, decided_by=actor, decided_at=now)
    )
    if getattr(result, "rowcount", 0) != 1:
        session.rollback()
        raise Conflict("someone else has just accepted or dismissed this suggestion")
    store.audit(
        session, actor=actor, action=f"faq.example_{'accept' if status == 'accepted' else 'dismiss'}",
        object_type="example_suggestion", object_id=str(row.id), now=now,
        before={"status": "pending", "faq_id": row.faq_id}, after={"status": status, "faq_id": faq_id},
    )  # fmt: skip


def _pending_row(session: Session, suggestion_id: int) -> ExampleSuggestion:
    row = session.get(ExampleSuggestion, suggestion_id)
    if row is None:
        raise NotFound(f"suggestion {suggestion_id} does not exist")
    if row.status != "pending":
        raise Conflict(f"this suggestion was already {row.status} by {row.decided_by}")
    return row


def dismiss(session: Session, suggestion_id: int, *, actor: str, now: datetime) -> None:
    """Drop a suggestion: it is not offered again."""
    row = _pending_row(session, suggestion_id)
    _decide(session, row, "dismissed", faq_id=row.faq_id, actor=actor, now=now)
    session.commit()


def accept(
    session: Session,
    registry: ContentRegistry,
    suggestion_id: int,
    *,
    faq_id: str,
    example: str,
    actor: str,
    now: datetime,
) -> str:
    """Add the example to the FAQ entry's file as a new revision; returns the file's name.

    Raises ValueError when the entry, the example or the edited file is not right.
    """
    row = _pending_row(session, suggestion_id)
    entry = registry.snapshot.faq.entries.get(faq_id)
    if entry is None:
        raise ValueError(f"there is no FAQ entry {faq_id!r}")
    words = faq_examples.phrase(example)
    if not words:
        raise ValueError("the example is empty")
    file = faq_examples.file_of(registry, faq_id)
    if file is None:
        raise ValueError(f"no FAQ file holds the entry {faq_id!r}")
    known = {e.casefold() for e in entry.examples}
    text = None
    if words.casefold() not in known:
        text = faq_examples.add_example(file.path.read_text(encoding="utf-8"), faq_id, words)
        errors = content_edit.validate(registry, file, text)
        if errors:
            raise ValueError(f"the FAQ file would not be valid: {errors[0]}")
    _decide(session, row, "accepted", faq_id=faq_id, actor=actor, now=now)
    if text is None:  # already one of the entry's examples: nothing to write
        session.commit()
    else:
        note = f"example for {faq_id} from draft #{row.draft_id}"
        content_edit.save(session, registry, file, text, actor=actor, now=now, note=note)
        session.commit()  # save commits only when the text changed
    return file.name
