"""Partial ledger indexes: rejections, voids and order references only, so ingest writes fewer entries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_ORDER = "type = 'points_earned' AND status = 'accepted'"
NEW_ORDER = "type = 'points_earned' AND status = 'accepted' AND order_reference IS NOT NULL"
REJECTED = "status = 'rejected'"
VOIDS = "related_transaction_id IS NOT NULL"


def _where(predicate: str) -> dict[str, sa.TextClause]:
    return {"postgresql_where": sa.text(predicate), "sqlite_where": sa.text(predicate)}


def upgrade() -> None:
    op.drop_index("ix_transactions_received", table_name="transactions")
    op.drop_index("ix_transactions_related", table_name="transactions")
    op.drop_index("uq_transactions_order_reference", table_name="transactions")
    op.create_index(
        "ix_transactions_rejected", "transactions", ["merchant_id", "received_at", "id"], **_where(REJECTED)
    )
    op.create_index("ix_transactions_voids", "transactions", ["related_transaction_id"], **_where(VOIDS))
    op.create_index(
        "uq_transactions_order_reference",
        "transactions",
        ["merchant_id", "order_reference"],
        unique=True,
        **_where(NEW_ORDER),
    )


def downgrade() -> None:
    op.drop_index("uq_transactions_order_reference", table_name="transactions")
    op.drop_index("ix_transactions_voids", table_name="transactions")
    op.drop_index("ix_transactions_rejected", table_name="transactions")
    op.create_index(
        "uq_transactions_order_reference",
        "transactions",
        ["merchant_id", "order_reference"],
        unique=True,
        **_where(OLD_ORDER),
    )
    op.create_index("ix_transactions_related", "transactions", ["related_transaction_id"])
    op.create_index("ix_transactions_received", "transactions", ["merchant_id", "received_at"])
