"""Re-emits the sync worker's state (reported from its own thread) as a Qt signal on the GUI thread."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop.ui.ops import Change

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
        self.worker: Any = None
        self.state: Any = None
        self._pending_changes = Change.NONE
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(REFRESH_COALESCE_MS)
        self._coalesce.timeout.connect(self.on_coalesce_timeout)
        self.state_reported.connect(self.on_self_state_reported)

    def on_state(self, state: Any) -> None:
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
        if _ledger_moved(previous, state):
            self._pending_changes |= Change.EVERYTHING & ~Change.IDENTITY
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


def _ledger_moved(previous: Any, state: Any) -> bool:
    if previous is None:
        return True
    return bool(
        getattr(previous, "pending_count", None) != getattr(state, "pending_count", None)
        or getattr(previous, "last_success_at", None) != getattr(state, "last_success_at", None)
    )
