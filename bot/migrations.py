"""Run Alembic migrations from the `webcare` command and from tests."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from bot import shipped


def alembic_config(url: str) -> Config:
    """An Alembic config for one database URL, with the migrations webcare ships.

    Built here rather than read from alembic.ini, which serves the `alembic` command in a checkout
    and is not part of an installed package.
    """
    config = Config()
    config.set_main_option("script_location", str(shipped.folder("alembic")))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Bring the database at url to the newest schema."""
    command.upgrade(alembic_config(url), "head")


def check(url: str) -> None:
    """Raise when the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(url))


def schema_problem(url: str) -> str | None:
    """Why the database at url cannot be served as it is (no schema, an older or a newer one), or None."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from bot.db import make_engine

    script = ScriptDirectory.from_config(alembic_config(url))
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    if current == set(script.get_heads()):
        return None
    if not current:
        return "the database has no webcare schema yet: run `webcare migrate`"
    unknown = current - {revision.revision for revision in script.walk_revisions()}
    if unknown:
        # a rollback of the code after a newer version migrated the database
        return f"the database has a newer schema ({', '.join(sorted(unknown))}) than this webcare knows"
    return "the database schema is older than this webcare: run `webcare migrate`"
