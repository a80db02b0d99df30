"""`loyalty-till --demo`: the demo server starts in the background, the till is enrolled and opens."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop.app import Till
from desktop.config import TillSettings
from desktop.demo import SEED_FILE
from tests.support.private_files import exposed, usual_umask
from tests.ui.conftest import scan, sign_in

STARTUP_MS = 60_000  # seeding and starting a server on a loaded machine


def start_demo_till(qtbot: QtBot, data_dir: Path) -> Till:
    till = Till(data_dir, demo=True, settings=TillSettings(sync_interval_seconds=3600.0))
    qtbot.addWidget(till.window)
    with qtbot.waitSignal(till.window.lock_screen_shown, timeout=STARTUP_MS):
        till.start()
    return till


def test_the_demo_needs_nothing_but_its_flag_and_shows_the_demo_pins(qtbot: QtBot, tmp_path: Path) -> None:
    till = start_demo_till(qtbot, tmp_path / "demo")
    try:
        lock = till.window.lock_screen
        assert lock.demo_label.isVisible()
        hint = next(h for h in till.context.session.demo_hints if h.role == "staff")
        assert f"{hint.name} (staff): {hint.pin}" in lock.demo_label.text()
        sign_in(qtbot, till.window, hint.name, hint.pin)
        scan(qtbot, till.window, "BT-0001")
        assert till.window.card_screen.customer_panel.points_label.text() == "100 points"
        server = till.demo_world.server
    finally:
        till.stop()
    assert server.process.poll() is not None, "the demo server stops with the till"


def test_a_second_demo_run_reuses_the_demo_world(qtbot: QtBot, tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    start_demo_till(qtbot, data_dir).stop()
    seeded = (data_dir / SEED_FILE).read_text()

    again = start_demo_till(qtbot, data_dir)
    try:
        assert (data_dir / SEED_FILE).read_text() == seeded
        qtbot.waitUntil(lambda: bool(again.window.lock_screen.staff_buttons), timeout=STARTUP_MS)
        assert again.context.session.demo_hints
    finally:
        again.stop()


def test_the_demos_folder_and_files_are_private(qtbot: QtBot, tmp_path: Path) -> None:
    with usual_umask():
        till = start_demo_till(qtbot, tmp_path / "demo")
        try:
            names = {path.name for path in (tmp_path / "demo").iterdir()}
            assert {SEED_FILE, "demo-server.db", "demo-server.log", "ledger.db"} <= names
            assert exposed(tmp_path / "demo") == []
        finally:
            till.stop()


def test_a_german_demo_runs_the_berlin_shops_till() -> None:
    from desktop.demo import demo_device

    merchant = {
        "stores": [{"id": 1, "timezone": "Europe/Dublin"}, {"id": 2, "timezone": "Europe/Berlin"}],
        "devices": [{"device_id": "d1", "store_id": 1}, {"device_id": "d2", "store_id": 2}],
    }
    assert demo_device(merchant, "de")["device_id"] == "d2"
    assert demo_device(merchant, "en")["device_id"] == "d1"
