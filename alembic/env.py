"""Alembic environment: webcare's models, its database URL, batch mode on SQLite."""

from __future__ import annotations

from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from alembic import context
from bot.db import make_engine
from bot.settings import Settings

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
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
