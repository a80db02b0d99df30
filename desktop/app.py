"""Wiring only: the Qt application, the ledger thread, the sync worker and the window."""

from __future__ import annotations

import gc
import logging
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.config import LEDGER_FILE, TillSettings, ensure_private_dir
from desktop.ui.context import TillContext
from desktop.ui.i18n import choose_language, remember_store_language, tr
from desktop.ui.i18n import install as install_language
from desktop.ui.main_window import MainWindow
from desktop.ui.ops import LedgerRunner, friendly
from desktop.ui.sync_bridge import SyncBridge
from desktop.ui.theme import apply_theme

if TYPE_CHECKING:
    from desktop.demo import DemoWorld

log = logging.getLogger(__name__)

SYNC_LOCK_FILE = "sync.lock"
SIGNAL_POLL_MS = 250
# How long a busy background thread may keep the GIL once the GUI thread asks for it.
GIL_SWITCH_INTERVAL_S = 0.001


def tune_interpreter() -> None:
    """Hand the GIL back to the GUI thread sooner while sync or ledger threads are busy."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def freeze_startup_objects() -> None:
    """Exclude everything alive after start-up (modules, Qt wrappers, the ledger's metadata) from the
    garbage collector: a full collection then scans only new objects, so one triggered by a sync
    thread never holds the GIL long enough to stall the window (it took 60-140 ms before)."""
    gc.freeze()


class Till:
    """One running till: owns the ledger runner, the sync worker and, in demo mode, the server."""

    def __init__(self, data_dir: Path, *, demo: bool, settings: TillSettings | None = None) -> None:
        self.data_dir = data_dir
        self.demo = demo
        self.settings = settings or TillSettings.load(data_dir)
        app = QApplication.instance()
        self.language = choose_language(self.settings.language, data_dir)
        if app is not None:
            install_language(app, self.language)  # before any screen is built: their words are read once
        self.runner = LedgerRunner(None)
        self.bridge = SyncBridge()
        self.context = TillContext(self.runner, self.bridge, settings=self.settings)
        self.window = MainWindow(self.context)
        self.window.till_ready.connect(self.start_sync)
        self.window.till_ready.connect(self.remember_store_language)
        self.worker: Any = None
        self.demo_world: DemoWorld | None = None
        self._building_worker = False
        self._stopped = False

    def start(self) -> None:
        """Show the window at once; the ledger opens (and the demo starts) on the ledger thread."""
        ensure_private_dir(self.data_dir)
        self.runner.open(lambda: _open_ledger(self.data_dir / LEDGER_FILE))
        if self.demo:
            self.window.show_message(tr("Starting the demo server…"))
            self.context.network.run(
                self.window, self._start_demo, success=self._demo_started, failure=self._demo_failed
            )
        else:
            self.window.start()
        if self.settings.full_screen:
            self.window.showFullScreen()  # a dedicated till: nothing else on its screen
        else:
            self.window.show()

    def _start_demo(self) -> DemoWorld:
        """On the network thread: seeding and the server's start take seconds; the ledger is
        needed only at the end (to adopt the demo's device), when its own thread has opened it."""
        from desktop.demo import start_demo

        return start_demo(self.runner.wait_for_ledger, self.data_dir, language=self.language)

    def _demo_started(self, world: DemoWorld) -> None:
        self.demo_world = world
        self.context.session.demo_hints = list(world.hints)
        self.window.start()

    def _demo_failed(self, error: BaseException) -> None:
        title, message = friendly(error)
        self.window.show_message(f"{title}\n\n{message}")

    def remember_store_language(self, identity: Any) -> None:
        """The store's language, kept for the next start (the screens are built before the ledger,
        which knows the store, is open). Written on the network thread: no file work on the GUI's."""
        timezone, data_dir = identity.store_timezone, self.data_dir

        def kept(changed: bool) -> None:
            if changed:
                log.info("the store's language is kept for the next start")

        def not_kept(error: BaseException) -> None:
            log.warning("could not keep the store's language: %s", error)

        self.context.network.run(
            self.window, lambda: remember_store_language(data_dir, timezone), success=kept, failure=not_kept
        )

    def start_sync(self, identity: Any) -> None:
        """Build the sync worker on the ledger thread (its imports are slow), then start it here."""
        if self.worker is not None or self._building_worker:
            return
        self._building_worker = True
        self.context.op(self.window, lambda ledger: self._build_worker(ledger, identity)).success(
            self._worker_built
        ).run()

    def _build_worker(self, ledger: Any, identity: Any) -> Any:
        from sync.enrolment import engine_for
        from sync.lock import RoundLock
        from sync.worker import SyncWorker

        lock = RoundLock(self.data_dir / SYNC_LOCK_FILE)
        return SyncWorker(
            lambda: engine_for(ledger, identity, lock=lock),
            interval=self.settings.sync_interval_seconds,
            on_state=self.bridge.on_state,
        )

    def _worker_built(self, worker: Any) -> None:
        self._building_worker = False
        if self._stopped:
            return
        self.worker = worker
        self.bridge.attach(worker)
        freeze_startup_objects()
        worker.start()

    def stop(self) -> None:
        """Stop syncing, finish ledger work, close the ledger, stop the demo server."""
        self._stopped = True
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        self.bridge.attach(None)
        self.context.close()
        self.runner.close()
        if self.runner.ledger is not None:
            self.runner.ledger.close()
        if self.demo_world is not None:
            self.demo_world.server.stop()
            self.demo_world = None


def _open_ledger(path: Path) -> Any:
    """On the ledger thread, so the GUI never waits for the ledger's imports and migrations."""
    from desktop.ledger import open_ledger

    return open_ledger(path)


def run_gui(data_dir: Path, demo: bool, language: str | None = None) -> int:
    """Open the till's window; returns the exit code when it closes."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Loyalty till")
    app.setDesktopFileName("loyalty-till")  # matches packaging/loyalty-till.desktop (icon on Wayland)
    tune_interpreter()
    apply_theme(app)
    settings = TillSettings.load(data_dir)
    if language:
        settings = replace(settings, language=language)
    till = Till(data_dir, demo=demo, settings=settings)
    quit_on_signals(app)
    till.start()
    try:
        return int(app.exec())
    finally:
        till.stop()


def quit_on_signals(app: QApplication) -> None:
    """Ctrl+C or SIGTERM closes the till properly (the demo server and the sync worker stop too).

    Python runs signal handlers only between bytecodes, so a timer wakes the interpreter."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: app.quit())
    wake = QTimer(app)
    wake.setInterval(SIGNAL_POLL_MS)
    wake.timeout.connect(lambda: None)
    wake.start()
