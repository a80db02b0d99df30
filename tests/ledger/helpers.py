"""Checks shared by the ledger tests: the stored state recomputed from the ledger's own rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from desktop.ledger.cardstate import project
from desktop.ledger.models import from_db_time


def _rows(conn: sqlite3.Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def stored_vs_recomputed(path: Path) -> list[tuple[str, tuple[Any, ...], tuple[Any, ...]]]:
    """Cards whose cached view differs from confirmed state + pending transactions (should be none)."""
    conn = sqlite3.connect(path)
    try:
        differences = []
        for card in _rows(conn, "SELECT * FROM cards"):
            pending = _rows(
                conn,
                "SELECT * FROM transactions WHERE card_number = ? AND sync_state = 'pending' ORDER BY seq",
                card["card_number"],
            )
            for row in pending:
                row["transaction_at"] = from_db_time(row["transaction_at"])
            known, view = project(card, pending)
            stored = (
                bool(card["known"]),
                card["stamp_count"],
                card["points_balance"],
                bool(card["is_active"]),
                bool(card["welcome_bonus_granted"]),
                card["pending_count"],
            )
            expected = (
                known,
                view.stamp_count,
                view.points_balance,
                view.is_active,
                view.welcome_bonus_granted,
                len(pending),
            )
            if stored != expected:
                differences.append((card["card_number"], stored, expected))
        return differences
    finally:
        conn.close()


def non_rejected_sums(path: Path) -> dict[str, tuple[int, int]]:
    """Each card's sum of non-rejected stamp and point deltas, from its latest non-rejected enrolment.

    Transactions recorded before a card's enrolment was rejected and the card enrolled again
    count for nothing: the server will reject them (the card did not exist yet when they come).
    """
    conn = sqlite3.connect(path)
    try:
        return {
            number: (stamps, points)
            for number, stamps, points in conn.execute(
                "SELECT t.card_number, sum(t.stamps_delta), sum(t.points_delta) FROM transactions AS t "
                "WHERE t.sync_state != 'rejected' AND t.seq >= coalesce(("
                "  SELECT max(c.seq) FROM transactions AS c WHERE c.card_number = t.card_number"
                "  AND c.type = 'card_created' AND c.sync_state != 'rejected'), 0) "
                "GROUP BY t.card_number"
            )
        }
    finally:
        conn.close()


def counts(path: Path) -> tuple[int, int, int]:
    """(transactions, cards, seq counter): what a refused verb must leave untouched."""
    conn = sqlite3.connect(path)
    try:
        transactions = conn.execute("SELECT count(*) FROM transactions").fetchone()[0]
        cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
        last_seq = conn.execute("SELECT last_seq FROM device_state").fetchone()[0]
        return transactions, cards, last_seq
    finally:
        conn.close()
