"""The till's log of lockouts ended by a manager or the owner (who unlocked whom, when).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_unlocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("unlocked_by", sa.Integer(), nullable=False),
        sa.Column("unlocked_at", sa.String(length=26), nullable=False),
        sa.Column("locked_until", sa.String(length=26), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("staff_unlocks")
