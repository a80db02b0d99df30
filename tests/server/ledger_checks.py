"""Ledger invariants read straight from the server's database."""

from __future__ import annotations

from sqlalchemy import func, select

from server_stub.db import Database
from server_stub.models import Card, LedgerTransaction, Merchant


def balances_match_ledger(database: Database, merchant_id: int) -> bool:
    """Every card's stored balance equals the sum of its accepted deltas, and none is negative.

    And every ledger row names a merchant that exists (on PostgreSQL no foreign key checks it).
    """
    with database.session() as session:
        orphans = session.execute(
            select(func.count())
            .select_from(LedgerTransaction)
            .outerjoin(Merchant, Merchant.id == LedgerTransaction.merchant_id)
            .where(Merchant.id.is_(None))
        ).scalar_one()
        if orphans:
            return False
        sums = {
            row[0]: (int(row[1]), int(row[2]))
            for row in session.execute(
                select(
                    LedgerTransaction.card_number,
                    func.sum(LedgerTransaction.stamps_delta),
                    func.sum(LedgerTransaction.points_delta),
                )
                .where(LedgerTransaction.merchant_id == merchant_id, LedgerTransaction.status == "accepted")
                .group_by(LedgerTransaction.card_number)
            )
        }
        cards = session.execute(
            select(Card.card_number, Card.stamp_count, Card.points_balance).where(
                Card.merchant_id == merchant_id
            )
        ).all()
    return all(
        sums.get(card.card_number, (0, 0)) == (card.stamp_count, card.points_balance)
        and card.stamp_count >= 0
        and card.points_balance >= 0
        for card in cards
    )


def stored_ids(database: Database, merchant_id: int) -> list[str]:
    with database.session() as session:
        return list(
            session.execute(
                select(LedgerTransaction.id).where(LedgerTransaction.merchant_id == merchant_id)
            ).scalars()
        )
