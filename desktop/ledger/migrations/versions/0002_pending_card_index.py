"""A partial index of the pending transactions by card: a card's pending sums read only its pending rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:35:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Covering (the columns the sums read): the table itself is not touched, however long the history.
COLUMNS = ["card_number", "seq", "type", "stamps_delta", "points_delta"]
PENDING = sa.text("sync_state = 'pending'")


def upgrade() -> None:
    op.create_index("ix_transactions_pending_card", "transactions", COLUMNS, sqlite_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_transactions_pending_card", table_name="transactions", sqlite_where=PENDING)
