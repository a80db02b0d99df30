"""Fixtures of the sync engine tests: one seeded server per module, a fault proxy and tills per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer, seed_demo, start_server
from tests.sync_engine.fault_proxy import FaultProxy
from tests.sync_engine.world import Till, World, enrol_till


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, World]]:
    """A seeded server on a SQLite file, shared by a module's tests (each test enrols its own tills)."""
    directory = tmp_path_factory.mktemp("server")
    url = f"sqlite:///{directory / 'server.db'}"
    document = seed_demo(url)
    live = start_server(url, log_path=directory / "server.log")
    try:
        yield live, World(server_url=live.url, document=document)
    finally:
        live.stop()


@pytest.fixture
def world(server: tuple[LiveServer, World]) -> World:
    return server[1]


@pytest.fixture
def proxy(server: tuple[LiveServer, World]) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(server[0].port).start()
    try:
        yield fault_proxy
    finally:
        fault_proxy.stop()


@pytest.fixture
def till(world: World, tmp_path: Path) -> Iterator[Till]:
    new = enrol_till(world, tmp_path)
    try:
        yield new
    finally:
        new.ledger.close()
