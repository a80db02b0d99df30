"""Background operations: every ledger call from the UI runs on one worker thread (the Anki way)."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

from desktop.ui.i18n import QT_TR_NOOP, tr

if TYPE_CHECKING:  # the ledger's imports are slow: they happen on the ledger thread, not at start-up
    from desktop.ledger import Ledger

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A")
# One UI action on the ledger: a misspelt verb or a wrong argument fails the type check.
LedgerTask = Callable[["Ledger"], T]

UNEXPECTED_TITLE = QT_TR_NOOP("Something went wrong")
UNEXPECTED_MESSAGE = QT_TR_NOOP("Something went wrong; the transaction was not recorded. Please try again.")


class LedgerUnavailable(Exception):
    """The ledger file could not be opened; every operation then reports this."""

    title = "The till cannot open its ledger"
    message = "Ask IT to check the till's data folder (the log has the details)."


class Change(enum.Flag):
    """What a finished operation (or a sync) changed, so each screen refreshes only what it shows."""

    NONE = 0
    CARDS = enum.auto()
    HISTORY = enum.auto()
    PENDING = enum.auto()
    REJECTIONS = enum.auto()
    STAFF = enum.auto()
    PROGRAM = enum.auto()
    TOTALS = enum.auto()
    IDENTITY = enum.auto()
    RECORDED = CARDS | HISTORY | PENDING | TOTALS
    EVERYTHING = CARDS | HISTORY | PENDING | REJECTIONS | STAFF | PROGRAM | TOTALS | IDENTITY


def friendly(error: BaseException) -> tuple[str, str]:
    """The title and message a cashier reads for an error, in the till's language; never a traceback."""
    from desktop.ui.error_words import error_words  # it imports the formatting this module's users share

    title = getattr(error, "title", None)
    message = getattr(error, "message", None)
    if isinstance(title, str) and isinstance(message, str):
        return error_words(error, title, message)
    return tr(UNEXPECTED_TITLE), tr(UNEXPECTED_MESSAGE)


def is_expected(error: BaseException) -> bool:
    """Expected problems carry a title and a message for people (LedgerError, SyncError)."""
    return isinstance(getattr(error, "title", None), str) and isinstance(getattr(error, "message", None), str)


class LedgerRunner(QObject):
    """Owns the one thread that talks to the ledger; delivers results on the GUI thread."""

    delivered = Signal(object)  # a callable, run on the GUI thread
    ledger_changed = Signal(object)  # a Change
    problem_raised = Signal(str, str)  # title, message, for a banner

    def __init__(self, ledger: Ledger | None, *, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ledger = ledger
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-ops")
        self._closed = False
        self.open_error: LedgerUnavailable | None = None
        self.opened = threading.Event()  # set once opening succeeded or failed
        if ledger is not None:
            self.opened.set()
        self._recorded_listeners: list[Callable[[], None]] = []
        self.delivered.connect(self.on_self_delivered)

    def open(self, opener: Callable[[], Ledger]) -> None:
        """Open the ledger on the worker thread (its first job), so start-up never waits for SQL."""

        def work() -> None:
            try:
                self.ledger = opener()
            except Exception:  # shown on the screen, logged with its traceback
                log.exception("could not open the ledger")
                self.open_error = LedgerUnavailable()
                self.deliver(lambda: self.problem_raised.emit(*friendly(LedgerUnavailable())))
                return
            finally:
                self.opened.set()
            self.deliver(lambda: None)

        self.submit(work)

    def wait_for_ledger(self, timeout: float = 120.0) -> Ledger:
        """From another background thread (never the GUI's): the ledger once it is open."""
        if not self.opened.wait(timeout) or self.ledger is None:
            raise self.open_error or LedgerUnavailable()
        return self.ledger

    def add_recorded_listener(self, listener: Callable[[], None]) -> None:
        """Called (on the GUI thread) after each verb that recorded something, e.g. to wake sync."""
        self._recorded_listeners.append(listener)

    def op(self, parent: QObject, task: LedgerTask[T]) -> Op[T]:
        return Op(self, parent, task)

    def submit(self, work: Callable[[], None]) -> None:
        if self._closed:
            log.debug("runner closed; dropping an operation")
            return
        self._executor.submit(work)

    def deliver(self, callback: Callable[[], None]) -> None:
        """From the worker thread: run `callback` on the GUI thread."""
        self.delivered.emit(callback)

    @Slot(object)
    def on_self_delivered(self, callback: Callable[[], None]) -> None:
        callback()

    def announce(self, changes: Change) -> None:
        if changes & Change.RECORDED:
            for listener in self._recorded_listeners:
                listener()
        self.ledger_changed.emit(changes)

    def close(self) -> None:
        """On exit: let the running operation finish, drop the queued ones, stop the thread."""
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)


