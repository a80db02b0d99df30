"""A server killed with SIGKILL mid-batch loses nothing it acknowledged and applies nothing twice."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_stub.db import Database, create_database, migrate
from tests.server.factories import World, make_world
from tests.server.ledger_checks import balances_match_ledger, stored_ids
from tests.support.live_server import LiveServer, start_server

BATCHES = 6
BATCH_SIZE = 500


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def own_server(
    request: pytest.FixtureRequest, tmp_path: Path, pg_database_factory: Callable[[], str]
) -> Iterator[tuple[LiveServer, Database]]:
    url = f"sqlite:///{tmp_path / 'crash.db'}" if request.param == "sqlite" else pg_database_factory()
    database = create_database(url, pool_size=2)
    migrate(database)
    server = start_server(url, log_path=tmp_path / "server.log")
    try:
        yield server, database
    finally:
        server.stop()
        database.dispose()


def send(client: httpx.Client, key: str, txs: list[dict[str, Any]]) -> httpx.Response | None:
    try:
        return client.post("/v1/sync/push", json={"transactions": txs}, headers={"Idempotency-Key": key})
    except httpx.TransportError:
        return None  # the server died under us: the till will send it again


def test_a_server_killed_mid_batch_keeps_every_acknowledged_batch_and_applies_none_twice(
    own_server: tuple[LiveServer, Database],
) -> None:
    server, database = own_server
    world: World = make_world(server.url, database)
    try:
        till, staff = world.tills[0], world.staff["staff0"]
        cards = [world.new_card() for _ in range(40)]
        rng = random.Random(11)
        batches = [
            (
                str(uuid.uuid4()),
                [
                    till.tx(
                        "points_earned", rng.choice(cards), staff, points_delta=10, purchase_amount_cents=100
                    )
                    for _ in range(BATCH_SIZE)
                ],
            )
            for _ in range(BATCHES)
        ]
        acknowledged: dict[str, dict[str, Any]] = {}
        kills = 0
        duration = 0.0
        for index, (key, txs) in enumerate(batches):
            answer: list[httpx.Response | None] = []
            worker = threading.Thread(target=lambda k=key, t=txs, a=answer: a.append(send(till.client, k, t)))
            started = time.monotonic()
            worker.start()
            if index % 2 == 1:
                time.sleep(rng.uniform(0.2, 0.7) * duration)  # inside the batch's work, as timed unkilled
                server.kill()
                kills += 1
            worker.join(60)
            duration = duration or time.monotonic() - started
            assert not worker.is_alive()
            response = answer[0]
            if response is not None:
                assert response.status_code == 200, response.text
                acknowledged[key] = response.json()
            if not server.running:
                server.restart()
        assert kills == BATCHES // 2
        assert len(acknowledged) < BATCHES, "no kill landed inside a batch"
        for key, txs in batches:  # the till resends everything it has no answer for (and more)
            response = send(till.client, key, txs)
            assert response is not None and response.status_code == 200
            if key in acknowledged:
                assert response.headers["Idempotent-Replayed"] == "true"
                assert response.json() == acknowledged[key]
            assert all(r["status"] == "accepted" for r in response.json()["results"])
        sent = {tx["id"] for _, txs in batches for tx in txs}
        stored = [i for i in stored_ids(database, world.merchant_id) if i in sent]
        assert len(stored) == len(set(stored)) == len(sent)
        assert balances_match_ledger(database, world.merchant_id)
        total = sum(till.card(card)["card"]["points_balance"] for card in cards)
        assert total == 10 * BATCHES * BATCH_SIZE
    finally:
        world.close()
