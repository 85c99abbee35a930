"""set aside: messages that could not be taken in, with source, payload and reason

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

A Telegram update or a JSONL line that always fails is stored here and intake moves on past it,
so one bad message no longer blocks every later one. A new table; mention and draft are
untouched, so the search triggers of 0002 stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

import bot.models
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create set_aside, unique on (source, digest), indexed by platform and time."""
    op.create_table(
        "set_aside",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", AutoString(length=32), nullable=False),
        sa.Column("source", AutoString(length=500), nullable=False),
        sa.Column("payload", AutoString(), nullable=False),
        sa.Column("digest", AutoString(length=64), nullable=False),
        sa.Column("reason", AutoString(length=1000), nullable=False),
        sa.Column("at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "digest"),
    )
    op.create_index(op.f("ix_set_aside_platform"), "set_aside", ["platform"], unique=False)
    op.create_index(op.f("ix_set_aside_at"), "set_aside", ["at"], unique=False)


def downgrade() -> None:
    """Drop the table (and its indexes)."""
    op.drop_index(op.f("ix_set_aside_at"), table_name="set_aside")
    op.drop_index(op.f("ix_set_aside_platform"), table_name="set_aside")
    op.drop_table("set_aside")
