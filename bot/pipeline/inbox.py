"""The API's intake queue: a posted mention is stored as it came and answered; a drafter takes it
in (customer, thread, mention, draft) a moment later and removes it, in one transaction.

Drafting a reply costs several times what the web framework spends on a request, so the request
only makes the mention durable (a row in `inbound`, written with the other requests of the same
moment: bot/pipeline/group_commit.py) and the drafter does the rest. A crash between the two
loses nothing: the row stays until its mention is stored, and storing it twice stores it once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot import db, store
from bot.models import Inbound, Mention
from bot.pipeline.errors import UnknownChannel
from bot.pipeline.intake import Received, after_commit, readable, receive
from bot.pipeline.set_aside import Unreadable, is_transient, reason_for, set_aside
from bot.registry import ContentRegistry
from responders import domain

log = logging.getLogger(__name__)
QUEUED = "queued"
_INBOUND: Table = Inbound.__table__  # type: ignore[attr-defined]  # Core: one statement a batch
DRAFT_BATCH = 32  # mentions per drafter transaction: small, so a request never waits long behind it


@dataclass(frozen=True)
class Queued:
    """What became of one posted mention: waiting to be drafted, or stored before (a repeat)."""

    intake_id: int | None  # its place in the queue while it waits
    mention_id: int | None  # set for a mention stored before
    draft_id: int | None
    duplicate: bool
    action: str  # "queued", or what was drafted for a mention stored before


def to_json(mention: domain.Mention) -> str:
    """A mention as the queue keeps it."""
    return json.dumps(asdict(mention) | {"created_at": mention.created_at.isoformat()}, ensure_ascii=False)


def from_json(body: str) -> domain.Mention:
    """A queued mention back as the pipeline takes it."""
    fields: dict[str, Any] = json.loads(body)
    author = domain.Author(**fields.pop("author"))
    created_at = datetime.fromisoformat(fields.pop("created_at"))
    return domain.Mention(author=author, created_at=created_at, **fields)


def queue(
    session: Session, registry: ContentRegistry, posted: Sequence[tuple[domain.Mention, datetime]]
) -> list[Queued | Exception]:
    """Queue new mentions, each with the moment it was posted, in the open transaction (the caller
    commits); a repeat of a stored mention is answered with its ids, and a refused one with the
    error (UnknownChannel, Unreadable), before anything is written for it."""
    stored = _stored(session, [mention for mention, _ in posted])
    answers: list[Queued | Exception | None] = []
    new: list[dict[str, Any]] = []
    for mention, now in posted:
        known = stored.get((mention.platform, mention.external_id))
        if known is not None:
            draft = store.draft_summary(session, mention_id=known)
            action = draft[1] if draft else "no_reply"
            answers.append(Queued(None, known, draft[0] if draft else None, True, action))
            continue
        try:
            mention = readable(mention)
        except Unreadable as exc:
            answers.append(exc)
            continue
        if registry.community_for(mention.platform, mention.channel) is None:
            answers.append(
                UnknownChannel(f"no community listens to {mention.platform} channel {mention.channel!r}")
            )
            continue
        answers.append(None)  # answered once its row is written
        new.append(
            {
                "platform": mention.platform,
                "external_id": mention.external_id,
                "author_id": mention.author.id,
                "body": to_json(mention),
                "received_at": now,
            }
        )
    ids = _insert(session, new)
    rows = iter(new)
    return [answer if answer is not None else _queued(ids, next(rows)) for answer in answers]


def _queued(ids: dict[tuple[str, str], int], row: dict[str, Any]) -> Queued:
    intake_id = ids.pop((row["platform"], row["external_id"]), None)
    # no row of its own: the same mention waits in the queue already (posted twice in a moment)
    return Queued(intake_id, None, None, intake_id is None, QUEUED)


def _stored(session: Session, mentions: Sequence[domain.Mention]) -> dict[tuple[str, str], int]:
    """The stored mentions among these, by platform and external id: one query for a batch."""
    ids = {m.external_id for m in mentions}
    rows = session.exec(
        select(Mention.platform, Mention.external_id, Mention.id).where(col(Mention.external_id).in_(ids))
    ).all()
    return {(platform, external_id): mention_id for platform, external_id, mention_id in rows if mention_id}


def _insert(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Write the rows in one statement; the ids of the new ones (a row queued already is skipped)."""
    if not rows:
        return {}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = _INBOUND.c
    statement = (
        insert(_INBOUND)
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(table.id, table.platform, table.external_id)
    )
    written = session.execute(statement, rows).all()
    return {(platform, external_id): int(intake_id) for intake_id, platform, external_id in written}


