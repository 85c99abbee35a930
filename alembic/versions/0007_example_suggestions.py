"""example suggestions: customers' words an agent answered otherwise, offered as FAQ examples

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

When an agent approves a draft with another FAQ answer picked, or rewrites it, the customer's
message is offered to community managers at /guidelines as a new example phrasing. One row per
approved draft, pending until a community manager accepts or dismisses it. A new table; mention
and draft are untouched, so the search triggers of 0002 stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

import bot.models
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create example_suggestion with an index on (status, created_at)."""
    op.create_table(
        "example_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("source", AutoString(length=16), nullable=False),
        sa.Column("faq_id", AutoString(length=120), nullable=True),
        sa.Column("status", AutoString(length=16), nullable=False),
        sa.Column("created_at", bot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", AutoString(length=200), nullable=False),
        sa.Column("decided_at", bot.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id"),
    )
    op.create_index(
        "ix_example_suggestion_status_created", "example_suggestion", ["status", "created_at"], unique=False
    )


def downgrade() -> None:
    """Drop the table (and its index)."""
    op.drop_index("ix_example_suggestion_status_created", table_name="example_suggestion")
    op.drop_table("example_suggestion")
