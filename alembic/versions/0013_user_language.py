"""user_account.language: the language a person reads dates and deadlines in

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Empty means English ("due in 2h 0m", "today 16:00 CET"); "nl" reads "over 2u 0min", "vandaag 16:00 CET".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column, empty (English) for everyone."""
    op.add_column(
        "user_account",
        sa.Column("language", AutoString(length=8), nullable=False, server_default=""),
    )


def downgrade() -> None:
    """Drop the column."""
    op.drop_column("user_account", "language")
