"""The till's window: enrolment on first run, then the lock screen and the card screen, and the status bar."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent, QScreen
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow, QStackedWidget

from desktop.ui import theme
from desktop.ui.card_screen import CardScreen
from desktop.ui.context import TillContext
from desktop.ui.enrol_screen import EnrolScreen
from desktop.ui.i18n import tr
from desktop.ui.lock_screen import LockScreen
from desktop.ui.ops import Change, friendly
from desktop.ui.status_bar import TillStatusBar
from desktop.ui.widgets import styled

if TYPE_CHECKING:
    from desktop.ledger import StaffView
    from sync.ports import DeviceIdentity

log = logging.getLogger(__name__)

MINIMUM = QSize(1024, 600)
PREFERRED = QSize(1280, 800)


def first_size(screen: QScreen | None) -> QSize:
    """The window's size at start: 1280x800, or the screen's free area when that is smaller (a
    1024x600 till); a screen smaller than the minimum (a virtual one) does not shrink it."""
    if screen is None:
        return PREFERRED
    area = screen.availableSize()
    if area.width() < MINIMUM.width() or area.height() < MINIMUM.height():
        return PREFERRED
    return PREFERRED.boundedTo(area)


ACTIVITY_EVENTS = frozenset(
    {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel}
)


class MainWindow(QMainWindow):
    """Switches between the screens; locks itself after idle minutes and on F12."""

    till_ready = Signal(object)  # DeviceIdentity: enrolled (at start or just now); sync may start
    lock_screen_shown = Signal()

    def __init__(self, context: TillContext) -> None:
        super().__init__(None)
        self.context = context
        self.setWindowTitle(tr("Loyalty till"))
        self.setMinimumSize(MINIMUM)  # the smallest till screens; everything fits there
        self.resize(first_size(QApplication.primaryScreen()))
        self._use_scale_for_size()  # before the screens are built: no restyle of them at start
        self.stack = QStackedWidget(self)
        self.enrol_screen = EnrolScreen(context, device_name=context.settings.device_name, parent=self.stack)
        self.lock_screen = LockScreen(context, self.stack)
        self.card_screen = CardScreen(context, self.stack)
        self.message_page = styled(QLabel("", self.stack), "subtitle")
        self.message_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_page.setWordWrap(True)
        for screen in (self.message_page, self.enrol_screen, self.lock_screen, self.card_screen):
            self.stack.addWidget(screen)
        self.setCentralWidget(self.stack)
        self.status_bar = TillStatusBar(context, self)
        self.setStatusBar(self.status_bar)
        self.status_bar.status_loaded.connect(self.card_screen.show_status)
        self.status_bar.hide()
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.setInterval(int(context.settings.idle_lock_minutes * 60_000))
        self._idle_timer.timeout.connect(self.on_idle_timer_timeout)
        lock_action = QAction(tr("Lock"), self)
        lock_action.setShortcut(QKeySequence("F12"))
        lock_action.triggered.connect(self.lock)
        self.addAction(lock_action)
        self.enrol_screen.enrolled.connect(self.on_enrol_screen_enrolled)
        self.card_screen.lock_requested.connect(self.lock)
        context.signed_in.connect(self.on_context_signed_in)
        context.session_ended.connect(self.on_context_session_ended)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def show_message(self, text: str) -> None:
        """A full-window message while the till prepares (the demo server starting)."""
        self.message_page.setText(text)
        self.stack.setCurrentWidget(self.message_page)

    def start(self) -> None:
        """Decide the first screen: enrolment when the till has no identity, else the lock screen."""
        self.context.op(self, lambda ledger: ledger.identity()).success(self._identity_known).failure(
            self._cannot_start
        ).run()

    def _cannot_start(self, error: BaseException) -> None:
        title, message = friendly(error)
        self.show_message(f"{title}\n\n{message}")

    def _identity_known(self, identity: DeviceIdentity | None) -> None:
        if identity is None:
            self.stack.setCurrentWidget(self.enrol_screen)
            self.enrol_screen.url_edit.setFocus()
            return
        self._ready(identity)

    def _ready(self, identity: DeviceIdentity) -> None:
        self.context.session.identity = identity
        self.show_lock_screen()  # first, so the staff list is the next thing the ledger thread does
        self.status_bar.show()
        self.status_bar.reload()
        self.context.reload_program()
        self.till_ready.emit(identity)

    def show_lock_screen(self) -> None:
        self.stack.setCurrentWidget(self.lock_screen)
        self.lock_screen.reset()
        log.info("lock screen shown")
        self.lock_screen_shown.emit()

    @Slot(object)
    def on_enrol_screen_enrolled(self, identity: DeviceIdentity) -> None:
        self.context.runner.announce(Change.EVERYTHING)
        self._ready(identity)

    @Slot(object)
    def on_context_signed_in(self, staff: StaffView) -> None:
        log.info("staff %s signed in", staff.id)
        self.stack.setCurrentWidget(self.card_screen)
        self.card_screen.start_session()
        self._idle_timer.start()

    @Slot()
    def lock(self) -> None:
        if self.stack.currentWidget() is not self.card_screen:
            return
        for dialog in self.card_screen.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        self._idle_timer.stop()
        self.context.lock()
        self.show_lock_screen()

    @Slot(str)
    def on_context_session_ended(self, reason: str) -> None:
        self.lock()
        self.lock_screen.show_message(reason)

    @Slot()
    def on_idle_timer_timeout(self) -> None:
        log.info("locking the till after %s idle minutes", self.context.settings.idle_lock_minutes)
        self.lock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in ACTIVITY_EVENTS and self._idle_timer.isActive():
            self._idle_timer.start()
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Type and targets grow with the screen: the theme's scale follows the window's class of size."""
        super().resizeEvent(event)
        self._use_scale_for_size()

    def _use_scale_for_size(self) -> None:
        scale = theme.scale_for(self.width(), self.height())
        app = QApplication.instance()
        if scale != theme.current() and isinstance(app, QApplication):
            theme.apply_theme(app, scale)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        super().closeEvent(event)