class BackgroundRunner(QObject):
    """One thread for slow work that is not the ledger's (the network: enrolment, the demo's server),
    so the ledger thread stays free for the screens. Results and errors come back on the GUI thread."""

    delivered = Signal(object)  # a callable, run on the GUI thread

    def __init__(self, name: str, *, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._closed = False
        self.delivered.connect(self.on_self_delivered)

    def run(
        self,
        parent: QObject,
        work: Callable[[], T],
        *,
        success: Callable[[T], None],
        failure: Callable[[BaseException], None],
    ) -> None:
        if self._closed:
            return

        def job() -> None:
            try:
                result = work()
            except Exception as error:  # every error is delivered; none escapes the thread
                if not is_expected(error):
                    log.exception("background work failed")
                failed = error
                self.delivered.emit(lambda: _call_if_alive(parent, failure, failed))
                return
            self.delivered.emit(lambda: _call_if_alive(parent, success, result))

        self._executor.submit(job)

    @Slot(object)
    def on_self_delivered(self, callback: Callable[[], None]) -> None:
        callback()

    def close(self) -> None:
        """On exit: let the running work finish (its timeouts bound it), drop the queued."""
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)


class Op(Generic[T]):
    """One UI action run on the ledger thread: `runner.op(self, task).success(fn).run()`."""

    def __init__(self, runner: LedgerRunner, parent: QObject, task: LedgerTask[T]) -> None:
        self._runner = runner
        self._parent = parent
        self._task = task
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._changes = Change.NONE

    def success(self, callback: Callable[[T], None]) -> Op[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Op[T]:
        """Handle errors yourself; by default expected ones go to a banner, others are logged."""
        self._on_failure = callback
        return self

    def changes(self, changes: Change) -> Op[T]:
        """What a success changes (announced to every screen after the success callback)."""
        self._changes = changes
        return self

    def run(self) -> None:
        self._runner.submit(self._work)

    def _work(self) -> None:
        thread = threading.current_thread().name
        try:
            if self._runner.open_error is not None:
                raise self._runner.open_error
            ledger = self._runner.ledger
            if ledger is None:  # never: opening is the thread's first job, and it sets one or the other
                raise LedgerUnavailable()
            result = self._task(ledger)
        except Exception as error:  # every error is delivered; none escapes the thread
            if not is_expected(error):
                log.exception("operation failed on %s", thread)
            failed = error
            self._runner.deliver(lambda: self._fail(failed))
            return
        self._runner.deliver(lambda: self._succeed(result))

    def _succeed(self, result: T) -> None:
        try:
            if self._on_success is not None and _alive(self._parent):
                self._on_success(result)
        finally:
            # Announced even when the screen that asked is gone: what was recorded still changed.
            if self._changes != Change.NONE:
                self._runner.announce(self._changes)

    def _fail(self, error: BaseException) -> None:
        if not _alive(self._parent):
            return
        if self._on_failure is not None:
            self._on_failure(error)
            return
        title, message = friendly(error)
        self._runner.problem_raised.emit(title, message)


def _call_if_alive(parent: QObject, callback: Callable[[A], None], value: A) -> None:
    if _alive(parent):
        callback(value)


def _alive(obj: QObject) -> bool:
    """False once Qt deleted the widget that started an operation (its callbacks are then moot)."""
    try:
        obj.objectName()
    except RuntimeError:
        return False
    return True
