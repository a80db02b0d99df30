"""Network faults between till and server, through the fault proxy: nothing lost, nothing doubled."""

from __future__ import annotations

import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from sync.errors import Offline
from tests.support.live_server import LiveServer
from tests.support.live_server import live_server_postgres as live_server_postgres  # noqa: F401 (fixture)
from tests.sync_engine.fault_proxy import Fault, FaultProxy
from tests.sync_engine.world import Till, World, assert_exactly_once_and_converged, enrol_till, new_card

PUSH = "/v1/sync/push"


def backlog(till: Till, *, cards: int = 2, purchases: int = 20) -> list[str]:
    numbers = [new_card(till) for _ in range(cards)]
    for index in range(purchases):
        till.earn(numbers[index % cards])
    return numbers


def push_keys(proxy: FaultProxy) -> list[str]:
    return [seen.headers["idempotency-key"] for seen in proxy.requests_to(PUSH)]


def test_an_answer_lost_after_the_server_committed_is_replayed_with_the_same_key(
    till: Till, world: World, proxy: FaultProxy
) -> None:
    cards = backlog(till)
    proxy.add(Fault.DROP_RESPONSE, path=PUSH)
    engine = till.engine(url=proxy.url)
    with pytest.raises(Offline):
        engine.run_once()
    assert till.ledger.pending_summary().count > 0  # committed on the server, not yet here
    report = engine.run_once()
    engine.close()
    keys = push_keys(proxy)
    assert keys[0] == keys[1]  # the same batch, resent with its key
    assert report.accepted == report.pushed
    assert_exactly_once_and_converged(world, till, cards)


def test_a_connection_reset_before_the_server_saw_the_batch_changes_nothing(
    till: Till, world: World, proxy: FaultProxy
) -> None:
    cards = backlog(till)
    proxy.add(Fault.RESET_BEFORE, path=PUSH, times=3)
    report = till.sync_until_done(url=proxy.url)
    assert proxy.faults_hit(Fault.RESET_BEFORE) == 3
    assert report.pushed == report.accepted
    assert_exactly_once_and_converged(world, till, cards)


def test_a_timeout_halves_the_batch_and_the_late_commit_is_not_applied_twice(
    till: Till, world: World, proxy: FaultProxy
) -> None:
    cards = backlog(till, purchases=40)
    proxy.add(Fault.DELAY, path=PUSH, delay=1.5)
    engine = till.engine(url=proxy.url, timeout=0.5, batch=40)
    with pytest.raises(Offline) as raised:
        engine.run_once()
    assert raised.value.timed_out
    assert engine.sizer.size == 20
    engine.close()
    till.sync_until_done(url=proxy.url)
    assert_exactly_once_and_converged(world, till, cards)


def test_a_run_of_503s_is_waited_out(till: Till, world: World, proxy: FaultProxy) -> None:
    cards = backlog(till)
    proxy.add(Fault.UNAVAILABLE, path=PUSH, times=4, retry_after=2)
    till.sync_until_done(url=proxy.url)
    assert proxy.faults_hit(Fault.UNAVAILABLE) == 4
    assert_exactly_once_and_converged(world, till, cards)


def test_random_faults_on_every_request_still_converge(till: Till, world: World, proxy: FaultProxy) -> None:
    rng = random.Random(5)
    cards = backlog(till, cards=3, purchases=60)
    faults = [Fault.DROP_RESPONSE, Fault.RESET_BEFORE, Fault.UNAVAILABLE, Fault.PASS, Fault.PASS]
    for _ in range(25):
        fault = rng.choice(faults)
        if fault is not Fault.PASS:
            proxy.add(fault, path=rng.choice([PUSH, "/v1/sync/pull"]))
        try:
            till.sync(url=proxy.url, batch=10)
        except Offline:
            pass
        till.earn(rng.choice(cards))
    proxy.clear()
    till.sync(url=proxy.url)
    assert_exactly_once_and_converged(world, till, cards)


@pytest.mark.postgres
def test_a_server_killed_and_restarted_mid_sync_loses_and_doubles_nothing(
    live_server_postgres: tuple[LiveServer, dict[str, Any]],  # noqa: F811
    tmp_path: Path,
) -> None:
    server, document = live_server_postgres
    world = World(server_url=server.url, document=document)
    till = enrol_till(world, tmp_path)
    cards = backlog(till, purchases=200)
    with proxied(server) as proxy:
        # Killed between two batches: the second never reaches it.
        proxy.add(Fault.PASS, path=PUSH, times=1)
        proxy.add(Fault.PASS, path=PUSH, times=1, before=server.kill)
        with pytest.raises(Offline):
            till.sync(url=proxy.url, batch=25)
        server.restart()
        # Killed while a batch is inside it, at random moments (committed or not).
        rng = random.Random(3)
        for _ in range(2):
            till.earn(cards[0])
            proxy.add(Fault.PASS, path=PUSH, after_forward=lambda: kill_soon(server, rng))
            with pytest.raises(Offline):
                till.sync(url=proxy.url, batch=25)
            server.restart()
        till.sync(url=proxy.url)
    assert_exactly_once_and_converged(world, till, cards)
    till.ledger.close()


def kill_soon(server: LiveServer, rng: random.Random) -> None:
    threading.Event().wait(rng.uniform(0, 0.03))
    server.kill()


class proxied:  # noqa: N801 (a context manager used like a function)
    def __init__(self, server: LiveServer) -> None:
        self.proxy = FaultProxy(server.port)

    def __enter__(self) -> FaultProxy:
        return self.proxy.start()

    def __exit__(self, *exc: object) -> None:
        self.proxy.stop()


def test_a_till_disk_that_refuses_to_commit_the_answers_loses_and_doubles_nothing(
    till: Till, world: World
) -> None:
    cards = backlog(till, purchases=30)
    pending = till.ledger.pending_summary().count
    with sqlite3.connect(till.path) as conn:
        conn.executescript(
            """
            CREATE TABLE fail_commit (armed INTEGER);
            INSERT INTO fail_commit VALUES (1);
            CREATE TRIGGER refuse_answers BEFORE UPDATE OF sync_state ON transactions
            WHEN (SELECT armed FROM fail_commit) = 1
            BEGIN SELECT RAISE(ABORT, 'the disk refused the write'); END;
            """
        )
    with pytest.raises(Exception, match="the disk refused the write"):
        till.sync()  # the server committed the batch; the till could not
    assert till.ledger.pending_summary().count == pending
    assert (till.ledger.sync_status().last_sync_error or "").startswith("Unexpected error")
    with sqlite3.connect(till.path) as conn:
        conn.execute("UPDATE fail_commit SET armed = 0")
    report = till.sync()
    assert report.accepted == pending  # the server's original outcomes, replayed
    assert_exactly_once_and_converged(world, till, cards)
