"""Concurrent tills: the row lock decides, a batch applies once, hot cards neither deadlock nor 500."""

from __future__ import annotations

import contextlib
import queue
import random
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from server_stub.models import Card, Store
from server_stub.service.world import create_device
from tests.server.conftest import Backend
from tests.server.factories import Till, World
from tests.server.ledger_checks import balances_match_ledger, stored_ids

THREAD_TIMEOUT_S = 120


def run_together(workers: list[Callable[[], Any]]) -> list[Any]:
    """Start every worker at the same instant (a barrier) and return their results in order."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)
    errors: list[BaseException] = []

    def run(index: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work()
        except BaseException as exc:  # surfaced in the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT_S)
        assert not thread.is_alive(), "a request hung (deadlock?)"
    if errors:
        raise errors[0]
    return results


def fresh_client(world: World, till: Till) -> httpx.Client:
    return world.client(till.token)


def extra_tills(world: World, count: int) -> list[Till]:
    with world.database.session() as session, session.begin():
        stores = [session.get_one(Store, store_id) for store_id in world.store_ids]
        issued = [
            (
                create_device(session, store=stores[i % 2], name=f"extra {i}", now=datetime.now(UTC)),
                stores[i % 2].id,
            )
            for i in range(count)
        ]
    return [Till(world.client(d.token), d.id, store_id, d.token) for d, store_id in issued]


def test_two_stores_redeeming_one_card_at_the_same_instant_accept_exactly_what_the_balance_allows(
    world: World,
) -> None:
    north, west = world.tills
    for _ in range(8):
        card = world.new_card(points=250)  # two redemptions of 100 fit, four were attempted
        batches = [
            (
                till,
                [
                    till.tx("points_redeemed", card, staff, points_delta=-100, reward_id="coffee")
                    for _ in range(2)
                ],
            )
            for till, staff in ((north, world.staff["staff0"]), (west, world.staff["staff1"]))
        ]
        clients = [fresh_client(world, till) for till, _ in batches]

        def push(client: httpx.Client, txs: list[dict[str, Any]]) -> httpx.Response:
            return client.post(
                "/v1/sync/push", json={"transactions": txs}, headers={"Idempotency-Key": str(uuid.uuid4())}
            )

        responses = run_together(
            [lambda c=c, b=b: push(c, b[1]) for c, b in zip(clients, batches, strict=True)]
        )
        assert [r.status_code for r in responses] == [200, 200]
        results = [item for r in responses for item in r.json()["results"]]
        assert sorted(r["status"] for r in results) == ["accepted", "accepted", "rejected", "rejected"]
        assert {r["reason"] for r in results if r["status"] == "rejected"} == {"insufficient_points"}
        assert north.card(card)["card"]["points_balance"] == 50
    assert balances_match_ledger(world.database, world.merchant_id)


def test_the_same_batch_sent_from_eight_threads_at_once_is_applied_once(world: World) -> None:
    till = world.tills[0]
    card = world.new_card()
    txs = [
        till.tx("points_earned", card, world.staff["staff0"], points_delta=10, purchase_amount_cents=100),
        till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1),
    ]
    clients = [fresh_client(world, till) for _ in range(8)]
    body = {"transactions": txs}

    def send(client: httpx.Client) -> httpx.Response:
        return client.post("/v1/sync/push", json=body, headers={"Idempotency-Key": "the-batch"})

    responses = run_together([lambda c=c: send(c) for c in clients])
    assert {r.status_code for r in responses} <= {200, 409}
    assert all(r.headers.get("Retry-After") for r in responses if r.status_code == 409)
    answered = [r.json() for r in responses if r.status_code == 200]
    assert answered and all(a == answered[0] for a in answered)
    final = send(clients[0])
    assert final.status_code == 200 and final.headers["Idempotent-Replayed"] == "true"
    card_now = till.card(card)["card"]
    assert (card_now["points_balance"], card_now["stamp_count"]) == (10, 1)
    assert sum(1 for i in stored_ids(world.database, world.merchant_id) if i in {t["id"] for t in txs}) == 2


def test_the_same_transactions_under_different_keys_from_eight_threads_apply_once(world: World) -> None:
    till = world.tills[0]
    card = world.new_card()
    txs = [till.tx("points_earned", card, world.staff["staff0"], points_delta=10, purchase_amount_cents=100)]
    clients = [fresh_client(world, till) for _ in range(8)]

    def send(client: httpx.Client) -> httpx.Response:
        return client.post(
            "/v1/sync/push", json={"transactions": txs}, headers={"Idempotency-Key": str(uuid.uuid4())}
        )

    responses = run_together([lambda c=c: send(c) for c in clients])
    assert [r.status_code for r in responses] == [200] * 8
    results = [r.json()["results"][0] for r in responses]
    assert all(r["status"] == "accepted" for r in results)
    assert sum(1 for r in results if not r["replayed"]) == 1
    assert till.card(card)["card"]["points_balance"] == 10


def test_many_tills_hammering_a_few_hot_cards_get_no_500_and_no_deadlock(world: World) -> None:
    tills = extra_tills(world, 6)
    cards = [world.new_card(points=500, stamps=20) for _ in range(3)]
    staff_of_store = {
        world.store_ids[0]: world.staff["manager0"],
        world.store_ids[1]: world.staff["manager1"],
    }
    rng = random.Random(7)
    plans = []
    for till in tills:
        batches = []
        for _ in range(8):
            txs = []
            for _ in range(10):
                card, staff = rng.choice(cards), staff_of_store[till.store_id]
                choice = rng.random()
                if choice < 0.4:
                    txs.append(
                        till.tx("points_earned", card, staff, points_delta=10, purchase_amount_cents=100)
                    )
                elif choice < 0.8:
                    txs.append(till.tx("points_redeemed", card, staff, points_delta=-100, reward_id="coffee"))
                else:
                    txs.append(till.tx("stamp_earned", card, staff, stamps_delta=1))
            batches.append(txs)
        plans.append((fresh_client(world, till), batches))

    def hammer(client: httpx.Client, batches: list[list[dict[str, Any]]]) -> list[int]:
        return [
            client.post(
                "/v1/sync/push", json={"transactions": b}, headers={"Idempotency-Key": str(uuid.uuid4())}
            ).status_code
            for b in batches
        ]

    statuses = run_together([lambda c=c, b=b: hammer(c, b) for c, b in plans])
    assert {s for per_till in statuses for s in per_till} == {200}
    assert balances_match_ledger(world.database, world.merchant_id)


def test_a_till_paging_while_others_push_never_misses_a_change(world: World) -> None:
    cards = [world.new_card() for _ in range(30)]
    writers = extra_tills(world, 3)
    reader = fresh_client(world, world.tills[0])
    staff_of_store = {world.store_ids[0]: world.staff["staff0"], world.store_ids[1]: world.staff["staff1"]}
    stop = threading.Event()
    seen: dict[str, int] = {}

    def write(till: Till) -> int:
        client, rng, sent = fresh_client(world, till), random.Random(till.device_id), 0
        while not stop.is_set() and sent < 40:
            txs = [
                till.tx(
                    "points_earned",
                    card,
                    staff_of_store[till.store_id],
                    points_delta=1,
                    purchase_amount_cents=10,
                )
                for card in rng.sample(cards, 5)
            ]
            response = client.post(
                "/v1/sync/push", json={"transactions": txs}, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            assert response.status_code == 200
            sent += 1
        return sent

    def read() -> str | None:
        cursor: str | None = None
        while not stop.is_set():
            params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
            page = reader.get("/v1/sync/pull", params=params).json()
            for card in page["cards"]:
                seen[card["card_number"]] = card["points_balance"]
            cursor = page["cursor"]
        return cursor

    reader_result: list[str | None] = []
    reader_thread = threading.Thread(target=lambda: reader_result.append(read()))
    reader_thread.start()
    try:
        run_together([lambda t=t: write(t) for t in writers])
    finally:
        stop.set()
        reader_thread.join(THREAD_TIMEOUT_S)
    cursor = reader_result[0]
    while True:  # drain what was committed after the reader's last page
        page = reader.get(
            "/v1/sync/pull", params={"limit": 7, **({"cursor": cursor} if cursor else {})}
        ).json()
        for card in page["cards"]:
            seen[card["card_number"]] = card["points_balance"]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    for card in cards:
        assert seen.get(card) == world.tills[0].card(card)["card"]["points_balance"], card


def test_a_key_whose_first_request_is_still_running_answers_409_with_retry_after(
    world: World, backend: Backend
) -> None:
    till = world.tills[0]
    card = world.new_card()
    txs = [till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)]
    clients = [fresh_client(world, till) for _ in range(2)]
    answers: queue.Queue[httpx.Response] = queue.Queue()

    def send(client: httpx.Client) -> None:
        answers.put(
            client.post("/v1/sync/push", json={"transactions": txs}, headers={"Idempotency-Key": "slow"})
        )

    with hold_card_lock(backend, world, card):  # the first request to claim the key waits here
        threads = [threading.Thread(target=send, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        first = answers.get(timeout=60)
        assert (first.status_code, first.json()["code"]) == (409, "request_in_progress")
        assert first.headers["Retry-After"] == "1"
    second = answers.get(timeout=60)
    for thread in threads:
        thread.join(THREAD_TIMEOUT_S)
    assert second.status_code == 200
    assert till.card(card)["card"]["stamp_count"] == 1


@contextlib.contextmanager
def hold_card_lock(backend: Backend, world: World, card: str) -> Iterator[None]:
    """Block writers on `card`: its row lock on PostgreSQL, the single write lock on SQLite."""
    if backend.name == "sqlite":
        connection = sqlite3.connect(backend.url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    with world.database.session() as session, session.begin():
        session.execute(
            select(Card.id)
            .where(Card.merchant_id == world.merchant_id, Card.card_number == card)
            .with_for_update()
        ).one()
        yield
