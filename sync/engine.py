"""One sync round on the caller's thread: push the outbox in batches, pull changes, check convergence."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from sync.errors import Offline, ProtocolError, SyncError
from sync.lock import RoundLock
from sync.ports import LedgerPort, Mismatch
from sync.protocol import (
    MAX_BATCH_ITEMS,
    CardState,
    PullResponse,
    PushResponse,
    Tx,
)
from sync.report import Rejection, Round, SyncReport, build_report, count_results
from sync.transport import ServerClock, SyncClient

log = logging.getLogger(__name__)

PULL_PAGE_SIZE = 500
PUSH_WINDOW = 2 * MAX_BATCH_ITEMS  # pending transactions read from the ledger at a time
MAX_PULL_PAGES = 10_000
# Answers are committed locally once the oldest has waited this long or this many wait (and
# at the end of the push): fewer local commits; after a crash the uncommitted are replayed.
COMMIT_SECONDS = 2.0
# How often a till online asks for its allowances when it spent none of them (they last hours; the
# server renews one when that moves its end on by a tenth of its validity).
ALLOWANCE_ASK_INTERVAL = 300.0
COMMIT_AT = 5 * MAX_BATCH_ITEMS


@dataclass(slots=True)
class BatchSizer:
    """Adaptive batch size: halves after a timeout, doubles after a fast answer."""

    size: int = 250
    floor: int = 10
    ceiling: int = MAX_BATCH_ITEMS
    fast_seconds: float = 2.0

    def answered(self, seconds: float) -> None:
        if seconds < self.fast_seconds:
            self.size = min(self.ceiling, self.size * 2)

    def timed_out(self) -> None:
        self.size = max(self.floor, self.size // 2)

    def too_large(self) -> None:
        self.size = max(1, self.size // 2)


class SyncEngine:
    """Moves one till's ledger to the server and the server's state back, one round at a time.

    A round runs on the caller's thread (the worker adds the loop); committing answers and
    reading the next pending window overlap the requests, on one helper thread, in order.

    Batches are keyed by their transaction ids: an unanswered batch resent unchanged goes
    with the same Idempotency-Key (kept in memory for this engine's life), so a lost answer
    is replayed by the server. After a crash the keys are gone, but a new key is safe: the
    server applies each transaction id at most once and answers a replay with the original
    outcome.
    """

    def __init__(
        self,
        ledger: LedgerPort,
        client: SyncClient,
        *,
        sizer: BatchSizer | None = None,
        pull_page_size: int = PULL_PAGE_SIZE,
        clock: Callable[[], datetime] | None = None,
        lock: RoundLock | None = None,
        allowance_interval: float = ALLOWANCE_ASK_INTERVAL,
    ) -> None:
        self.ledger = ledger
        self.lock = lock
        self.client = client
        self.sizer = sizer or BatchSizer()
        self.pull_page_size = pull_page_size
        self._clock = clock or (lambda: datetime.now(UTC))
        self._keys: dict[tuple[uuid.UUID, ...], str] = {}
        self._allowances_supported = True
        self._allowances_asked: datetime | None = None  # the engine's clock at the last answer
        self._allowance_interval = allowance_interval

    def close(self) -> None:
        self.client.close()

    @property
    def server_clock(self) -> ServerClock | None:
        """The server's clock as its latest answer told it (None before any answer)."""
        return self.client.server_clock

    def run_once(self) -> SyncReport:
        """Push everything pending, pull every change, repair mismatches; record the outcome.

        With a lock, the round holds it (SyncBusy when another process keeps it too long).
        """
        if self.lock is None:
            return self._run_round()
        with self.lock:
            return self._run_round()

    def _run_round(self) -> SyncReport:
        progress = Round(started=time.monotonic())
        try:
            committing = self._push_all(progress)
            try:
                self._pull_all(progress, first_wait_for=committing)
            finally:
                committing.close()  # already closed unless the pull failed early
            mismatches = self._reconcile(progress)
            self._sync_allowances(progress)
        except SyncError as error:
            self.ledger.record_sync(at=self._clock(), succeeded=False, message=error.message)
            raise
        except Exception as error:
            message = f"Unexpected error ({type(error).__name__}); see the log."
            self.ledger.record_sync(at=self._clock(), succeeded=False, message=message)
            raise
        self.ledger.record_sync(at=self._clock(), succeeded=True)
        report = build_report(progress, mismatches)
        log.info("sync round: %s", report.summary())
        return report

    def pull_all(self) -> SyncReport:
        """Only the pull half (enrolment's first sync)."""
        progress = Round(started=time.monotonic())
        self._pull_all(progress)
        return build_report(progress, ())

    # --- push -------------------------------------------------------------------------------

    def _push_all(self, progress: Round) -> _Pipeline:
        """Push every pending transaction in seq order, batch after batch.

        The pending list is read a window at a time, each window after the last seq read
        (each row read once), the next one while batches of the one before are with the
        server. On one helper thread, in order, answers are committed and windows are read.
        Returns with the last answers still being committed: the caller closes the pipeline
        (the pull's first request overlaps that commit).
        """
        pipeline = _Pipeline(self.ledger, progress)
        try:
            # A first window of one batch: the next read then overlaps its request.
            backlog = _Backlog(self.ledger.pending_transactions(self.sizer.size), pipeline)
            while batch := backlog.next_batch(self.sizer.size):
                response = self._push_batch(batch)
                if response is None:
                    continue  # refused as too large: resend smaller
                pipeline.apply(batch, response)
                backlog.sent(len(batch))
            pipeline.flush()
        except BaseException:
            pipeline.close()
            raise
        return pipeline

    def _push_batch(self, batch: Sequence[Tx]) -> PushResponse | None:
        ids = tuple(tx.id for tx in batch)
        key = self._keys.setdefault(ids, str(uuid.uuid4()))
        started = time.monotonic()
        try:
            response = self.client.push(batch, key)
        except Offline as error:
            if error.timed_out:
                self.sizer.timed_out()
            raise
        except ProtocolError as error:
            self._after_refused_batch(ids, batch, error)
            return None
        del self._keys[ids]
        self.sizer.answered(time.monotonic() - started)
        return response

    def _after_refused_batch(
        self, ids: tuple[uuid.UUID, ...], batch: Sequence[Tx], error: ProtocolError
    ) -> None:
        """Recover from the refusals a resend fixes; anything else is a bug to surface."""
        del self._keys[ids]
        if error.code == "payload_too_large" and len(batch) > 1:
            self.sizer.too_large()
            log.warning("batch of %d too large; trying %d", len(batch), self.sizer.size)
            return
        if error.code == "idempotency_key_reused":
            log.warning("idempotency key refused as reused; resending with a new key")
            return
        raise error

    # --- pull -------------------------------------------------------------------------------

    def _pull_all(self, progress: Round, *, first_wait_for: _Pipeline | None = None) -> None:
        """Apply pulled pages until the server has no more; `first_wait_for` is closed (its
        answers committed) before the first page is applied, the newer states last."""
        cursor = self.ledger.pull_cursor()
        for _ in range(MAX_PULL_PAGES):
            try:
                page = self._pull_page(cursor)
            finally:
                if first_wait_for is not None:
                    first_wait_for.close()
                    first_wait_for = None
            self.ledger.apply_pull_page(page)
            progress.pulled_pages += 1
            progress.pulled_cards += len(page.cards)
            progress.program_updated |= page.program is not None
            progress.staff_updated |= page.staff is not None
            for card in page.cards:
                progress.server_cards[card.card_number] = CardState(
                    card_number=card.card_number,
                    stamp_count=card.stamp_count,
                    points_balance=card.points_balance,
                    is_active=card.is_active,
                )
            if not page.has_more:
                return
            if page.cursor == cursor:
                raise ProtocolError(status=200, code="bad_answer", detail="has_more without progress")
            cursor = page.cursor
        raise ProtocolError(status=200, code="bad_answer", detail="the pull never ends")

    def _pull_page(self, cursor: str | None) -> PullResponse:
        try:
            return self.client.pull(cursor, self.pull_page_size)
        except ProtocolError as error:
            if error.code != "invalid_cursor" or cursor is None:
                raise
        # The server no longer knows our cursor (restored from a backup?): start over, which
        # is always safe because applying a page only sets confirmed states.
        log.warning("the server refused our pull cursor; pulling everything again")
        return self.client.pull(None, self.pull_page_size)

    # --- allowances (protocol v1.1) ----------------------------------------------------------

    def _sync_allowances(self, progress: Round) -> None:
        """Last in a round, with every answer committed: the till's allowances released, renewed
        and granted, and kept in the ledger. The request's seq covers everything recorded, sent or
        not: the server releases an ended allowance only if it has stored all of it. Asked in the
        first round, after a round that pushed redemptions citing an allowance (to top them up),
        and otherwise every `allowance_interval` seconds: allowances last hours, and an ask reads every
        one the till holds. A v1 server (no such endpoint) is not asked again by this engine."""
        if not self._allowances_supported:
            return
        asked = self._allowances_asked
        since = (self._clock() - asked).total_seconds() if asked is not None else None
        due = since is None or not 0 <= since < self._allowance_interval  # a clock set back: due too
        if not due and progress.spent_allowances == 0:
            return
        request = self.ledger.allowance_request()
        if request is None:
            return
        answer = self.client.allowances(request)
        if answer is None:
            self._allowances_supported = False
            log.info("the server grants no allowances (a v1 server)")
            return
        self.ledger.apply_allowances(answer)
        self._allowances_asked = self._clock()
        progress.allowances = len(answer.allowances)

    # --- convergence ------------------------------------------------------------------------

    def _reconcile(self, progress: Round) -> tuple[Mismatch, ...]:
        if not progress.server_cards:
            return ()
        mismatches = tuple(self.ledger.reconcile(list(progress.server_cards.values())))
        for mismatch in mismatches:
            log.warning(
                "card %s: till view %s differed from the server's %s; repaired from the server",
                mismatch.card_number,
                _state_text(mismatch.local),
                _state_text(mismatch.server),
            )
        return mismatches


class _Backlog:
    """The pending transactions still to send, in seq order: the next window (after the last
    seq read) is read on the pipeline's thread while this one's batches are with the server,
    until a read finds nothing more."""

    def __init__(self, first: list[Tx], pipeline: _Pipeline) -> None:
        self._queue = list(first)
        self._pipeline = pipeline
        self._last_seq = first[-1].seq if first else 0
        self._reading: Future[list[Tx]] | None = None
        self._exhausted = not first

    def next_batch(self, size: int) -> list[Tx]:
        """The next batch of up to `size` (empty once everything is sent)."""
        while True:
            if self._reading is not None and (len(self._queue) < size or self._reading.done()):
                more = self._reading.result()
                self._reading = None
                self._exhausted = not more
                if more:
                    self._queue.extend(more)
                    self._last_seq = more[-1].seq
            if self._reading is None and not self._exhausted and len(self._queue) <= PUSH_WINDOW:
                self._reading = self._pipeline.read_after(self._last_seq)
            if self._queue or self._reading is None:
                return self._queue[:size]

    def sent(self, count: int) -> None:
        del self._queue[:count]


class _Pipeline:
    """One helper thread, first in first out, that commits answers and reads the next window
    while requests are with the server.

    Answers are committed together, in one local transaction, once the oldest has waited
    COMMIT_SECONDS or COMMIT_AT of them wait, and at the end: fewer commits and view
    refreshes, while a crash costs at most that much replay. A window is read after the
    last seq read before (transactions leave in seq order: nothing after it was sent yet).
    A helper failure surfaces at the next call.
    """

    def __init__(self, ledger: LedgerPort, progress: Round) -> None:
        self._ledger = ledger
        self._progress = progress
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-apply")
        self._lock = threading.Lock()
        self._answered: list[tuple[Sequence[Tx], PushResponse]] = []
        self._answered_count = 0
        self._oldest_answer = 0.0
        self._tasks: list[Future[None]] = []
        self._closed = False

    def apply(self, batch: Sequence[Tx], response: PushResponse) -> None:
        self._raise_failures()
        now = time.monotonic()
        with self._lock:
            if not self._answered:
                self._oldest_answer = now
            self._answered.append((batch, response))
            self._answered_count += len(batch)
            due = self._answered_count >= COMMIT_AT or now - self._oldest_answer >= COMMIT_SECONDS
        if due:
            self._tasks.append(self._executor.submit(self._commit_answered))

    def read_after(self, last_seq: int) -> Future[list[Tx]]:
        """The next pending window: the transactions after `last_seq` (read, so sent or to be)."""
        return self._executor.submit(self._ledger.pending_transactions, PUSH_WINDOW, last_seq)

    def _commit_answered(self) -> None:
        with self._lock:
            answered, self._answered = self._answered, []
            self._answered_count = 0
        if not answered:
            return
        sent = [tx for batch, _ in answered for tx in batch]
        # Applied in order: the ledger keeps each card's last answered state.
        self._ledger.apply_push_results(sent, [r for _, response in answered for r in response.results])
        for batch, response in answered:
            count_results(self._progress, batch, response)

    def _raise_failures(self) -> None:
        # One look per task: a task finishing between two looks would land in neither list.
        finished: list[Future[None]] = []
        unfinished: list[Future[None]] = []
        for task in self._tasks:
            (finished if task.done() else unfinished).append(task)
        self._tasks = unfinished
        for task in finished:
            task.result()

    def flush(self) -> None:
        """Start committing every answer given so far."""
        self._tasks.append(self._executor.submit(self._commit_answered))

    def close(self) -> None:
        """Commit every answer given so far and stop; raise the helper's failure if any.
        Closing again does nothing."""
        if self._closed:
            return
        self._closed = True
        self.flush()
        tasks, self._tasks = self._tasks, []
        try:
            for task in tasks:
                task.result()
        finally:
            self._executor.shutdown(wait=True)


def _state_text(state: CardState) -> str:
    active = "active" if state.is_active else "inactive"
    return f"(stamps {state.stamp_count}, points {state.points_balance}, {active})"


__all__ = ["BatchSizer", "Rejection", "SyncEngine", "SyncReport"]
