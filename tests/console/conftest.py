"""Console fixtures: one seeded server per backend for the run, with console users of each merchant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.console.helpers import ConsoleWorld, Merchant, create_office_user
from tests.support.live_server import seed_demo, start_server


def _world(url: str, log_path: Path | None) -> Iterator[ConsoleWorld]:
    document = seed_demo(url)
    merchants = [
        Merchant(
            document=merchant,
            admin=create_office_user(url, merchant["id"], "admin"),
            analyst=create_office_user(url, merchant["id"], "analyst"),
        )
        for merchant in document["merchants"]
    ]
    server = start_server(url, log_path=log_path)
    world = ConsoleWorld(server=server, database_url=url, merchants=merchants)
    try:
        yield world
    finally:
        world.close()
        server.stop()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def console(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_database_factory: Callable[[], str],
) -> Iterator[ConsoleWorld]:
    """A seeded server on each backend: merchant 0 (hybrid) and 1 (points), each an admin and an analyst."""
    folder = tmp_path_factory.mktemp(f"console-{request.param}")
    url = f"sqlite:///{folder / 'server.db'}" if request.param == "sqlite" else pg_database_factory()
    yield from _world(url, folder / "server.log")


@pytest.fixture(scope="session")
def console_pg(pg_database_factory: Callable[[], str]) -> Iterator[ConsoleWorld]:
    """The browser tests' server: PostgreSQL, as in production."""
    yield from _world(pg_database_factory(), None)
