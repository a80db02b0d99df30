"""The initial ledger schema: device state, staff, PIN lockouts, cards, transactions.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:56:46.662651
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cards",
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("customer_name", sa.Text(), nullable=True),
        sa.Column("known", sa.Boolean(), nullable=False),
        sa.Column("server_known", sa.Boolean(), nullable=False),
        sa.Column("confirmed_stamp_count", sa.Integer(), nullable=False),
        sa.Column("confirmed_points_balance", sa.Integer(), nullable=False),
        sa.Column("confirmed_is_active", sa.Boolean(), nullable=False),
        sa.Column("confirmed_welcome_bonus", sa.Boolean(), nullable=False),
        sa.Column("stamp_count", sa.Integer(), nullable=False),
        sa.Column("points_balance", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("welcome_bonus_granted", sa.Boolean(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.String(length=26), nullable=False),
        sa.PrimaryKeyConstraint("card_number"),
    )
    op.create_table(
        "device_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=255), nullable=True),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("server_url", sa.Text(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("store_name", sa.Text(), nullable=True),
        sa.Column("store_timezone", sa.String(length=64), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=True),
        sa.Column("merchant_name", sa.Text(), nullable=True),
        sa.Column("last_seq", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("config_generation", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pull_cursor", sa.Text(), nullable=True),
        sa.Column("program_version", sa.Integer(), nullable=True),
        sa.Column("program_json", sa.Text(), nullable=True),
        sa.Column("last_sync_at", sa.String(length=26), nullable=True),
        sa.Column("last_sync_attempt_at", sa.String(length=26), nullable=True),
        sa.Column("last_sync_error", sa.Text(), nullable=True),
        sa.CheckConstraint("id = 1", name="ck_device_state_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("pin_hash", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "staff_logins",
        sa.Column("staff_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.String(length=26), nullable=True),
        sa.Column("last_login_at", sa.String(length=26), nullable=True),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    op.create_table(
        "transactions",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=255), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("stamps_delta", sa.Integer(), nullable=False),
        sa.Column("points_delta", sa.Integer(), nullable=False),
        sa.Column("stamps_balance_after", sa.Integer(), nullable=True),
        sa.Column("points_balance_after", sa.Integer(), nullable=True),
        sa.Column("purchase_amount_cents", sa.Integer(), nullable=True),
        sa.Column("order_reference", sa.String(length=100), nullable=True),
        sa.Column("reward_id", sa.String(length=50), nullable=True),
        sa.Column("reward_description", sa.String(length=255), nullable=True),
        sa.Column("related_transaction_id", sa.String(length=36), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("customer_name", sa.Text(), nullable=True),
        sa.Column("customer_email", sa.Text(), nullable=True),
        sa.Column("customer_phone", sa.Text(), nullable=True),
        sa.Column("program_version", sa.Integer(), nullable=True),
        sa.Column("transaction_at", sa.String(length=26), nullable=False),
        sa.Column("recorded_at", sa.String(length=26), nullable=False),
        sa.Column("sync_state", sa.String(length=10), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("synced_at", sa.String(length=26), nullable=True),
        sa.Column("acknowledged", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.String(length=26), nullable=True),
        sa.CheckConstraint("sync_state IN ('pending', 'accepted', 'rejected')", name="ck_tx_sync_state"),
        sa.ForeignKeyConstraint(
            ["card_number"],
            ["cards.card_number"],
        ),
        sa.ForeignKeyConstraint(
            ["related_transaction_id"],
            ["transactions.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index("ix_transactions_card_seq", ["card_number", "seq"], unique=False)
        batch_op.create_index(
            "ix_transactions_order_reference",
            ["order_reference"],
            unique=False,
            sqlite_where=sa.text("order_reference IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_transactions_pending_seq",
            ["seq"],
            unique=False,
            sqlite_where=sa.text("sync_state = 'pending'"),
        )
        batch_op.create_index(
            "ix_transactions_related",
            ["related_transaction_id"],
            unique=False,
            sqlite_where=sa.text("related_transaction_id IS NOT NULL"),
        )
        batch_op.create_index("ix_transactions_transaction_at", ["transaction_at"], unique=False)
    # The single row of this till's own state exists from the start.
    op.execute("INSERT INTO device_state (id, last_seq, config_generation) VALUES (1, 0, 0)")


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_transaction_at")
        batch_op.drop_index(
            "ix_transactions_related", sqlite_where=sa.text("related_transaction_id IS NOT NULL")
        )
        batch_op.drop_index("ix_transactions_pending_seq", sqlite_where=sa.text("sync_state = 'pending'"))
        batch_op.drop_index(
            "ix_transactions_order_reference", sqlite_where=sa.text("order_reference IS NOT NULL")
        )
        batch_op.drop_index("ix_transactions_card_seq")

    op.drop_table("transactions")
    op.drop_table("staff_logins")
    op.drop_table("staff")
    op.drop_table("device_state")
    op.drop_table("cards")
