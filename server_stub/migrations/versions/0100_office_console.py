"""The head-office console: its users, sessions and sign-in throttle, rejection reviews, till sync status.

Also two expression indexes on cards, so the console finds a card by the start of its
customer's name or email (case-insensitive) without reading every card of the merchant; they
index columns a batch never updates, so the cards' balance updates stay HOT on PostgreSQL.

Revision ID: 0100_office_console
Revises: 0006
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100_office_console"
down_revision = "0007"
branch_labels = None
depends_on = None

# Byte order (the "C" collation) on PostgreSQL: a prefix is then a plain range of the index.
SEARCH_INDEXES = {
    "ix_cards_name_search": "customer_name",
    "ix_cards_email_search": "customer_email",
}


def _utc() -> sa.DateTime:
    return sa.DateTime()


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    byte_order = sa.String(36, collation="C") if postgres else sa.String(36)
    op.create_table(
        "office_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("last_login_at", _utc(), nullable=True),
    )
    op.create_index("ix_office_users_merchant_id", "office_users", ["merchant_id"])
    op.create_table(
        "office_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("office_users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
    )
    op.create_index("ix_office_sessions_user_id", "office_sessions", ["user_id"])
    op.create_table(
        "office_login_throttle",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", _utc(), nullable=True),
        sa.Column("locked_until", _utc(), nullable=True),
    )
    op.create_table(
        "rejection_reviews",
        sa.Column("transaction_id", byte_order, primary_key=True),
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("compensation_id", byte_order, nullable=True),
        sa.Column("owed_points", sa.Integer(), nullable=False),
        sa.Column("owed_stamps", sa.Integer(), nullable=False),
        sa.Column("change_no", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_rejection_reviews_merchant_id", "rejection_reviews", ["merchant_id"])
    op.create_index("ix_rejection_reviews_device_change", "rejection_reviews", ["device_id", "change_no"])
    op.create_table(
        "till_sync_status",
        sa.Column(
            "device_id", sa.String(36), sa.ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("caught_up_change_no", sa.BigInteger(), nullable=True),
        sa.Column("caught_up_at", _utc(), nullable=True),
        sa.Column("client_version", sa.String(100), nullable=True),
    )
    for name, column in SEARCH_INDEXES.items():
        expression = f'lower({column}) COLLATE "C"' if postgres else f"lower({column})"
        op.execute(f"CREATE INDEX {name} ON cards (merchant_id, {expression})")


def downgrade() -> None:
    for name in SEARCH_INDEXES:
        op.execute(f"DROP INDEX {name}")
    op.drop_table("till_sync_status")
    op.drop_index("ix_rejection_reviews_device_change", table_name="rejection_reviews")
    op.drop_index("ix_rejection_reviews_merchant_id", table_name="rejection_reviews")
    op.drop_table("rejection_reviews")
    op.drop_table("office_login_throttle")
    op.drop_index("ix_office_sessions_user_id", table_name="office_sessions")
    op.drop_table("office_sessions")
    op.drop_index("ix_office_users_merchant_id", table_name="office_users")
    op.drop_table("office_users")
