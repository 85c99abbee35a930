"""The review queue's search: case-insensitive substring match on mention and draft text, index-backed.

The indexes come from alembic/versions/0002_search_index.py: pg_trgm GIN indexes on PostgreSQL,
FTS5 trigram tables (search_mention, search_draft) on SQLite. How many rows a search finds decides
how it is run (see search_clause); on PostgreSQL the planner's own sample of texts tells (TextSample,
enlarged by alembic/versions/0005_search_statistics.py). docs/benchmarks.md ("Queue page") has the
numbers.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import ARRAY, ColumnElement, Integer, and_, any_, cast, column, func, or_, text, union
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.models import Draft, Mention

# Shorter searches are not run: a trigram index cannot serve one or two characters, so they would
# read every row of a million-mention queue (seconds), and they match too much to be useful.
MIN_LENGTH = 3
# An index lookup that finds at most this many rows per table becomes an `id IN (...)` filter.
# Past it the word is common, and walking the queue in deadline order finds a page of matches
# sooner than reading every match from the index (bench/queue_page.py: 20,000 costs ~0.1 s a table).
CANDIDATE_CAP = 3000
# Between the two the queue keeps the rows whose id the index lists, the index read inside the
# query (no id list through Python): ~30 ms (SQLite) to ~50 ms (PostgreSQL) for 11,000 matches
# of a million. Past this the deadline-ordered walk is faster.
SUBQUERY_CAP = 30_000
# PostgreSQL: a search word in at most this many rows is read from the index alone when the search
# also holds a word in more than SUBQUERY_CAP rows (see _trgm_lookup). Checking the whole search
# on 10,000 rows costs about what reading the common word's trigrams does (~30 ms at a million).
RARE_WORD = 10_000
# what pg_trgm counts as words: runs of letters and digits; shorter than 3 it cannot index them
_WORD = re.compile(r"\w{3,}")
_FTS_QUERIES = {
    "draft": text("SELECT rowid FROM search_draft WHERE search_draft MATCH :phrase LIMIT :n"),
    "mention": text("SELECT rowid FROM search_mention WHERE search_mention MATCH :phrase LIMIT :n"),
}
_FTS_COUNT = {
    table: text(f"SELECT count(*) FROM ({query.text})")  # noqa: S608  (constant SQL, bound values)
    for table, query in _FTS_QUERIES.items()
}


def like_pattern(q: str) -> str:
    """`%q%` with the user's %, _ and backslash taken literally (escape character: backslash)."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _contains(model: Any, q: str) -> ColumnElement[bool]:
    """model.text contains q, ignoring case, with q taken literally (pg_trgm indexes this on PostgreSQL)."""
    return col(model.text).ilike(like_pattern(q), escape="\\")


def scan_clause(q: str) -> ColumnElement[bool]:
    """The plain filter: mention or draft text contains q, ignoring case (reads every row it walks)."""
    return or_(_contains(Mention, q), _contains(Draft, q))


def _phrase(q: str) -> str:
    # a quoted FTS5 phrase: with the trigram tokenizer it matches q as a substring, ignoring case,
    # and nothing in q (%, _, quotes, operators) has a special meaning
    return '"' + q.replace('"', '""') + '"'


def _fts_ids(session: Session, table: str, q: str) -> list[int]:
    params = {"phrase": _phrase(q), "n": CANDIDATE_CAP + 1}
    return [int(i) for i in session.execute(_FTS_QUERIES[table], params).scalars()]


def _fts_count(session: Session, table: str, q: str, cap: int) -> int:
    """How many rows of a table contain q, counted up to cap + 1."""
    return int(session.execute(_FTS_COUNT[table], {"phrase": _phrase(q), "n": cap + 1}).scalar_one())


def _fts_membership(q: str) -> ColumnElement[bool]:
    """Drafts whose text, or whose mention's text, the SQLite index lists for q: read in the query."""
    rowids = "SELECT rowid FROM search_{0} WHERE search_{0} MATCH :{0}_phrase"
    mentions = text(rowids.format("mention")).bindparams(mention_phrase=_phrase(q)).columns(column("rowid"))
    drafts = text(rowids.format("draft")).bindparams(draft_phrase=_phrase(q)).columns(column("rowid"))
    return or_(col(Draft.mention_id).in_(mentions), col(Draft.id).in_(drafts))


