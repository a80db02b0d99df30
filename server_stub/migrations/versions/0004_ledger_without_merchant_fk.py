"""The ledger's merchant_id without a foreign key on PostgreSQL (its per-row check was a third of ingest).

The ledger is append-only and written only by the server, with the merchant of the
authenticated device or admin token (whose rows keep their foreign keys); merchants are
never deleted. SQLite keeps the constraint: its check is cheap there and dropping it would
rebuild the table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FK_NAME = "transactions_merchant_id_fkey"  # PostgreSQL's name for the unnamed constraint of 0001


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(FK_NAME, "transactions", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(FK_NAME, "transactions", "merchants", ["merchant_id"], ["id"])
