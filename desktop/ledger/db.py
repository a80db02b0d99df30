"""The ledger's SQLite engine: WAL, synchronous=FULL, foreign keys, BEGIN IMMEDIATE for writes; migrations."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry

from desktop.ledger.rawsql import dict_cursor

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
_BEGIN_OPTION = "ledger_begin"


def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling is off; the "begin" hook below emits BEGIN itself.
    dbapi_connection.isolation_level = None
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        # Checkpoints run on the Checkpointer's thread, not inside a cashier's commit.
        "PRAGMA wal_autocheckpoint=0",
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


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (the first one creates the device-state row)."""
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()


class Checkpointer:
    """Copies the WAL into the database file on its own thread, every `every` commits.

    SQLite would otherwise checkpoint inside whichever commit crosses the WAL threshold, making
    that one verb wait for a second fsync. Durability is unchanged: a commit is durable in the
    WAL; a crash before a checkpoint is replayed when the file is next opened.
    """

    def __init__(self, engine: Engine, *, every: int = 200) -> None:
        self._engine = engine
        self._every = every
        self._lock = threading.Lock()
        self._commits = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="ledger-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        with self._lock:
            self._commits += 1
            due = self._commits >= self._every
            if due:
                self._commits = 0
        if due:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            self.checkpoint("PASSIVE")

    def checkpoint(self, mode: str) -> None:
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})")
        except Exception:  # a failed checkpoint loses nothing; the next one catches up
            log.exception("WAL checkpoint failed")

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join()
        self.checkpoint("TRUNCATE")


class Database:
    """An engine with two ways in: `write()` (BEGIN IMMEDIATE) and `read()` (a consistent snapshot)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._checkpointer = Checkpointer(engine)
        self._raw_lock = threading.Lock()
        self._closed = False
        self._raw_pooled = engine.raw_connection()  # held until dispose(); has the pragmas above
        driver = self._raw_pooled.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        self._raw = driver
        self._raw_cursor = dict_cursor(driver)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One SQLite write transaction, committed (durably) when the block ends without error."""
        with self._writer.begin() as conn:
            yield conn
        self._checkpointer.committed()

    @contextmanager
    def raw_write(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction (BEGIN IMMEDIATE) on the driver's connection itself, for the verbs.

        One connection is kept for this, taken by one thread at a time (the write lock of SQLite
        would serialise them anyway). Rows come back as dicts. Committed when the block ends
        without error, else rolled back.
        """
        with self._raw_lock:
            cursor = self._raw_cursor
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                self._raw.rollback()
                raise
            cursor.execute("COMMIT")
        self._checkpointer.committed()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        """Checkpoint and close everything; calling it again does nothing."""
        with self._raw_lock:
            if self._closed:
                return
            self._closed = True
            self._checkpointer.stop()
            self._raw_cursor.close()
            self._raw_pooled.close()
            self.engine.dispose()


def open_database(path: Path) -> Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(path)
    migrate(engine)
    log.info("ledger opened at %s", path)
    return Database(engine)
