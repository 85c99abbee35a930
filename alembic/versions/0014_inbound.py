"""inbound: mentions posted to the API, stored before they are drafted

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

POST /api/v1/mentions answers 202 once the mention is in this table; a drafter takes it in
(mention, customer, thread, draft) and removes the row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

import bot.models
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create inbound, unique on (platform, external_id)."""
    op.create_table(
        "inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", AutoString(length=32), nullable=False),
        sa.Column("external_id", AutoString(length=300), nullable=False),
        sa.Column("author_id", AutoString(length=128), nullable=False),
        sa.Column("body", AutoString(), nullable=False),
        sa.Column("received_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "external_id"),
        # ids are never reused once a row is drafted and removed: an intake_id names one post
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("inbound")
