"""Migration 0007 fills the daily totals and the cards' last activity from the ledger already stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from server_stub.db import alembic_config, create_database
from server_stub.models import Card, DailyTotal

ROWS = [  # id, card, store, type, status, stamps, points, transaction_at
    ("t1", "C-1", 1, "points_earned", "accepted", 0, 30, "2026-11-01 10:00:00"),
    ("t2", "C-1", 1, "points_earned", "accepted", 0, 20, "2026-11-01 23:59:00"),
    ("t3", "C-1", 2, "stamp_earned", "accepted", 1, 0, "2026-11-03 08:00:00"),
    ("t4", "C-1", None, "points_expired", "accepted", 0, -10, "2026-11-20 00:00:00"),
    ("t5", "C-2", 1, "points_earned", "rejected", 0, 99, "2026-11-05 10:00:00"),
    ("t6", "C-2", 1, "stamp_earned", "accepted", 1, 0, "2026-11-04 10:00:00"),
]


@pytest.mark.parametrize("backend_name", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migration_counts_the_stored_ledger_and_each_cards_last_activity(
    backend_name: str, tmp_path: Path, pg_database_factory: Callable[[], str]
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend_name == "sqlite" else pg_database_factory()
    database = create_database(url, pool_size=2)
    try:
        command.upgrade(alembic_config(database), "0006")
        with database.session() as session, session.begin():
            now = datetime(2026, 12, 1)
            session.execute(
                text("INSERT INTO merchants (id, name, created_at) VALUES (1, 'm', :now)"), {"now": now}
            )
            for number, points in (("C-1", 40), ("C-2", 0)):
                session.execute(
                    text(
                        "INSERT INTO cards (merchant_id, card_number, stamp_count, points_balance, is_active,"
                        " welcome_bonus_granted, change_no, created_at, updated_at)"
                        " VALUES (1, :number, 1, :points, true, false, 1, :now, :now)"
                    ),
                    {"number": number, "points": points, "now": now},
                )
            for tx_id, card, store, kind, status, stamps, points, at in ROWS:
                moment = datetime.fromisoformat(at)
                session.execute(
                    text(
                        "INSERT INTO transactions (id, merchant_id, store_id, card_number, type, status,"
                        " stamps_delta, points_delta, transaction_at, local_date, received_at)"
                        " VALUES (:id, 1, :store, :card, :type, :status, :stamps, :points, :at, :day, :at)"
                    ),
                    {
                        "id": tx_id,
                        "store": store,
                        "card": card,
                        "type": kind,
                        "status": status,
                        "stamps": stamps,
                        "points": points,
                        "at": moment,
                        "day": moment.date(),
                    },
                )
        command.upgrade(alembic_config(database), "head")
        with database.session() as session:
            totals = {
                (row.day, row.store_id, row.type): (row.count, row.stamps_delta, row.points_delta)
                for row in session.execute(select(DailyTotal)).scalars()
            }
            cards = {
                row.card_number: (row.last_activity_at.replace(tzinfo=None), row.points_active_on)
                for row in session.execute(select(Card)).scalars()
            }
        assert totals == {
            (date(2026, 11, 1), 1, "points_earned"): (2, 0, 50),
            (date(2026, 11, 3), 2, "stamp_earned"): (1, 1, 0),
            (date(2026, 11, 20), 0, "points_expired"): (1, 0, -10),
            (date(2026, 11, 4), 1, "stamp_earned"): (1, 1, 0),
        }
        assert cards == {
            "C-1": (datetime(2026, 11, 3, 8), date(2026, 11, 3)),  # expiry is not activity
            "C-2": (datetime(2026, 11, 4, 10), None),  # holds no points: not in the expiry index
        }
        command.downgrade(alembic_config(database), "0006")
        command.upgrade(alembic_config(database), "head")
    finally:
        database.dispose()
