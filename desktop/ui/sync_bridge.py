"""Re-emits the sync worker's state (reported from its own thread) as a Qt signal on the GUI thread."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop.ui.ops import Change

if TYPE_CHECKING:
    from sync.worker import SyncState, SyncWorker

log = logging.getLogger(__name__)

# Many states may arrive during a long sync; screens reload at most this often.
REFRESH_COALESCE_MS = 250


class SyncBridge(QObject):
    """The Electrum pattern: the engine knows nothing of Qt; its callback only emits a signal.

    `on_state` is what the worker calls (from its thread); `state_changed` is delivered on the
    GUI thread by Qt's queued connection. When the pending count or the last success moves,
    `ledger_touched` tells screens to reload (coalesced, so a 10,000-item sync is a few reloads).
    """

    state_reported = Signal(object)  # internal: crosses threads
    state_changed = Signal(object)  # a SyncState, on the GUI thread
    ledger_touched = Signal(object)  # a Change

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: SyncWorker | None = None
        self.state: SyncState | None = None
        self._pending_changes = Change.NONE
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(REFRESH_COALESCE_MS)
        self._coalesce.timeout.connect(self.on_coalesce_timeout)
        self.state_reported.connect(self.on_self_state_reported)

    def on_state(self, state: SyncState) -> None:
        """The worker's callback; runs on the worker's thread, so it only emits."""
        self.state_reported.emit(state)

    def attach(self, worker: Any) -> None:
        self.worker = worker

    def sync_now(self) -> None:
        if self.worker is not None:
            self.worker.sync_now()

    def notify_recorded(self) -> None:
        if self.worker is not None:
            self.worker.notify_recorded()

    @Slot(object)
    def on_self_state_reported(self, state: Any) -> None:
        previous, self.state = self.state, state
        self.state_changed.emit(state)
        changes = _changes_between(previous, state)
        if changes != Change.NONE:
            self._pending_changes |= changes
            if not self._coalesce.isActive():
                self._coalesce.start()

    @Slot()
    def on_coalesce_timeout(self) -> None:
        changes, self._pending_changes = self._pending_changes, Change.NONE
        if changes != Change.NONE:
            self.ledger_touched.emit(changes)


def kind_of(state: Any) -> str:
    """The state's kind as plain text (online, offline, syncing, error, stopped)."""
    kind = getattr(state, "kind", "stopped")
    return str(getattr(kind, "value", kind))


SYNCED = Change.CARDS | Change.HISTORY | Change.PENDING | Change.TOTALS | Change.REJECTIONS


def _changes_between(previous: Any, state: Any) -> Change:
    """What a new sync state means for the screens: balances and states moved, maybe staff or programme."""
    if previous is None:
        return SYNCED | Change.STAFF | Change.PROGRAM
    changes = Change.NONE
    if getattr(previous, "pending_count", None) != getattr(state, "pending_count", None) or getattr(
        previous, "last_success_at", None
    ) != getattr(state, "last_success_at", None):
        changes |= SYNCED
    report = getattr(state, "last_report", None)
    if report is not None and report is not getattr(previous, "last_report", None):
        changes |= SYNCED
        if getattr(report, "staff_updated", False):
            changes |= Change.STAFF
        if getattr(report, "program_updated", False):
            changes |= Change.PROGRAM
    return changes
