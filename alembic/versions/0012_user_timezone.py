"""user_account.timezone: the zone a person reads times in where no community applies

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

Empty means the default (Europe/Amsterdam); the audit log, users and sessions pages show times in it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column, empty for everyone (the default zone)."""
    op.add_column(
        "user_account",
        sa.Column("timezone", AutoString(length=64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    """Drop the column."""
    op.drop_column("user_account", "timezone")
