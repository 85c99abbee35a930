"""The review queue's search: case-insensitive substring match on mention and draft text, index-backed.

The indexes come from alembic/versions/0002_search_index.py: pg_trgm GIN indexes on PostgreSQL,
FTS5 trigram tables (search_mention, search_draft) on SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, text
from sqlmodel import Session, col, select

from bot.models import Draft, Mention

# Shorter searches are not run: a trigram index cannot serve one or two characters, so they would
# read every row of a million-mention queue (seconds), and they match too much to be useful.
MIN_LENGTH = 3
# An index lookup that finds at most this many rows per table becomes an `id IN (...)` filter.
# Past it the word is common, and walking the queue in deadline order finds a page of matches
# sooner than reading every match from the index (bench/queue_page.py: 20,000 costs ~0.1 s a table).
CANDIDATE_CAP = 3000
_FTS_QUERIES = {
    "draft": text("SELECT rowid FROM search_draft WHERE search_draft MATCH :phrase LIMIT :n"),
    "mention": text("SELECT rowid FROM search_mention WHERE search_mention MATCH :phrase LIMIT :n"),
}


def like_pattern(q: str) -> str:
    """`%q%` with the user's %, _ and backslash taken literally (escape character: backslash)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def scan_clause(q: str) -> ColumnElement[bool]:
    """The plain filter: mention or draft text contains q, ignoring case (reads every row it walks)."""
    pattern = like_pattern(q)
    return or_(col(Mention.text).ilike(pattern, escape="\\"), col(Draft.text).ilike(pattern, escape="\\"))


def _fts_ids(session: Session, table: str, q: str) -> list[int]:
    # a quoted FTS5 phrase: with the trigram tokenizer it matches q as a substring, ignoring case,
    # and nothing in q (%, _, quotes, operators) has a special meaning
    phrase = '"' + q.replace('"', '""') + '"'
    params = {"phrase": phrase, "n": CANDIDATE_CAP + 1}
    return [int(i) for i in session.execute(_FTS_QUERIES[table], params).scalars()]


def _trgm_ids(session: Session, model: Any, q: str) -> list[int]:
    # pg_trgm's GIN index serves ILIKE '%q%' when the planner expects few matches
    where = col(model.text).ilike(like_pattern(q), escape="\\")
    return [int(i) for i in session.exec(select(model.id).where(where).limit(CANDIDATE_CAP + 1)).all()]


def candidate_draft_ids(session: Session, q: str) -> list[int] | None:
    """Ids of the drafts whose text or mention's text contains q, or None when the index can't say cheaply.

    None means: q is too short for a trigram index (SQLite) or matches more than CANDIDATE_CAP
    rows; the caller then filters with scan_clause.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    if len(q) < MIN_LENGTH:  # FTS5 trigram finds nothing for 1-2 characters
        return None
    # mentions first: a common word is usually common there, and then the drafts need no lookup
    mention_ids = _fts_ids(session, "mention", q) if sqlite else _trgm_ids(session, Mention, q)
    if len(mention_ids) > CANDIDATE_CAP:
        return None
    draft_ids = _fts_ids(session, "draft", q) if sqlite else _trgm_ids(session, Draft, q)
    if len(draft_ids) > CANDIDATE_CAP:
        return None
    if mention_ids:
        of_mentions = select(Draft.id).where(col(Draft.mention_id).in_(mention_ids))
        draft_ids += [int(i) for i in session.exec(of_mentions).all() if i is not None]
    return sorted(set(draft_ids))


def search_clause(session: Session, q: str) -> ColumnElement[bool]:
    """The queue filter for a search: an id lookup when the index finds few rows, else the scan."""
    # one lookup per request: the page and its count ask for the same search in one session
    cache: dict[str, list[int] | None] = session.info.setdefault("search_candidates", {})
    if q not in cache:
        cache[q] = candidate_draft_ids(session, q)
    ids = cache[q]
    return scan_clause(q) if ids is None else col(Draft.id).in_(ids)
