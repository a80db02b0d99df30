"""Offline spending allowances (docs/allowances.md): escrow per till and card, the cards' held
totals, and each store's regulars (filled from the ledger).

Revision ID: 0008
Revises: 0100_office_console
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0100_office_console"
branch_labels = None
depends_on = None

HELD = sa.text("released_at IS NULL")
REGULARS = (
    "INSERT INTO store_regulars (store_id, card_id, merchant_id, last_at)"
    " SELECT t.store_id, c.id, t.merchant_id, max(t.transaction_at) FROM transactions AS t"
    " JOIN cards AS c ON c.merchant_id = t.merchant_id AND c.card_number = t.card_number"
    " WHERE t.status = 'accepted' AND t.store_id IS NOT NULL AND t.device_id IS NOT NULL"
    " GROUP BY t.store_id, c.id, t.merchant_id"
)


def upgrade() -> None:
    op.create_table(
        "allowances",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("stamps", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_why", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_allowances_held",
        "allowances",
        ["device_id", "card_id"],
        unique=True,
        postgresql_where=HELD,
        sqlite_where=HELD,
    )
    op.create_index("ix_allowances_card", "allowances", ["card_id"], postgresql_where=HELD, sqlite_where=HELD)
    op.create_table(
        "store_regulars",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "card_id"),
    )
    op.create_index("ix_store_regulars_recent", "store_regulars", ["store_id", "last_at"])
    op.execute(REGULARS)
    # Plain ALTER TABLE on both backends (SQLite has it since 3.35): a batch copy of `cards` would
    # lose the console's expression indexes on SQLite.
    op.add_column("cards", sa.Column("held_points", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("cards", sa.Column("held_stamps", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("cards", "held_stamps")
    op.drop_column("cards", "held_points")
    op.drop_table("store_regulars")
    op.drop_table("allowances")
