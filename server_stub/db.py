"""Engine and sessions: PostgreSQL via psycopg 3, or a SQLite file with one writer at a time (WAL)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from server_stub.service.backend import Backend, backend_for

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_MS = 30_000
READ_ONLY = "loyalty_read_only"


@dataclass(frozen=True, slots=True)
class Database:
    """The engine, its session factories, and the backend object for a batch's database steps."""

    engine: Engine
    sessions: sessionmaker[Session]
    reads: sessionmaker[Session]
    is_postgres: bool
    backend: Backend

    def session(self) -> Session:
        """A session for work that may write (on SQLite its transactions take the write lock)."""
        return self.sessions()

    def read_session(self) -> Session:
        """A session that only reads: on SQLite a deferred BEGIN, so it never waits for a writer."""
        return self.reads()

    def dispose(self) -> None:
        self.engine.dispose()


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def create_database(url: str, *, pool_size: int = 10) -> Database:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
        is_postgres = False
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=20, hide_parameters=True)
        _ping_when_idle(engine)
        is_postgres = True
    read_options: dict[str, Any] = {READ_ONLY: True}
    if is_postgres:
        # Reads at READ COMMITTED see a snapshot per statement either way: without the
        # transaction a token check (every request) spares its BEGIN and ROLLBACK round trips.
        read_options["isolation_level"] = "AUTOCOMMIT"
    return Database(
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        reads=sessionmaker(engine.execution_options(**read_options), expire_on_commit=False),
        is_postgres=is_postgres,
        backend=backend_for(postgres=is_postgres),
    )


# A connection back in the pool for longer than this is pinged before it is used again.
PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "loyalty_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pessimistic pre-ping, for connections that sat idle only.

    A database restart or a dropped connection shows on a connection that has waited in
    the pool; one checked in a moment ago is live, and pinging it would cost every request
    a round trip (two per push). A dead one is replaced before use; one that died within
    the last second answers its statement with an error once (a push retries it).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return  # new, or back a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:  # the pool replaces it and checks out again
            raise DisconnectionError("the pooled connection was closed while idle")


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False},
        hide_parameters=True,  # tokens and PIN hashes never reach a log
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE: one writer at a time.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


# The newest migration: a database already at it needs no Alembic at all (a command starts 0.3 s
# sooner). tests/server/test_db.py keeps it equal to the migrations' head.
SCHEMA_HEAD = "0009"


def alembic_config(database: Database) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = database.engine
    return config


# The oldest PostgreSQL the server supports: its SQL uses nothing newer (and 12 is long out of support).
MIN_POSTGRES = (12, 0)


class UnsupportedDatabase(RuntimeError):
    """The database server is older than the server needs."""


def require_postgres_version(version: tuple[int, ...]) -> None:
    if tuple(version[:2]) < MIN_POSTGRES:
        found = ".".join(str(part) for part in version[:2])
        raise UnsupportedDatabase(f"PostgreSQL {MIN_POSTGRES[0]} or later is needed; this server is {found}")


def migrate(database: Database) -> None:
    """Bring the schema to the current revision (every CLI command does this first); on
    PostgreSQL, refuse a server older than MIN_POSTGRES before changing anything."""
    if database.is_postgres:
        with database.engine.connect() as connection:
            version = connection.dialect.server_version_info
        assert version is not None
        require_postgres_version(tuple(int(part) for part in version[:2]))
    if schema_revision(database) != SCHEMA_HEAD:
        from alembic import command  # loaded only when there is something to migrate

        command.upgrade(alembic_config(database), "head")
    log.info("database schema is current")


def schema_revision(database: Database) -> str | None:
    """The revision the database's schema is at (None: a database no migration has touched)."""
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
