"""The sync loop on its own thread: triggers, debounce, backoff with jitter, a readable state."""

from __future__ import annotations

import enum
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sync.engine import SyncEngine
from sync.errors import AuthFailed, Offline, SyncError
from sync.report import SyncReport
from sync.transport import ServerClock

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
DEFAULT_DEBOUNCE = 0.5


class StateKind(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    SYNCING = "syncing"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class SyncState:
    """What a UI shows about sync: the kind, since when, a human message, the backlog."""

    kind: StateKind
    since: datetime
    message: str = ""
    pending_count: int = 0
    last_success_at: datetime | None = None
    last_report: SyncReport | None = None
    retry_in: float | None = None
    retry_at: datetime | None = None  # after a failure: when the next round is due (by this clock)
    server_clock: ServerClock | None = None  # the server's clock as its latest answer gave it
    clock_offset: float | None = None  # seconds this clock is ahead of the server's (negative: behind)


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with full jitter; a server's Retry-After is a floor."""

    base: float = 1.0
    cap: float = 60.0
    rng: random.Random | None = None
    failures: int = 0
    max_retry_after: float = 3600.0  # a server asking for more is not believed beyond this

    def next_delay(self, retry_after: float | None = None) -> float:
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        delay = (self.rng or random).uniform(0.0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay

    def reset(self) -> None:
        self.failures = 0


class SyncWorker:
    """Runs sync rounds on a background thread; never two at once.

    Triggers: start, `notify_recorded()` (debounced), every `interval` seconds, and
    `sync_now()`. While offline, recorded transactions wait for the backoff; `sync_now()`
    does not. An auth failure (a revoked till) stops the loop with the reason as its state.
    `on_state` is called from the worker's thread: a UI must hand it to its own thread.
    """

    def __init__(
        self,
        engine_factory: Callable[[], SyncEngine],
        *,
        interval: float = DEFAULT_INTERVAL,
        debounce: float = DEFAULT_DEBOUNCE,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] | None = None,
        on_state: Callable[[SyncState], None] | None = None,
    ) -> None:
        self._engine_factory = engine_factory
        self._engine: SyncEngine | None = None
        self.interval = interval
        self.debounce = debounce
        self.backoff = backoff or Backoff()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._on_state = on_state
        self._wake = threading.Condition()
        self._round_lock = threading.Lock()
        self._due = 0.0  # monotonic time of the next round
        self._backoff_until = 0.0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._state = SyncState(kind=StateKind.STOPPED, since=self._clock(), message="Not started")
        self._settled_kind = StateKind.STOPPED
        self._settled_since = self._state.since
        self._last_success_at: datetime | None = None
        self._last_report: SyncReport | None = None
        self._demand = 0  # counts sync_now() calls
        self._rounds = 0

    # --- control ----------------------------------------------------------------------------

    @property
    def state(self) -> SyncState:
        return self._state

    @property
    def rounds(self) -> int:
        """How many rounds ran (for tests and diagnostics)."""
        return self._rounds

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        self._due = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="sync-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the loop (after the round in progress) and join the thread."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._state.kind is not StateKind.STOPPED:
            self._publish(self._state_of(StateKind.STOPPED, "Sync stopped"))

    def notify_recorded(self) -> None:
        """A transaction was recorded: sync soon (debounced; waits for the backoff when offline)."""
        with self._wake:
            soon = max(time.monotonic() + self.debounce, self._backoff_until)
            self._due = min(self._due, soon)
            self._wake.notify_all()

    def sync_now(self) -> None:
        """Sync as soon as the round in progress (if any) ends, ignoring the backoff."""
        with self._wake:
            self._demand += 1
            self._backoff_until = 0.0
            self._due = time.monotonic()
            self._wake.notify_all()

    def run_round(self) -> SyncReport | None:
        """Run one round on the calling thread (the loop's body); None when it failed."""
        with self._round_lock:
            return self._run_round_locked()

    # --- the loop ---------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and time.monotonic() < self._due:
                    self._wake.wait(self._due - time.monotonic())
                if self._stopping:
                    return
                # A trigger arriving during the round schedules the next one.
                self._due = time.monotonic() + self.interval
            self.run_round()
            if self._state.kind is StateKind.STOPPED:
                return

    def _run_round_locked(self) -> SyncReport | None:
        self._rounds += 1
        demand_at_start = self._demand
        try:
            engine = self._engine or self._engine_factory()
            self._engine = engine
            self._publish(self._state_of(StateKind.SYNCING, "Syncing"))
            report = engine.run_once()
        except AuthFailed as error:
            log.warning("sync stopped: %s", error.code)
            with self._wake:
                self._stopping = True
            self._publish(self._state_of(StateKind.STOPPED, error.message))
            return None
        except Offline as error:
            log.info("offline: %s", error.message)
            self._after_failure(StateKind.OFFLINE, error.message, error.retry_after, demand_at_start)
            return None
        except SyncError as error:
            log.error("sync failed: %s", error)
            self._after_failure(StateKind.ERROR, error.message, None, demand_at_start)
            return None
        except Exception as error:  # a bug must not kill the loop; it is logged in full
            log.exception("sync round crashed")
            message = f"Unexpected error ({type(error).__name__}); see the log."
            self._after_failure(StateKind.ERROR, message, None, demand_at_start)
            return None
        self.backoff.reset()
        with self._wake:
            self._backoff_until = 0.0
        self._last_success_at = self._clock()
        self._last_report = report
        self._publish(self._state_of(StateKind.ONLINE, "Up to date"))
        return report

    def _after_failure(
        self, kind: StateKind, message: str, retry_after: float | None, demand_at_start: int
    ) -> None:
        delay = self.backoff.next_delay(retry_after)
        with self._wake:
            now = time.monotonic()
            self._backoff_until = now + delay
            # "Sync now" pressed during the failed round is honoured; other triggers wait.
            self._due = now if self._demand != demand_at_start else self._backoff_until
            due_in = max(0.0, self._due - now)
        retry_at = self._clock() + timedelta(seconds=due_in)
        self._publish(replace(self._state_of(kind, message), retry_in=delay, retry_at=retry_at))

    # --- state ------------------------------------------------------------------------------

    def _state_of(self, kind: StateKind, message: str) -> SyncState:
        """A state of `kind`. A settled kind (online, offline, error) keeps its `since` while it
        lasts, across the syncing states between (offline since T); syncing is since now."""
        now = self._clock()
        since = now
        if kind is not StateKind.SYNCING:
            if kind is not self._settled_kind:
                self._settled_kind, self._settled_since = kind, now
            since = self._settled_since
        reading = self._engine.server_clock if self._engine is not None else None
        return SyncState(
            kind=kind,
            since=since,
            message=message,
            pending_count=self._pending_count(),
            last_success_at=self._last_success_at,
            last_report=self._last_report,
            server_clock=reading,
            clock_offset=reading.offset(now) if reading is not None else None,
        )

    def _pending_count(self) -> int:
        if self._engine is None:
            return self._state.pending_count
        try:
            return self._engine.ledger.pending_summary().count
        except Exception:  # the count is cosmetic; a ledger problem shows in the round itself
            log.exception("could not count pending transactions")
            return self._state.pending_count

    def _publish(self, state: SyncState) -> None:
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:  # a UI callback bug must not stop syncing
                log.exception("sync state callback failed")
