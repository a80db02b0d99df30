"""A till whose clock is off: the manager is warned above 5 minutes; above 12 hours nothing is
recorded until the clock is fixed, and everyone is told why. The server's clock is injected as
the sync worker would report it (from the `Date` of the server's answers)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from sync.transport import ServerClock
from sync.worker import StateKind, SyncState
from tests.ui.conftest import TillUnderTest, scan, sign_in


def server_behind(till: TillUnderTest, **behind: float) -> None:
    """The worker reports (from its thread) a round whose answers said the server's time is this."""
    now = datetime.now(UTC)
    reading = ServerClock(server_time=now - timedelta(**behind), monotonic_at=time.monotonic())
    state = SyncState(
        kind=StateKind.ONLINE,
        since=now,
        server_clock=reading,
        clock_offset=reading.offset(now),
    )
    thread = threading.Thread(target=till.bridge.on_state, args=(state,))
    thread.start()
    thread.join()


def test_a_clock_ten_minutes_off_warns_the_manager_but_not_the_cashier(
    qtbot: QtBot, till: TillUnderTest
) -> None:
    bar = till.window.status_bar
    server_behind(till, minutes=10)
    sign_in(qtbot, till.window, "Sam Staff")
    qtbot.wait(50)
    assert bar.clock_label.isHidden()
    scan(qtbot, till.window, "1001")
    qtbot.keyClick(till.window.card_screen.scan_edit, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: till.window.card_screen.customer_panel.stamp_card.stamps == 4)  # still records

    qtbot.keyClick(till.window.card_screen.scan_edit, Qt.Key.Key_F12)
    sign_in(qtbot, till.window, "Mia Manager")

    qtbot.waitUntil(bar.clock_label.isVisible)
    assert "10 minutes ahead" in bar.clock_label.text()


def test_a_clock_thirteen_hours_off_stops_recording_and_says_why(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    bar = cashier.window.status_bar
    scan(qtbot, cashier.window, "1001")

    server_behind(cashier, hours=13)
    qtbot.waitUntil(bar.clock_label.isVisible)
    assert "recording paused" in bar.clock_label.text()
    qtbot.wait(100)  # the reading reaches the ledger thread
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F2)

    qtbot.waitUntil(lambda: screen.banner.kind == "banner_problem")
    assert "The till's clock is wrong" in screen.banner.text()
    assert "13 hours ahead" in screen.banner.text()
    assert cashier.ledger.card_history("1001") == []

    server_behind(cashier, seconds=2)  # the clock was set right; the next sync tells the till
    qtbot.waitUntil(bar.clock_label.isHidden)