def _mid_frequency(session: Session, q: str) -> bool:
    """SQLite: whether q is too common for an id list but rare enough to read from the index."""
    return all(_fts_count(session, table, q, SUBQUERY_CAP) <= SUBQUERY_CAP for table in _FTS_QUERIES)


def _trgm_membership(q: str) -> ColumnElement[bool]:
    """Drafts whose text, or whose mention's text, contains q: PostgreSQL reads each trigram index
    once into a hash and checks the queue's rows against it as it walks them by deadline."""
    mentions = select(Mention.id).where(_contains(Mention, q))
    drafts = select(Draft.id).where(_contains(Draft, q))
    return or_(col(Draft.mention_id).in_(mentions), col(Draft.id).in_(drafts))


@dataclass(frozen=True)
class TextSample:
    """PostgreSQL's own sample of a table's texts (pg_stats, kept by ANALYZE): what its planner
    estimates a search from, read once and then matched in Python, without a planner round trip."""

    rows: float
    common: tuple[tuple[str, float], ...]  # the most common texts, lower-cased, with their share of rows
    rest: float  # the share of rows whose text is neither null nor one of the common ones
    histogram: tuple[str, ...]  # lower-cased

    def estimate(self, q: str) -> int:
        """About how many rows contain q, ignoring case: PostgreSQL's estimate for ILIKE '%q%'."""
        needle = q.lower()
        share = sum(freq for value, freq in self.common if needle in value)
        if self.histogram:
            share += self.rest * sum(needle in value for value in self.histogram) / len(self.histogram)
        return round(self.rows * share)


_TEXT_STATS = text(
    "SELECT c.reltuples, s.null_frac, s.most_common_vals::text::text[], s.most_common_freqs,"
    " s.histogram_bounds::text::text[]"
    " FROM pg_class c LEFT JOIN pg_stats s"
    "  ON s.schemaname = current_schema() AND s.tablename = c.relname AND s.attname = 'text'"
    " WHERE c.oid = to_regclass(:table)"
)
# ANALYZE refreshes the sample when a tenth of a table has changed; reading it again every few
# minutes follows that closely enough to choose a plan
SAMPLE_MAX_AGE = 300.0
# per engine (a test's fresh database gets a fresh cache), then per table: (read at, sample)
_samples: WeakKeyDictionary[Engine, dict[str, tuple[float, TextSample]]] = WeakKeyDictionary()


def text_sample(session: Session, table: str) -> TextSample:
    """The table's text sample, from a cache of at most SAMPLE_MAX_AGE seconds."""
    samples = _samples.setdefault(session.get_bind().engine, {})
    now = time.monotonic()
    cached = samples.get(table)
    if cached is not None and now - cached[0] < SAMPLE_MAX_AGE:
        return cached[1]
    row = session.execute(_TEXT_STATS, {"table": table}).one()
    rows, null_frac, common, freqs, histogram = row
    pairs = tuple(zip((v.lower() for v in common or ()), freqs or (), strict=True))
    sample = TextSample(
        rows=max(float(rows), 0.0),  # -1: never analyzed
        common=pairs,
        rest=1.0 - (null_frac or 0.0) - sum(freq for _, freq in pairs),
        histogram=tuple(v.lower() for v in histogram or ()),
    )
    samples[table] = (now, sample)
    return sample


def _trgm_estimate(session: Session, table: str, q: str) -> int:
    """About how many rows of the table contain q: close enough to choose a plan, and free of the
    planner round trips it costs to ask (an EXPLAIN per table and word took 1 to 5 ms). Migration
    0005 makes it so: PostgreSQL keeps 1,000 sample texts per table instead of 100."""
    return text_sample(session, table).estimate(q)


