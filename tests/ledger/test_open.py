"""Opening the ledger: folders, migrations, SQLite settings, and verbs before set-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from desktop.ledger import Ledger, NoProgram, NotEnrolled, open_ledger
from desktop.ledger.db import HEAD_REVISION, open_database
from tests.ledger.conftest import CASHIER, IDENTITY, OWNER, FakeClock


def test_open_creates_missing_folders_and_migrates_to_the_newest_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "ledger.db"
    ledger = open_ledger(path)
    ledger.close()
    db = open_database(path)  # a second open finds the schema current and changes nothing
    with db.read() as conn:
        tables = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        rows = conn.execute(text("SELECT count(*) FROM device_state")).scalar_one()
    db.dispose()
    expected = {
        "device_state",
        "staff",
        "staff_logins",
        "staff_unlocks",
        "cards",
        "transactions",
        "office_reviews",
    }
    assert expected <= tables
    assert version == HEAD_REVISION
    assert rows == 1


def test_every_connection_uses_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    db = open_database(tmp_path / "ledger.db")
    with db.read() as conn:
        journal = conn.execute(text("PRAGMA journal_mode")).scalar_one()
        synchronous = conn.execute(text("PRAGMA synchronous")).scalar_one()
        foreign_keys = conn.execute(text("PRAGMA foreign_keys")).scalar_one()
        busy = conn.execute(text("PRAGMA busy_timeout")).scalar_one()
    db.dispose()
    assert (journal, synchronous, foreign_keys) == ("wal", 2, 1)
    assert busy > 0


def test_verbs_before_enrolment_raise_not_enrolled(tmp_path: Path, clock: FakeClock) -> None:
    ledger = open_ledger(tmp_path / "ledger.db", clock=clock)
    try:
        assert ledger.identity() is None
        with pytest.raises(NotEnrolled):
            ledger.enrol_card(CASHIER, "C-1")
    finally:
        ledger.close()


def test_verbs_before_the_first_pull_raise_no_program(tmp_path: Path, clock: FakeClock) -> None:
    ledger = open_ledger(tmp_path / "ledger.db", clock=clock)
    try:
        ledger.save_identity(IDENTITY)
        with pytest.raises(NoProgram):
            ledger.add_stamp(CASHIER, "C-1")
        assert ledger.sync_status().pending_count == 0
    finally:
        ledger.close()


def test_identity_survives_reopening_and_keeps_the_token_out_of_its_repr(
    open_seeded: Callable[..., Ledger],
) -> None:
    open_seeded().close()
    reopened = open_seeded()
    assert reopened.identity() == IDENTITY
    assert "secret-token" not in repr(reopened.identity())


def test_the_wal_stays_bounded_under_continuous_writes(
    open_seeded: Callable[..., Ledger], ledger_path: Path
) -> None:
    from desktop.ledger.db import WAL_AUTOCHECKPOINT_PAGES

    ledger = open_seeded()
    ledger.enrol_card(CASHIER, "C-1")
    ledger.adjust(OWNER, "C-1", points_delta=1, reason="start")
    page_size = 4096
    limit = (WAL_AUTOCHECKPOINT_PAGES + 100) * (page_size + 24)
    sizes = []
    for _ in range(700):  # ~8 pages a verb: several times past the checkpoint threshold
        ledger.adjust(OWNER, "C-1", points_delta=1, reason="tick")
        sizes.append(ledger_path.with_name(ledger_path.name + "-wal").stat().st_size)
    assert max(sizes) <= limit
