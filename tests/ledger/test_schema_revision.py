"""The ledger's known head revision matches Alembic's, so the fast open path is never stale."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from desktop.ledger import open_ledger
from desktop.ledger.db import HEAD_REVISION, MIGRATIONS, current_revision


def test_the_fast_path_revision_is_alembics_head() -> None:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_a_new_ledger_is_migrated_to_the_head_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    open_ledger(path).close()
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()
    reopened = open_ledger(path)
    assert reopened.identity() is None
    reopened.close()


def test_a_ledger_of_the_first_revision_gets_the_pending_card_index(tmp_path: Path) -> None:
    from alembic import command

    path = tmp_path / "ledger.db"
    engine = create_engine(f"sqlite:///{path}")
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            conn.commit()
    finally:
        engine.dispose()
    open_ledger(path).close()
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert current_revision(engine) == HEAD_REVISION
        with engine.connect() as conn:
            names = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
        assert "ix_transactions_pending_card" in names
    finally:
        engine.dispose()
