"""Screenshots of the till's main screens from the real app (demo mode, offscreen) into docs/screenshots/:
each screen at 1024x600, 1366x768 and 1920x1080, in English (the Dublin shop) and German (Berlin).

.venv/bin/python docs/take_screenshots.py [--language en|de]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "screenshots"
SIZES = [(1024, 600), (1366, 768), (1920, 1080)]

from PySide6.QtCore import QCoreApplication, Qt, QThread  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QWidget  # noqa: E402


def wait_until(condition: Callable[[], Any], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the till did not get there in time")
        QCoreApplication.processEvents()
        QThread.msleep(10)
    settle()


def settle() -> None:
    for _ in range(30):  # let layouts (and a change of the theme's scale) settle and paint
        QCoreApplication.processEvents()
        QThread.msleep(5)


def shoot(widget: QWidget, name: str) -> None:
    path = OUT / name
    widget.grab().save(str(path))
    print(f"saved {path.relative_to(REPO)}")  # noqa: T201 - a script's report


def at_every_size(
    till: Any, screen: str, language: str, *, dialog: Callable[[], QDialog] | None = None
) -> None:
    """The window (or a dialog it opens) at each size: `<screen>-<language>-<w>x<h>.png`."""
    for width, height in SIZES:
        till.window.resize(width, height)
        settle()
        if dialog is None:
            shoot(till.window, f"{screen}-{language}-{width}x{height}.png")
            continue
        opened = dialog()
        settle()
        shoot(opened, f"{screen}-{language}-{width}x{height}.png")
        opened.reject()
        wait_until(lambda: QApplication.activeWindow() is till.window)


def sign_in(till: Any, name: str, pin: str) -> None:
    lock = till.window.lock_screen
    wait_until(lambda: any(b.text() == name for b in lock.staff_buttons.values()))
    button = next(b for b in lock.staff_buttons.values() if b.text() == name)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    QTest.keyClicks(lock.pin_edit, pin)
    QTest.keyClick(lock.pin_edit, Qt.Key.Key_Return)
    wait_until(lambda: till.window.stack.currentWidget() is till.window.card_screen)


def scan(till: Any, number: str) -> None:
    screen = till.window.card_screen
    QTest.keyClicks(screen.scan_edit, number)
    QTest.keyClick(screen.scan_edit, Qt.Key.Key_Return)
    wait_until(lambda: screen.card is not None and screen.card.card_number == number)


def spend_elsewhere(till: Any, root: Path, card_number: str, reward_id: str) -> None:
    """The demo's other shop redeems the same reward on the card and syncs first."""
    import json

    from desktop.demo import SEED_FILE
    from desktop.ledger import open_ledger
    from sync.enrolment import adopt_device, engine_for

    merchant = json.loads((till.data_dir / SEED_FILE).read_text())["merchants"][0]
    ours = till.context.session.identity.device_id
    device = next(d for d in merchant["devices"] if d["device_id"] != ours)
    clerk = next(s for s in merchant["staff"] if s["store_id"] == device["store_id"])
    ledger = open_ledger(root / "other-shop.db")
    try:
        identity = adopt_device(ledger, till.demo_world.server.url, device["device_id"], device["token"])
        ledger.redeem_reward(ledger.login(clerk["id"], clerk["pin"]), card_number, reward_id)
        engine = engine_for(ledger, identity)
        try:
            engine.run_once()
        finally:
            engine.close()
    finally:
        ledger.close()


def earn_dialog(till: Any) -> QDialog:
    from desktop.ui.dialogs import EarnPointsDialog

    screen = till.window.card_screen
    screen.trigger("earn")
    wait_until(lambda: any(d.isVisible() for d in screen.findChildren(EarnPointsDialog)))
    earn = next(d for d in screen.findChildren(EarnPointsDialog) if d.isVisible())
    QTest.keyClicks(earn.amount_edit, "12" + QApplication.instance().property("decimal") + "50")  # type: ignore[union-attr]
    QTest.keyClicks(earn.reference_edit, "R-1042")
    wait_until(lambda: earn.preview_label.text() == "+125")
    return earn


def take(till: Any, root: Path, language: str) -> None:
    from desktop.demo import start_server
    from desktop.ui.redeem_dialogs import RewardDialog

    window, screen = till.window, till.window.card_screen
    wait_until(lambda: bool(window.lock_screen.staff_buttons), timeout=60)
    wait_until(lambda: window.status_bar.state_label.text().startswith("● Online"), timeout=60)
    at_every_size(till, "lock-screen", language)

    manager = next(h for h in till.context.session.demo_hints if h.role == "store_manager")
    sign_in(till, manager.name, manager.pin)
    scan(till, "BT-0005")
    screen.tabs.setCurrentWidget(screen.history)
    wait_until(lambda: bool(screen.history.remote), timeout=60)  # the card's past, from the server
    till.demo_world.server.stop()  # the shop's line drops: what follows is recorded offline
    till.bridge.sync_now()
    wait_until(lambda: "Offline" in window.status_bar.state_label.text(), timeout=60)
    screen.trigger("reward")
    wait_until(lambda: any(d.isVisible() for d in screen.findChildren(RewardDialog)))
    dialog = next(d for d in screen.findChildren(RewardDialog) if d.isVisible())
    QTest.keyClick(dialog.reward_list, Qt.Key.Key_Return)
    wait_until(lambda: screen.card.points_balance == 200 and screen.customer_panel.pending_label.isVisible())
    wait_until(lambda: bool(screen.history.local))
    at_every_size(till, "card-screen", language)
    at_every_size(till, "earn-points", language, dialog=lambda: earn_dialog(till))

    port = int(till.demo_world.server.url.rsplit(":", 1)[1])
    till.demo_world.server = start_server(till.data_dir, port=port)  # the line is back
    spend_elsewhere(till, root, "BT-0005", "free-coffee")
    till.bridge.sync_now()
    screen.show_rejections()
    wait_until(lambda: screen.rejections.table.rowCount() > 0, timeout=60)
    screen.rejections.table.selectRow(0)
    wait_until(lambda: screen.rejections.acknowledge_button.isEnabled())
    at_every_size(till, "rejections", language)


def main() -> int:
    from PySide6.QtCore import QLocale

    from desktop.app import Till, tune_interpreter
    from desktop.config import TillSettings
    from desktop.ui.theme import apply_theme

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=["en", "de"], action="append", help="default: both")
    languages = parser.parse_args().language or ["en", "de"]
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    tune_interpreter()
    apply_theme(app)
    for language in languages:
        with tempfile.TemporaryDirectory(prefix="till-shots-") as tmp:
            settings = TillSettings(sync_interval_seconds=3600.0, language=language)
            till = Till(Path(tmp) / "data", demo=True, settings=settings)
            app.setProperty("decimal", QLocale().decimalPoint())
            till.window.resize(*SIZES[0])
            till.start()
            try:
                take(till, Path(tmp), language)
            finally:
                till.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
