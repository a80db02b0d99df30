"""Several server processes on one PostgreSQL: a batch applies once, and no card is overdrawn."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.conftest import Backend
from tests.server.factories import Till, World
from tests.server.ledger_checks import balances_match_ledger
from tests.server.test_concurrency import run_together
from tests.support.live_server import LiveServer, start_server

ROUNDS = 10
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]


@pytest.fixture
def other_process(backend: Backend, tmp_path: Path) -> Iterator[LiveServer]:
    """A second `serve` process on the same database as the shared test server."""
    server = start_server(backend.url, log_path=tmp_path / "second.log")
    try:
        yield server
    finally:
        server.stop()


def client_at(url: str, till: Till) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {till.token}"}, timeout=60)


def post(client: httpx.Client, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    """One push on its own client (closed after), with the key given or a fresh one."""
    with client:
        return client.post("/v1/sync/push", json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def test_one_batch_sent_to_two_processes_at_once_is_applied_once(
    world: World, other_process: LiveServer
) -> None:
    till = world.tills[0]
    for _ in range(ROUNDS):
        card = world.new_card()
        body = {
            "transactions": [
                till.tx(
                    "points_earned", card, world.staff["staff0"], points_delta=10, purchase_amount_cents=100
                )
            ]
        }
        key = str(uuid.uuid4())
        clients = [client_at(url, till) for url in (world.url, other_process.url) for _ in range(3)]

        responses = run_together([lambda c=c, b=body, k=key: post(c, b, k) for c in clients])
        assert {r.status_code for r in responses} <= {200, 409}
        answers = [r.json() for r in responses if r.status_code == 200]
        assert answers and all(answer == answers[0] for answer in answers)
        assert till.card(card)["card"]["points_balance"] == 10
    assert balances_match_ledger(world.database, world.merchant_id)


def test_one_transaction_under_two_keys_in_two_processes_is_applied_once(
    world: World, other_process: LiveServer
) -> None:
    till = world.tills[0]
    for _ in range(ROUNDS):
        card = world.new_card()
        body = {"transactions": [till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)]}
        clients = [client_at(url, till) for url in (world.url, other_process.url)]

        results = [
            r.json()["results"][0] for r in run_together([lambda c=c, b=body: post(c, b) for c in clients])
        ]
        assert all(r["status"] == "accepted" for r in results)
        assert sorted(r["replayed"] for r in results) == [False, True]
        assert till.card(card)["card"]["stamp_count"] == 1


def test_redemptions_of_one_card_in_two_processes_never_overdraw_it(
    world: World, other_process: LiveServer
) -> None:
    north, west = world.tills
    staff = {north.store_id: world.staff["staff0"], west.store_id: world.staff["staff1"]}
    for _ in range(ROUNDS):
        card = world.new_card(points=250)  # two redemptions of 100 fit; four are sent
        plans: list[tuple[httpx.Client, dict[str, Any]]] = []
        for till in (north, west):
            for url in (world.url, other_process.url):
                tx = till.tx(
                    "points_redeemed", card, staff[till.store_id], points_delta=-100, reward_id="coffee"
                )
                plans.append((client_at(url, till), {"transactions": [tx]}))

        responses = run_together([lambda c=c, b=b: post(c, b) for c, b in plans])
        results = [r.json()["results"][0] for r in responses]
        assert sorted(r["status"] for r in results) == ["accepted", "accepted", "rejected", "rejected"]
        assert {r["reason"] for r in results if r["status"] == "rejected"} == {"insufficient_points"}
        assert north.card(card)["card"]["points_balance"] == 50
    assert balances_match_ledger(world.database, world.merchant_id)


def test_serve_with_two_workers_answers_from_both(backend: Backend, tmp_path: Path) -> None:
    server = start_server(backend.url, log_path=tmp_path / "workers.log", extra_args=("--workers", "2"))
    try:
        for _ in range(20):
            assert httpx.get(f"{server.url}/v1/health", timeout=10).json() == {
                "status": "ok",
                "database": "ok",
            }
    finally:
        server.stop()
    log = (tmp_path / "workers.log").read_text()
    assert log.count("Application startup complete") == 2, log[-3000:]
