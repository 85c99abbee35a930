"""acts and reject reasons: what the customer is doing, and why an agent rejected a draft

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

mention.act names the message's act (question, complaint, thanks, conversation between customers,
legal threat, ...), so insights can show per act how often drafts are approved unedited.
draft.reject_category is the structured part of a reject reason (wrong answer, wrong tone, should
not reply, other); draft.reject_reason keeps the free text.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add mention.act and draft.reject_category, empty for existing rows."""
    # plain ADD COLUMN: a batch copy on SQLite would drop the search triggers of 0002
    op.add_column("mention", sa.Column("act", sa.String(length=32), nullable=False, server_default=""))
    op.add_column("draft", sa.Column("reject_category", sa.String(length=32), nullable=False, server_default=""))


def downgrade() -> None:
    """Drop the two columns."""
    op.drop_column("draft", "reject_category")
    op.drop_column("mention", "act")
