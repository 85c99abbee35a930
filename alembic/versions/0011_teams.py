"""user_team: the teams a person belongs to

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

One row per (user, team). The queue shows agents their teams' items by default; team names are
those the guidelines' escalation rules route to (and webcare), checked when a person is added.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create user_team, keyed by (user_id, team)."""
    op.create_table(
        "user_team",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team", AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("user_id", "team"),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("user_team")
