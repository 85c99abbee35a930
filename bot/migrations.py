"""Run Alembic migrations from the `webcare` command and from tests."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

# alembic/ and alembic.ini sit at the repository root, next to the bot package
ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    """An Alembic config for one database URL."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Bring the database at url to the newest schema."""
    command.upgrade(alembic_config(url), "head")


def check(url: str) -> None:
    """Raise when the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(url))
