"""The status bar: online or offline since when, what waits to sync and for how long, Sync now."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from desktop.ui.context import TillContext
from desktop.ui.format import age_text, local_time, number, offset_text
from desktop.ui.i18n import QT_TR_NOOP, tr
from desktop.ui.ops import Change
from desktop.ui.sync_bridge import kind_of
from desktop.ui.widgets import ElidedLabel, restyle, styled
from sync.protocol import Role

if TYPE_CHECKING:
    from desktop.ledger import SyncStatus
    from sync.worker import SyncState

AGE_REFRESH_MS = 30_000


def state_text(state: SyncState | None) -> str:
    kind = kind_of(state)
    since = getattr(state, "since", None)
    message = getattr(state, "message", "") or ""
    if kind == "online":
        return "● " + tr("Online")
    if kind == "offline":
        retry_at = getattr(state, "retry_at", None)
        retry = " · " + tr("will retry at {time}").format(time=local_time(retry_at)) if retry_at else ""
        return "● " + tr("Offline since {time}").format(time=local_time(since)) + retry
    if kind == "syncing":
        return "⟳ " + tr("Syncing…")
    if kind == "error":
        return "● " + (
            tr("Sync problem: {message}").format(message=tr(message)) if message else tr("Sync problem")
        )
    if message and message != "Not started":
        return "● " + tr("Not syncing: {message}").format(message=tr(message))
    return "● " + tr("Not syncing")


CLOCK_WARNING_SECONDS = 5 * 60  # a manager is told
CLOCK_STOP_SECONDS = 12 * 3600  # the ledger records nothing (desktop.ledger.context.MAX_CLOCK_OFFSET)


def clock_text(offset: float | None, *, manager: bool) -> str:
    """What the status bar says of the till's clock against the server's ('' when nothing)."""
    if offset is None or abs(offset) <= CLOCK_WARNING_SECONDS:
        return ""
    off = offset_text(offset)
    if abs(offset) > CLOCK_STOP_SECONDS:
        return "⚠ " + tr("Clock {offset}: recording paused until IT sets it").format(offset=off)
    return "⚠ " + tr("Clock {offset}: ask IT to set it").format(offset=off) if manager else ""


def last_sync_text(last: datetime | None) -> str:
    return tr("Last sync {time}").format(time=local_time(last)) if last else tr("Never synced")


def rejections_text(count: int) -> str:
    return "⚠ " + tr("{count} rejected").format(count=count) if count else ""


REDEMPTIONS_EXPLAINED = QT_TR_NOOP(
    "Redemptions recorded here and not yet synced. Covered: within an offline allowance, the server "
    "accepts them. At risk: the server may still refuse them."
)


def redemptions_text(covered: int, at_risk: int) -> str:
    """Of what waits to sync, 'Redemptions: 2 covered · 1 at risk' (the non-zero counts; '' when none)."""
    parts = []
    if covered:
        parts.append(tr("{count} covered").format(count=number(covered)))
    if at_risk:
        parts.append(tr("{count} at risk").format(count=number(at_risk)))
    return tr("Redemptions: {counts}").format(counts=" · ".join(parts)) if parts else ""


def pending_text(count: int, oldest: datetime | None) -> str:
    if count == 0:
        return tr("All synced")
    age = age_text(oldest)
    waiting = tr("{count} waiting to sync").format(count=number(count))
    return waiting + (" " + tr("(oldest {age})").format(age=age) if age else "")


class TillStatusBar(QStatusBar):
    """Reads the sync worker's state (via the bridge) and the ledger's sync status."""

    status_loaded = Signal(object)  # SyncStatus, after each reload

    def __init__(self, context: TillContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setSizeGripEnabled(False)
        self.state_label = styled(ElidedLabel("⟳ " + tr("Connecting…"), self), "sync_syncing")
        self.pending_label = ElidedLabel("", self)
        # Rejections wait here until a manager acknowledges them: "All synced" alone would hide them.
        self.rejections_label = styled(QLabel("", self), "sync_error")
        self.rejections_label.setToolTip(
            tr("Transactions the server refused: a manager reviews them (Ctrl+R).")
        )
        self.rejections_label.hide()
        self.redemptions_label = ElidedLabel("", self)  # shares the room left on a 1024 px till
        self.redemptions_label.hide()
        self.clock_label = styled(QLabel("", self), "sync_error")
        self.clock_label.hide()
        self.last_sync_label = QLabel("", self)
        self.sync_button = QPushButton(tr("Sync now  Ctrl+S"), self)
        self.sync_button.setShortcut("Ctrl+S")
        self.sync_button.clicked.connect(self.on_sync_button_clicked)
        self.addWidget(self.state_label)
        self.addWidget(self.pending_label)
        self.addWidget(self.rejections_label)
        self.addWidget(self.redemptions_label)
        self.addWidget(self.clock_label)
        self.addPermanentWidget(self.last_sync_label)
        self.addPermanentWidget(self.sync_button)
        self.status: SyncStatus | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(AGE_REFRESH_MS)
        self._timer.timeout.connect(self.reload)
        self._timer.start()
        context.bridge.state_changed.connect(self.on_bridge_state_changed)
        context.clock_checked.connect(self.show_clock)
        context.signed_in.connect(self.show_clock)
        context.locked.connect(self.show_clock)
        context.runner.ledger_changed.connect(self.on_runner_ledger_changed)

    def reload(self) -> None:
        self.context.op(self, lambda ledger: ledger.sync_status()).success(self._show_status).run()

    def _show_status(self, status: SyncStatus) -> None:
        self.status = status
        self.pending_label.setText(pending_text(status.pending_count, status.oldest_pending_at))
        state = self.context.bridge.state
        last = getattr(state, "last_success_at", None) or status.last_sync_at
        self.last_sync_label.setText(last_sync_text(last))
        self.rejections_label.setText(rejections_text(status.rejections_open))
        self.rejections_label.setVisible(status.rejections_open > 0)
        redemptions = redemptions_text(status.pending_covered, status.pending_at_risk)
        self.redemptions_label.setText(redemptions)
        self.redemptions_label.setToolTip(f"{redemptions}\n{tr(REDEMPTIONS_EXPLAINED)}")
        self.redemptions_label.setVisible(bool(redemptions))
        self.status_loaded.emit(status)

    @Slot(object)
    def on_bridge_state_changed(self, state: SyncState) -> None:
        kind = kind_of(state)
        restyle(self.state_label, f"sync_{kind}")
        self.state_label.setText(state_text(state))
        self.state_label.setToolTip(getattr(state, "message", "") or "")
        last = getattr(state, "last_success_at", None)
        if last is not None:
            self.last_sync_label.setText(last_sync_text(last))
        self.sync_button.setEnabled(kind != "syncing" and self.context.bridge.worker is not None)

    def show_clock(self, *_: object) -> None:
        """Warn a manager of a clock more than 5 minutes off; everyone of one that stops recording."""
        manager = self.context.staff_at_least(Role.STORE_MANAGER)
        text = clock_text(self.context.clock_offset, manager=manager)
        self.clock_label.setText(text)
        self.clock_label.setVisible(bool(text))

    @Slot()
    def on_sync_button_clicked(self) -> None:
        if kind_of(self.context.bridge.state) in ("offline", "error"):
            # Said at once: the answer (or the lack of one) can take the connection's timeout.
            restyle(self.state_label, "sync_syncing")
            self.state_label.setText("⟳ " + tr("Offline: trying the server now…"))
        self.context.bridge.sync_now()

    @Slot(object)
    def on_runner_ledger_changed(self, changes: Change) -> None:
        if changes & (Change.PENDING | Change.REJECTIONS):
            self.reload()
