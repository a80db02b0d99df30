"""The ledger's SQLite engine: WAL, synchronous=FULL, foreign keys, BEGIN IMMEDIATE for writes; migrations."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry

from desktop.config import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE
from desktop.ledger.rawsql import dict_cursor

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
WAL_AUTOCHECKPOINT_PAGES = 2000
_BEGIN_OPTION = "ledger_begin"


def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling is off; the "begin" hook below emits BEGIN itself.
    dbapi_connection.isolation_level = None
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        # The commit that takes the WAL past this many pages copies it back into the database
        # file. Fewer, larger checkpoints: one verb in a few hundred pays for one.
        f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}",
    ):
        dbapi_connection.execute(pragma).close()


def _on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=4,
        max_overflow=4,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


# The newest migration's revision: a ledger already there opens without importing Alembic
# (a fifth of the till's start). tests/ledger checks it against Alembic's own head.
HEAD_REVISION = "0005"


def current_revision(engine: Engine) -> str | None:
    """The ledger's schema revision, or None for a new file."""
    with engine.connect() as conn:
        if not conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first():
            return None
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return None if row is None else str(row[0])


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (the first one creates the device-state row)."""
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()


class Database:
    """An engine with two ways in: `write()` (BEGIN IMMEDIATE) and `read()` (a consistent snapshot)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._write_lock = threading.Lock()
        self._closed = False
        self._raw_pooled = engine.raw_connection()  # held until dispose(); has the pragmas above
        driver = self._raw_pooled.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        self._raw = driver
        self._raw_cursor = dict_cursor(driver)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One SQLite write transaction, committed (durably) when the block ends without error.

        Writers of this process take turns on a lock first: a waiting thread then starts the
        moment the other commits, instead of polling in SQLite's busy handler.
        """
        with self._write_lock, self._writer.begin() as conn:
            yield conn

    @contextmanager
    def raw_write(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction (BEGIN IMMEDIATE) on the driver's connection itself, for the verbs.

        One connection is kept for this, used under the same lock as `write()`. Rows come back
        as dicts. Committed when the block ends without error, else rolled back.
        """
        with self._write_lock:
            cursor = self._raw_cursor
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                self._raw.rollback()
                raise
            cursor.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def raw_read(self, *, mappings: bool = True) -> Iterator[sqlite3.Cursor]:
        """`read()` on the driver's connection itself, for reads of many rows (rows as dicts, or
        as the driver's tuples)."""
        with self.engine.begin() as conn:
            driver = conn.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            cursor = dict_cursor(driver) if mappings else driver.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    def dispose(self) -> None:
        """Close every connection (the last one to close checkpoints the WAL); idempotent."""
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            self._raw_cursor.close()
            self._raw_pooled.close()
            self.engine.dispose()


def make_private(path: Path) -> None:
    """The ledger file for this user only (0600), before SQLite opens it: SQLite gives its WAL and
    shared-memory files the database file's mode. A ledger made before this is tightened too."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            os.chmod(file, PRIVATE_FILE_MODE)


def open_database(path: Path) -> Database:
    make_private(path)
    engine = make_engine(path)
    migrate(engine)
    log.info("ledger opened at %s", path)
    return Database(engine)
