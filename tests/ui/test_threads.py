"""Slow network work never holds the ledger thread: enrolment's HTTP and the demo's start run on a
thread of their own, so the ledger answers the screens meanwhile. The card lookup's HTTP client is
part of `sync`, without Qt."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot

from desktop.app import Till
from tests.support.live_server import REPO_ROOT, LiveServer
from tests.sync_engine.fault_proxy import Fault, FaultProxy
from tests.ui.test_sync_flows import SLOW, enrolment_code, fresh_till

Served = tuple[LiveServer, dict[str, Any]]


def ledger_answers(qtbot: QtBot, till: Till, timeout: int) -> bool:
    """Whether an operation on the ledger thread comes back within `timeout` ms."""
    answered: list[object] = []
    till.context.op(till.window, lambda ledger: ledger.identity()).success(answered.append).run()
    try:
        qtbot.waitUntil(lambda: bool(answered), timeout=timeout)
    except WaitTimeout:
        return False
    return True


def test_the_ledger_answers_while_enrolment_waits_for_the_server(
    qtbot: QtBot, tmp_path: Path, live_server_sqlite: Served
) -> None:
    server, world = live_server_sqlite
    held = threading.Event()
    release = threading.Event()
    proxy = FaultProxy(server.port).start()
    proxy.add(Fault.PASS, path="/v1/devices/register", before=lambda: (held.set(), release.wait(30)))
    app = fresh_till(qtbot, tmp_path / "fresh")
    try:
        screen = app.window.enrol_screen
        qtbot.keyClicks(screen.url_edit, proxy.url)
        qtbot.keyClicks(screen.code_edit, enrolment_code(server, world, store_id=1))
        qtbot.keyClick(screen.code_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(held.is_set, timeout=SLOW)  # the server has the request, and holds it

        assert ledger_answers(qtbot, app, timeout=2000)

        release.set()
        qtbot.waitUntil(lambda: app.window.stack.currentWidget() is app.window.lock_screen, timeout=SLOW)
    finally:
        release.set()
        app.stop()
        proxy.stop()


def test_the_ledger_answers_while_the_demo_starts(qtbot: QtBot, tmp_path: Path) -> None:
    app = Till(tmp_path / "demo", demo=True)
    qtbot.addWidget(app.window)
    shown: list[bool] = []
    app.window.lock_screen_shown.connect(lambda: shown.append(True))
    app.start()
    try:
        assert ledger_answers(qtbot, app, timeout=3000)
        assert not shown, "the demo (seeding, its server) was still starting: the ledger did not wait for it"
        qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    finally:
        app.stop()


def test_the_card_lookup_client_is_part_of_sync_without_qt() -> None:
    probe = "import sys, sync.card_lookup; print('PySide6' in sys.modules)"
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