def waiting(session: Session) -> int:
    """How many posted mentions wait to be drafted."""
    return int(session.exec(select(func.count()).select_from(Inbound)).one())


def draft_queued(session: Session, registry: ContentRegistry, *, limit: int = DRAFT_BATCH) -> int:
    """Take in the oldest queued mentions, each as of the moment it was posted; the number taken.

    Together in one transaction with the removal of their rows; when that fails for what one of
    them holds, each on its own, and the one that fails is set aside with its reason. A passing
    failure (database down or locked) is raised with nothing changed: the next round tries again.
    """
    try:
        with db.write_turn(session):
            rows = _claim(session, limit)
            received = [_take(session, registry, row) for row in rows]
            session.commit()
    except Exception as exc:
        session.rollback()
        if is_transient(exc):
            raise
        log.warning("queued mentions failed together; taking them in one by one", exc_info=True)
        return _one_by_one(session, registry, limit)
    _after(session, registry, received)
    return len(rows)


def _claim(session: Session, limit: int, only: int | None = None) -> list[Inbound]:
    """Remove the oldest queued rows (or one) and return them: the first write of the transaction,
    so two drafters never take the same row, and a rollback puts them back."""
    oldest = select(col(Inbound.id)).order_by(col(Inbound.id)).limit(limit)
    if only is not None:
        oldest = oldest.where(col(Inbound.id) == only)
    if session.get_bind().dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    taken = session.execute(
        delete(Inbound).where(col(Inbound.id).in_(oldest.scalar_subquery())).returning(Inbound)
    )
    return sorted(taken.scalars().all(), key=lambda row: row.id or 0)


def _take(session: Session, registry: ContentRegistry, row: Inbound) -> tuple[Received, datetime] | None:
    mention = from_json(row.body)
    try:
        return receive(session, mention, registry, now=row.received_at, commit=False), row.received_at
    except UnknownChannel as exc:  # its community stopped listening while it waited: nobody to draft for
        log.warning("queued mention skipped: %s", exc, extra={"external_id": mention.external_id})
        return None


def _one_by_one(session: Session, registry: ContentRegistry, limit: int) -> int:
    ids = [i for i in session.exec(select(Inbound.id).order_by(col(Inbound.id)).limit(limit)).all() if i]
    for intake_id in ids:
        try:
            with db.write_turn(session):
                received = [_take(session, registry, row) for row in _claim(session, 1, only=intake_id)]
                session.commit()
        except Exception as exc:
            session.rollback()
            if is_transient(exc):
                raise
            _set_aside(session, intake_id, exc)
            continue
        _after(session, registry, received)
    return len(ids)


def _set_aside(session: Session, intake_id: int, exc: Exception) -> None:
    """Keep a queued mention that cannot be taken in with its reason, and let the queue go on."""
    with db.write_turn(session):
        rows = _claim(session, 1, only=intake_id)
        for row in rows:
            log.warning("queued mention set aside", exc_info=exc, extra={"external_id": row.external_id})
            set_aside(
                session,
                platform=row.platform,
                source=f"api {row.external_id}",
                payload=row.body,
                reason=reason_for(exc),
                now=row.received_at,
                commit=False,
            )
        session.commit()


def _after(
    session: Session, registry: ContentRegistry, received: list[tuple[Received, datetime] | None]
) -> None:
    for taken in received:
        if taken is not None:
            after_commit(session, registry, taken[0], now=taken[1])
