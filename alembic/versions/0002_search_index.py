"""search index: trigram indexes over mention and draft text for the review queue's search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Hand-written (autogenerate cannot express these; alembic/env.py keeps them out of `alembic check`).

- PostgreSQL: the pg_trgm extension and a GIN trigram index on mention.text and draft.text, so
  `ILIKE '%word%'` is an index lookup instead of a scan.
- SQLite: FTS5 tables with the trigram tokenizer (search_mention, search_draft) over the same
  columns as external content, filled from the existing rows and kept in sync by triggers, so
  rows written with Core statements (bot/store.py) are indexed as well.

A later batch migration on SQLite that recreates the mention or draft table drops its triggers:
such a migration must create them again (see _sqlite_triggers).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("mention", "draft")


def _sqlite_triggers(table: str) -> list[str]:
    fts = f"search_{table}"
    # table names are this module's constants, never input
    insert_new = f"INSERT INTO {fts}(rowid, text) VALUES (new.id, new.text);"  # noqa: S608
    delete_old = f"INSERT INTO {fts}({fts}, rowid, text) VALUES ('delete', old.id, old.text);"  # noqa: S608
    return [
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert_new} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete_old} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF id, text ON {table}"
        f" BEGIN {delete_old} {insert_new} END",
    ]


def _trgm_schema() -> str:
    """The schema pg_trgm lives in, creating the extension (in public) when it is missing."""
    bind = op.get_bind()
    find = sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'pg_trgm'"
    )
    schema = bind.execute(find).scalar()
    if schema is not None:
        return str(schema)
    try:
        # a savepoint: a failed CREATE must not abort the migration's transaction
        with bind.begin_nested():
            # public, not the first schema on search_path: dropping that schema would drop the
            # extension and with it the search indexes of every other schema in the database
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except sa.exc.DBAPIError as exc:
        schema = bind.execute(find).scalar()
        if schema is not None:  # a concurrent migration of another schema created it first
            return str(schema)
        raise RuntimeError(
            "webcare's search index needs the PostgreSQL extension pg_trgm, and creating it failed: "
            f"{exc.orig}. Ask a database superuser to run `CREATE EXTENSION pg_trgm SCHEMA public;` "
            "in this database (Debian/Ubuntu ship it in postgresql-contrib), then migrate again."
        ) from exc
    return str(bind.execute(find).scalar_one())


def upgrade() -> None:
    """Create the trigram indexes (PostgreSQL) or the FTS5 tables and triggers (SQLite)."""
    if op.get_bind().dialect.name == "postgresql":
        schema = _trgm_schema()
        for table in TABLES:
            op.execute(
                f'CREATE INDEX ix_{table}_text_trgm ON {table} USING gin (text "{schema}".gin_trgm_ops)'
            )
        return
    for table in TABLES:
        fts = f"search_{table}"
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5("
            f"text, content='{table}', content_rowid='id', tokenize='trigram')"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608  (index the rows there)
        for statement in _sqlite_triggers(table):
            op.execute(statement)


def downgrade() -> None:
    """Drop the search indexes; pg_trgm stays, other schemas in the database may use it."""
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_text_trgm")
        return
    for table in TABLES:
        fts = f"search_{table}"
        for kind in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{kind}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
