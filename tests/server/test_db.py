"""The PostgreSQL pool: a connection that waited in the pool is pinged, one back a moment ago is not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from server_stub import db as db_module
from server_stub.db import Database, create_database
from tests.server.conftest import Backend


@pytest.fixture
def pool_of_one(backend: Backend) -> Iterator[Database]:
    if backend.name != "postgres":
        pytest.skip("SQLite opens its file per connection: nothing to ping")
    database = create_database(backend.url, pool_size=1)
    try:
        yield database
    finally:
        database.dispose()


def _backend_pid(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(backend: Backend, pid: int) -> None:
    with backend.database.session() as session, session.begin():
        assert session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()


def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(
    backend: Backend, pool_of_one: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(pool_of_one)
    _terminate(backend, first)
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)  # it has been idle "long enough"
    second = _backend_pid(pool_of_one)
    assert second != first


def test_a_connection_back_a_moment_ago_is_not_pinged_and_is_replaced_after_its_error(
    backend: Backend, pool_of_one: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 3600.0)
    first = _backend_pid(pool_of_one)
    _terminate(backend, first)
    with pytest.raises(OperationalError):
        _backend_pid(pool_of_one)
    assert _backend_pid(pool_of_one) != first


def test_the_schema_head_the_server_checks_is_the_migrations_head() -> None:
    from alembic.script import ScriptDirectory

    from server_stub.db import MIGRATIONS_DIR, SCHEMA_HEAD

    assert ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head() == SCHEMA_HEAD
