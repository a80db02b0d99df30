"""The sync loop: triggers, debounce, backoff and Retry-After, its state, auth stop, one round at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync.engine import SyncEngine
from sync.lock import RoundLock
from sync.worker import Backoff, StateKind, SyncState, SyncWorker
from tests.sync_engine.fault_proxy import Fault, FaultProxy
from tests.sync_engine.world import Till, World, new_card

WAIT = 15.0


class States:
    """Collects the worker's states (from its thread) and waits for one that matches."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, SyncState]] = []
        self._changed = threading.Condition()

    def __call__(self, state: SyncState) -> None:
        with self._changed:
            self.seen.append((time.monotonic(), state))
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[SyncState], bool], *, after: int = 0) -> SyncState:
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(predicate(s) for _, s in self.seen[after:]), timeout=WAIT
            )
            assert found, f"no such state; saw {[s.kind.value for _, s in self.seen]}"
            return next(s for _, s in self.seen[after:] if predicate(s))

    def kinds(self) -> list[StateKind]:
        with self._changed:
            return [s.kind for _, s in self.seen]


@pytest.fixture
def states() -> States:
    return States()


@pytest.fixture
def make_worker(till: Till, proxy: FaultProxy, states: States) -> Iterator[Callable[..., SyncWorker]]:
    workers: list[SyncWorker] = []

    def make(**options: object) -> SyncWorker:
        factory: Callable[[], SyncEngine] = lambda: till.engine(url=proxy.url, timeout=2.0)  # noqa: E731
        options.setdefault("backoff", Backoff(base=0.05, cap=0.2))
        worker = SyncWorker(factory, on_state=states, **options)  # type: ignore[arg-type]
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


def online(state: SyncState) -> bool:
    return state.kind is StateKind.ONLINE


