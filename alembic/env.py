"""Alembic environment: webcare's models, its database URL, batch mode on SQLite."""

from __future__ import annotations

from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from alembic import context
from bot.db import make_engine
from bot.settings import Settings

config = context.config

# made by hand in 0002_search_index.py, unknown to the models: not drift for `alembic check`
SEARCH_TABLES = ("search_mention", "search_draft")  # SQLite FTS5 tables (and their shadow tables)
SEARCH_INDEXES = ("ix_mention_text_trgm", "ix_draft_text_trgm")  # PostgreSQL trigram indexes


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    if type_ == "table" and name is not None:
        return not any(name == t or name.startswith(t + "_") for t in SEARCH_TABLES)
    return not (type_ == "index" and name in SEARCH_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on the connection given by the caller, or on WEBCARE_DATABASE_URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("url") or Settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("webcare migrations run online only: set WEBCARE_DATABASE_URL")
run_migrations_online()