def _trgm_lookup(session: Session, model: Any, q: str) -> ColumnElement[bool]:
    """model.text contains q, as the index reads it best: by q's rarest word when q also holds a
    common one, the whole of q then checked on the rows that word finds.

    pg_trgm reads every trigram of q in full: "bestelling 48213", with "bestelling" in 500,000
    rows, reads 500,000 entries per trigram of it (20 to 30 ms per table at a million mentions)
    to find a handful of rows that "48213" alone finds in a millisecond.
    """
    words = set(_WORD.findall(q))
    if len(words) > 1:
        table = model.__tablename__
        estimates = {word: _trgm_estimate(session, table, word) for word in words}
        rarest = min(words, key=lambda word: (estimates[word], -len(word)))
        if estimates[rarest] <= RARE_WORD and max(estimates.values()) > SUBQUERY_CAP:
            # strpos on lower(): the same test as ILIKE, but one the trigram index cannot serve,
            # so the planner does not fold the common word back into the index read
            phrase = func.strpos(func.lower(col(model.text)), func.lower(q)) > 0
            return and_(_contains(model, rarest), phrase)
    return _contains(model, q)


def _trgm_candidates(session: Session, q: str) -> list[int] | None:
    """PostgreSQL: ids of the drafts whose text, or whose mention's text, contains q, in one
    statement (mention ids never travel through Python), or None past CANDIDATE_CAP."""
    of_mentions = (
        select(Draft.id)
        .join(Mention, col(Draft.mention_id) == col(Mention.id))
        .where(_trgm_lookup(session, Mention, q))
    )
    of_drafts = select(Draft.id).where(_trgm_lookup(session, Draft, q))
    candidates = union(of_mentions, of_drafts).limit(CANDIDATE_CAP + 1)
    found = [int(i) for i in session.execute(candidates).scalars()]
    return sorted(found) if len(found) <= CANDIDATE_CAP else None


def _among(session: Session, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """column IN ids; on PostgreSQL as one array value: 2,222 ids as 2,222 bound values cost
    about 14 ms of SQLAlchemy, psycopg and PostgreSQL parsing per query."""
    if session.get_bind().dialect.name == "postgresql":
        return col(column) == any_(cast(ids, ARRAY(Integer)))
    return col(column).in_(ids)


def candidate_draft_ids(session: Session, q: str) -> list[int] | None:
    """Ids of the drafts whose text or mention's text contains q, or None when the index can't say cheaply.

    None means: q is too short for a trigram index or matches more than CANDIDATE_CAP rows; the
    caller then chooses another way (see search_clause).
    """
    if len(q) < MIN_LENGTH:  # a trigram index finds nothing for 1-2 characters
        return None
    if session.get_bind().dialect.name != "sqlite":
        return _trgm_candidates(session, q)
    # mentions first: a common word is usually common there, and then the drafts need no lookup
    mention_ids = _fts_ids(session, "mention", q)
    if len(mention_ids) > CANDIDATE_CAP:
        return None
    draft_ids = _fts_ids(session, "draft", q)
    if len(draft_ids) > CANDIDATE_CAP:
        return None
    if mention_ids:
        of_mentions = select(Draft.id).where(_among(session, Draft.mention_id, mention_ids))
        draft_ids += [int(i) for i in session.exec(of_mentions).all() if i is not None]
    return sorted(set(draft_ids))


def search_clause(session: Session, q: str) -> ColumnElement[bool]:
    """The queue filter for a search: an id list when the index finds few rows, the index read
    inside the queue query when it finds more, else the deadline walk that tests every row."""
    if len(q) < MIN_LENGTH:
        return scan_clause(q)
    if session.get_bind().dialect.name == "sqlite":
        ids = candidate_draft_ids(session, q)
        if ids is not None:
            return _among(session, Draft.id, ids)
        return _fts_membership(q) if _mid_frequency(session, q) else scan_clause(q)
    # PostgreSQL: the estimate first, so a common word costs no index read at all
    # (reading the trigram index for a word in 200,000 rows takes longer than the walk)
    estimate = max(_trgm_estimate(session, table, q) for table in ("mention", "draft"))
    if estimate > SUBQUERY_CAP:
        return scan_clause(q)
    # well past the id list's cap the probe would only find that out (~15 ms); near it, the
    # estimate may be high, and the probe keeps a rare word from walking the whole queue
    if estimate <= 2 * CANDIDATE_CAP:
        ids = candidate_draft_ids(session, q)
        if ids is not None:
            return _among(session, Draft.id, ids)
    return _trgm_membership(q)
