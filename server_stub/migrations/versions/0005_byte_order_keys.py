"""Byte-order ("C") collation for the ledger's ids and the card numbers on PostgreSQL.

These keys are ASCII (UUID text, card numbers of `[A-Za-z0-9-]`), compared for equality
and ordered only to page: byte order answers the same, and PostgreSQL compares "C" text
with memcmp instead of the locale's collation, so every index entry the ledger's COPY
writes costs less. SQLite compares bytes already.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("transactions", "id", 36),
    ("transactions", "related_transaction_id", 36),
    ("transactions", "card_number", 32),
    ("cards", "card_number", 32),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, length in COLUMNS:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length}) COLLATE "C"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, length in COLUMNS:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length}) COLLATE "default"')
