"""search statistics: finer planner statistics on mention.text and draft.text (PostgreSQL)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

The queue's search (bot/search.py) asks the PostgreSQL planner how many rows contain the search
words, to choose between an id list, the trigram index read inside the query, and the deadline
walk. The planner answers from a histogram of sample texts: with the default 100 it cannot tell
1% of the rows from 3%, and the choice flipped with each ANALYZE (bench/queue_page.py, 1,000,000
mentions: a word in 11,111 of them was estimated at 30,303 and walked the queue, 870 ms). With
1,000 the estimate lands within a few percent (11,011); ANALYZE of a million mentions then took
2.7 s (mention) and 4.6 s (draft). SQLite counts in its FTS5 index instead, so nothing changes
there; no table is rebuilt, so the 0002 triggers stay.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("mention", "draft")


def _set_statistics(target: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN text SET STATISTICS {target}")
        op.execute(f"ANALYZE {table}")


def upgrade() -> None:
    """PostgreSQL: keep 1,000 sample texts per table for the planner's estimates, and gather them."""
    _set_statistics(1000)


def downgrade() -> None:
    """PostgreSQL: back to the server's default statistics target."""
    _set_statistics(-1)