def test_the_worker_syncs_at_start_and_says_it_is_online(
    till: Till, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    new_card(till)
    worker = make_worker(interval=3600)
    worker.start()
    state = states.wait_for(online)
    assert state.pending_count == 0
    assert state.last_success_at is not None
    assert state.last_report is not None and state.last_report.pushed >= 1
    assert states.kinds()[:2] == [StateKind.SYNCING, StateKind.ONLINE]


def test_a_recorded_transaction_is_synced_soon_after_without_waiting_for_the_timer(
    till: Till, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    worker = make_worker(interval=3600, debounce=0.1)
    worker.start()
    states.wait_for(online)
    mark = len(states.seen)
    new_card(till)
    for _ in range(5):  # a burst of recordings makes one round, not five
        worker.notify_recorded()
    state = states.wait_for(lambda s: online(s) and s.pending_count == 0, after=mark)
    assert state.last_report is not None and state.last_report.pushed >= 1
    assert worker.rounds == 2


def test_the_timer_syncs_every_interval(
    till: Till, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    worker = make_worker(interval=0.2)
    worker.start()
    states.wait_for(online)
    mark = len(states.seen)
    first = next(s for _, s in reversed(states.seen[:mark]) if online(s))
    new_card(till)  # nobody tells the worker
    later = states.wait_for(lambda s: online(s) and s.pending_count == 0, after=mark)
    assert later.since == first.since  # online since the first round, syncing in between
    assert later.last_success_at is not None and first.last_success_at is not None
    assert later.last_success_at > first.last_success_at


def test_an_unreachable_server_means_offline_since_the_first_failure_then_online_again(
    till: Till, proxy: FaultProxy, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    new_card(till)
    proxy.add(Fault.RESET_BEFORE, times=None)
    worker = make_worker(interval=3600)
    worker.start()
    first = states.wait_for(lambda s: s.kind is StateKind.OFFLINE)
    assert first.pending_count >= 1 and first.retry_in is not None
    offline = [s for _, s in states.seen if s.kind is StateKind.OFFLINE]
    while len(offline) < 3:
        states.wait_for(lambda s: s.kind is StateKind.OFFLINE, after=len(states.seen))
        offline = [s for _, s in states.seen if s.kind is StateKind.OFFLINE]
    assert {s.since for s in offline} == {first.since}  # "offline since T" keeps its T
    assert "reach" in first.message
    proxy.clear()
    state = states.wait_for(online)
    assert state.pending_count == 0


def test_retry_after_from_the_server_is_honoured(
    till: Till, proxy: FaultProxy, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    new_card(till)
    proxy.add(Fault.UNAVAILABLE, path="/v1/sync/push", retry_after=1)
    worker = make_worker(interval=3600, backoff=Backoff(base=0.01, cap=0.05))
    worker.start()
    offline = states.wait_for(lambda s: s.kind is StateKind.OFFLINE)
    assert offline.retry_in is not None and offline.retry_in >= 1.0
    states.wait_for(online)
    failed_at = next(t for t, s in states.seen if s.kind is StateKind.OFFLINE)
    retried_at = next(t for t, s in states.seen if s.kind is StateKind.SYNCING and t > failed_at)
    assert retried_at - failed_at >= 0.95


def test_sync_now_skips_the_backoff(
    till: Till, proxy: FaultProxy, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    new_card(till)
    proxy.add(Fault.UNAVAILABLE, path="/v1/sync/push", retry_after=600)
    worker = make_worker(interval=3600)
    worker.start()
    states.wait_for(lambda s: s.kind is StateKind.OFFLINE)
    worker.sync_now()
    assert states.wait_for(online).pending_count == 0


def test_a_refused_request_is_an_error_with_the_servers_detail_and_is_retried_later(
    till: Till, proxy: FaultProxy, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    new_card(till)
    proxy.add(Fault.REFUSE, path="/v1/sync/push", times=2)
    worker = make_worker(interval=3600)
    worker.start()
    error = states.wait_for(lambda s: s.kind is StateKind.ERROR)
    assert "422 invalid_request" in error.message and "points_delta" in error.message
    assert states.wait_for(online).pending_count == 0


def test_a_revoked_till_stops_syncing_and_says_why(
    till: Till, world: World, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    identity = till.ledger.identity()
    assert identity is not None
    with world.admin() as admin:
        admin.post(f"/v1/office/devices/{identity.device_id}/revoke").raise_for_status()
    worker = make_worker(interval=0.05)
    worker.start()
    state = states.wait_for(lambda s: s.kind is StateKind.STOPPED)
    assert "revoked" in state.message
    worker.sync_now()
    worker.notify_recorded()
    worker.stop()
    assert worker.rounds == 1


def test_never_two_rounds_at_once_even_when_asked_from_everywhere(
    till: Till, proxy: FaultProxy, tmp_path: Path, states: States
) -> None:
    card = new_card(till)
    for _ in range(30):
        till.earn(card)
    lock_path = tmp_path / "sync.lock"

    def factory() -> SyncEngine:
        engine = till.engine(url=proxy.url, batch=5)
        engine.lock = RoundLock(lock_path)  # shared, as two processes of one till share it
        return engine

    workers = [SyncWorker(factory, interval=0.01, debounce=0.0, on_state=states) for _ in range(2)]
    for worker in workers:
        worker.start()
    callers = [
        threading.Thread(target=lambda w=w: [w.sync_now() or w.notify_recorded() for _ in range(50)])
        for w in workers
    ]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()
    states.wait_for(lambda s: online(s) and s.pending_count == 0)
    for worker in workers:
        worker.stop()
    assert proxy.max_in_flight == 1
    assert sum(w.rounds for w in workers) >= 2


def test_stop_ends_the_thread_and_says_stopped(
    make_worker: Callable[..., SyncWorker], states: States
) -> None:
    worker = make_worker(interval=3600)
    worker.start()
    states.wait_for(online)
    worker.stop()
    assert worker.state.kind is StateKind.STOPPED
    assert not any(t.name == "sync-worker" and t.is_alive() for t in threading.enumerate())


def test_each_round_reads_the_servers_clock_and_says_how_far_the_tills_is_off(
    till: Till, make_worker: Callable[..., SyncWorker], states: States
) -> None:
    from datetime import UTC, datetime, timedelta

    skew = timedelta(hours=13)
    worker = make_worker(interval=3600, clock=lambda: datetime.now(UTC) + skew)
    worker.start()

    state = states.wait_for(online)

    assert state.server_clock is not None
    assert state.clock_offset is not None
    assert abs(state.clock_offset - skew.total_seconds()) < 5  # the Date header's second, the round trip
