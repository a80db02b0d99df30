"""The rejections inbox sorted by card reads a partial index of the rejected rows in that order.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

REJECTED = sa.text("status = 'rejected'")


def upgrade() -> None:
    op.create_index(
        "ix_transactions_rejected_card",
        "transactions",
        ["merchant_id", "card_number", "id"],
        postgresql_where=REJECTED,
        sqlite_where=REJECTED,
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_rejected_card", table_name="transactions")
