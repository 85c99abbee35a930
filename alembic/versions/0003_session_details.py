"""session details: when a sign-in session was last used, from which browser and address

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Adds three nullable columns to user_session for the account's sessions page. Sessions opened
before this migration show "unknown" for them. user_session is neither mention nor draft, so the
search triggers of 0002 are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

import bot.models
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add last_seen_at, user_agent and ip to user_session."""
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", bot.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("user_agent", AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column("ip", AutoString(length=64), nullable=True))


def downgrade() -> None:
    """Drop the three columns again."""
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_column("ip")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("last_seen_at")
