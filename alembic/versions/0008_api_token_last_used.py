"""token last use: when each bearer token was last presented, for `webcare tokens list`

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

One nullable column on api_token, written at most every few minutes per token. Tokens used before
this migration show "never" until their next request. api_token is neither mention nor draft, so
the search triggers of 0002 are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

import bot.models
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add api_token.last_used_at, empty for existing tokens."""
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_at", bot.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
