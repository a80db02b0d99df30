"""Costs that follow the work: the CSV's keyset index, the cards' last activity, daily rollups.

- The ledger CSV pages by (received_at, id) over accepted rows: a partial index that matches it.
- Each card keeps its last activity (the newest accepted transaction_at but points_expired)
  and, while it holds points, that day: the expiry job reads the idle cards from an index.
- `daily_totals` counts accepted transactions per store, UTC day and type, in the push's
  own transaction: the summary of any range of days reads it, not the ledger.
- A stored Idempotency-Key remembers its batch's highest seq (the retention rule).

All are filled from the ledger here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ACCEPTED = sa.text("status = 'accepted'")
LAST_ACTIVITY = (
    "UPDATE cards SET last_activity_at = a.last_at,"
    " points_active_on = CASE WHEN cards.points_balance > 0 THEN CAST(a.last_at AS DATE) END"
    " FROM (SELECT merchant_id, card_number, max(transaction_at) AS last_at FROM transactions"
    " WHERE status = 'accepted' AND type <> 'points_expired' GROUP BY merchant_id, card_number) AS a"
    " WHERE cards.merchant_id = a.merchant_id AND cards.card_number = a.card_number"
)
LAST_ACTIVITY_SQLITE = (
    "UPDATE cards SET last_activity_at = a.last_at,"
    " points_active_on = CASE WHEN cards.points_balance > 0 THEN date(a.last_at) END"
    " FROM (SELECT merchant_id, card_number, max(transaction_at) AS last_at FROM transactions"
    " WHERE status = 'accepted' AND type <> 'points_expired' GROUP BY merchant_id, card_number) AS a"
    " WHERE cards.merchant_id = a.merchant_id AND cards.card_number = a.card_number"
)
TOTALS = (
    "INSERT INTO daily_totals (merchant_id, day, store_id, type, count, stamps_delta, points_delta)"
    " SELECT merchant_id, {day}, coalesce(store_id, 0), type, count(*), sum(stamps_delta), sum(points_delta)"
    " FROM transactions WHERE status = 'accepted' GROUP BY 1, 2, 3, 4"
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "daily_totals",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("stamps_delta", sa.BigInteger(), nullable=False),
        sa.Column("points_delta", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "day", "store_id", "type"),
    )
    op.execute(TOTALS.format(day="CAST(transaction_at AS DATE)" if postgres else "date(transaction_at)"))
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_activity_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("points_active_on", sa.Date(), nullable=True))
    op.execute(LAST_ACTIVITY if postgres else LAST_ACTIVITY_SQLITE)
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index("ix_cards_points_active_on", ["merchant_id", "points_active_on"], unique=False)
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("top_seq", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transactions_accepted",
            ["merchant_id", "received_at", "id"],
            unique=False,
            postgresql_where=ACCEPTED,
            sqlite_where=ACCEPTED,
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_accepted")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("top_seq")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_points_active_on")
        batch_op.drop_column("points_active_on")
        batch_op.drop_column("last_activity_at")
    op.drop_table("daily_totals")
