"""Offline spending allowances (protocol v1.1, docs/allowances.md): the allowances this till holds,
as the server last told them, and the allowance each redemption was counted against.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "allowances",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("stamps", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.String(length=26), nullable=False),
        sa.Column("stored_seq", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.String(length=26), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_allowances_card", "allowances", ["card_number"])
    # A plain ADD COLUMN (nullable, no default): SQLite changes no stored row.
    op.add_column("transactions", sa.Column("allowance_id", sa.String(length=36), nullable=True))
    op.create_index(
        "ix_transactions_allowance",
        "transactions",
        ["allowance_id", "seq"],
        sqlite_where=sa.text("allowance_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_allowance", table_name="transactions")
    op.drop_column("transactions", "allowance_id")
    op.drop_index("ix_allowances_card", table_name="allowances")
    op.drop_table("allowances")
