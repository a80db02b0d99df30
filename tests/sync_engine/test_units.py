"""Pure parts of the sync engine: batch sizing, backoff, Retry-After, export splitting, the round lock."""

from __future__ import annotations

import random
import threading
import uuid
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop.cli import _export_parts, export_paths
from sync.engine import BatchSizer, _Pipeline
from sync.lock import RoundLock, SyncBusy
from sync.protocol import ImportRequest, PushResponse, PushResult, TransactionType, Tx, TxStatus
from sync.report import Round
from sync.transport import parse_retry_after, push_body
from sync.worker import Backoff


def make_tx(seq: int, *, notes: str | None = None) -> Tx:
    return Tx(
        id=uuid.uuid4(),
        seq=seq,
        type=TransactionType.POINTS_ADJUSTMENT,
        card_number="C-1",
        staff_id=1,
        transaction_at=datetime(2026, 1, 1, tzinfo=UTC),
        points_delta=5,
        notes=notes,
    )


def test_batch_size_doubles_on_fast_answers_up_to_the_protocol_limit() -> None:
    sizer = BatchSizer(size=250)
    for _ in range(5):
        sizer.answered(0.1)
    assert sizer.size == 1000


def test_batch_size_halves_after_timeouts_down_to_its_floor() -> None:
    sizer = BatchSizer(size=1000, floor=10)
    for _ in range(10):
        sizer.timed_out()
    assert sizer.size == 10


def test_batch_size_stays_after_a_slow_answer() -> None:
    sizer = BatchSizer(size=250, fast_seconds=1.0)
    sizer.answered(3.0)
    assert sizer.size == 250


def test_backoff_grows_exponentially_within_full_jitter_and_the_cap() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered


def test_backoff_waits_at_least_what_retry_after_asks() -> None:
    backoff = Backoff(base=0.01, cap=60.0, rng=random.Random(1))
    assert backoff.next_delay(retry_after=5.0) >= 5.0


def test_backoff_starts_over_after_a_success() -> None:
    backoff = Backoff(base=1.0, cap=64.0, rng=random.Random(3))
    for _ in range(6):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_the_same_batch_always_serialises_to_the_same_body() -> None:
    batch = [make_tx(1), make_tx(2)]
    assert push_body(batch) == push_body(list(batch))
    assert b'"transaction_at":"2026-01-01T00:00:00Z"' in push_body(batch)


def test_an_export_of_many_transactions_is_split_into_importable_files() -> None:
    pending = [make_tx(seq) for seq in range(1, 2502)]
    parts = list(_export_parts(pending))
    assert [len(p) for p in parts] == [1000, 1000, 501]
    for part in parts:
        ImportRequest(device_id="d", transactions=part)  # each part is a valid import


def test_an_export_part_stays_under_the_request_size_limit() -> None:
    pending = [make_tx(seq, notes="x" * 1000) for seq in range(1, 1001)]
    parts = list(_export_parts(pending))
    assert len(parts) > 1
    for part in parts:
        body = ImportRequest(device_id="d", transactions=part).model_dump_json()
        assert len(body) < 1024 * 1024


def test_export_files_are_numbered_only_when_there_are_several(tmp_path: Path) -> None:
    target = tmp_path / "pending.json"
    assert export_paths(target, 1) == [target]
    assert [p.name for p in export_paths(target, 2)] == ["pending.part1-of-2.json", "pending.part2-of-2.json"]


def test_the_round_lock_refuses_a_second_holder_until_released(tmp_path: Path) -> None:
    first = RoundLock(tmp_path / "sync.lock", timeout=0.1)
    second = RoundLock(tmp_path / "sync.lock", timeout=0.1)
    with first:
        with pytest.raises(SyncBusy):
            second.__enter__()
    with second:
        pass


def test_the_round_lock_serialises_threads_of_one_process(tmp_path: Path) -> None:
    lock = RoundLock(tmp_path / "sync.lock", timeout=5)
    inside = 0
    overlaps = 0
    guard = threading.Lock()

    def hold() -> None:
        nonlocal inside, overlaps
        with lock:
            with guard:
                inside += 1
                overlaps += inside > 1
            threading.Event().wait(0.01)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == 0


def test_retry_after_in_the_past_means_now() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    past = (now - timedelta(minutes=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(past, now=now) == 0.0


def _answer(*ids: str) -> PushResponse:
    return PushResponse(
        results=[PushResult(id=tx_id, status=TxStatus.ACCEPTED) for tx_id in ids],
        server_time=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_an_answer_must_give_one_result_per_transaction_in_order() -> None:
    from sync.transport import _answers_match

    sent = [make_tx(1), make_tx(2)]
    first, second = (str(tx.id) for tx in sent)
    assert _answers_match(sent, _answer(first, second))
    assert _answers_match(sent, _answer(first.upper(), "{" + second + "}"))  # the same UUIDs, spelt otherwise
    assert not _answers_match(sent, _answer(second, first))
    assert not _answers_match(sent, _answer(first))
    assert not _answers_match(sent, _answer(first, second, str(uuid.uuid4())))
    assert not _answers_match(sent, _answer(first, "not-a-uuid"))


class _FinishesWhileAsked(Future[None]):
    """A failed commit of answers that completes between two looks: `done()` is False the first time."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.set_exception(error)
        self.looks = 0

    def done(self) -> bool:
        self.looks += 1
        return self.looks > 1


class _NoLedger:
    def apply_push_results(self, sent: object, results: object) -> None:
        pass

    def pending_transactions(self, limit: int, after_seq: int | None = None) -> list[Tx]:
        return []


def test_a_failed_commit_that_completes_between_two_looks_is_still_raised() -> None:
    pipeline = _Pipeline(_NoLedger(), Round(started=0.0))  # type: ignore[arg-type]
    failure = _FinishesWhileAsked(RuntimeError("the ledger refused the answers"))
    pipeline._tasks.append(failure)
    tx = make_tx(1)
    answer = PushResponse(
        results=[PushResult(id=str(tx.id), status=TxStatus.ACCEPTED)], server_time=datetime.now(UTC)
    )

    pipeline.apply([tx], answer)  # looks at the unfinished task once

    with pytest.raises(RuntimeError, match="refused the answers"):
        pipeline.close()
