"""Server tests run against a real server process on both backends: a SQLite file and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server_stub.db import Database, create_database, migrate
from tests.server.factories import World, make_world
from tests.support.live_server import LiveServer, start_server


@dataclass
class Backend:
    name: str
    url: str
    server: LiveServer
    database: Database  # the test's own connection, for factories and ledger checks


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_database_factory: Callable[[], str],
) -> Iterator[Backend]:
    folder: Path = tmp_path_factory.mktemp(f"server-{request.param}")
    url = f"sqlite:///{folder / 'server.db'}" if request.param == "sqlite" else pg_database_factory()
    database = create_database(url, pool_size=4)
    migrate(database)
    server = start_server(url, log_path=folder / "server.log")
    try:
        yield Backend(request.param, url, server, database)
    finally:
        server.stop()
        database.dispose()


@pytest.fixture
def world(backend: Backend) -> Iterator[World]:
    """A fresh merchant (two stores, a till each, staff of every role) on the shared server."""
    built = make_world(backend.server.url, backend.database)
    try:
        yield built
    finally:
        built.close()
