"""Stored push responses compressed with lz4 where PostgreSQL has it (pglz took ~1.4 ms a batch).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HAS_LZ4 = sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")


def _postgres_with_lz4() -> bool:
    bind = op.get_bind()
    return bind.dialect.name == "postgresql" and bool(bind.execute(HAS_LZ4).scalar())


def upgrade() -> None:
    # Only how new values are compressed: stored ones stay pglz and read back the same.
    if _postgres_with_lz4():
        op.execute("ALTER TABLE idempotency_keys ALTER COLUMN response SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE idempotency_keys ALTER COLUMN response SET COMPRESSION default")
