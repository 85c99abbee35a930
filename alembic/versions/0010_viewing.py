"""viewing: who has a queue item open, with a heartbeat

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

One row per (draft, user), refreshed while the item is open; the queue shows who is viewing an
item whose heartbeat is recent. A table, not memory, because uvicorn may run several workers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

import bot.models
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create viewing, keyed by (draft_id, username), indexed by last seen."""
    op.create_table(
        "viewing",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("username", AutoString(length=100), nullable=False),
        sa.Column("seen_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"]),
        sa.PrimaryKeyConstraint("draft_id", "username"),
    )
    op.create_index(op.f("ix_viewing_seen_at"), "viewing", ["seen_at"], unique=False)


def downgrade() -> None:
    """Drop the table (and its index)."""
    op.drop_index(op.f("ix_viewing_seen_at"), table_name="viewing")
    op.drop_table("viewing")
