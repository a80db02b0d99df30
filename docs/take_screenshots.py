"""Screenshots of the till's main screens from the real app (demo mode, offscreen) into docs/screenshots/.

.venv/bin/python docs/take_screenshots.py
"""

from __future__ import annotations

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

from PySide6.QtCore import QCoreApplication, Qt, QThread  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402


def wait_until(condition: Callable[[], Any], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the till did not get there in time")
        QCoreApplication.processEvents()
        QThread.msleep(10)
    for _ in range(20):  # let layouts settle and paint
        QCoreApplication.processEvents()


def shoot(widget: QWidget, name: str) -> None:
    path = OUT / name
    widget.grab().save(str(path))
    print(f"saved {path.relative_to(REPO)}")  # noqa: T201 - a script's report


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
    device = merchant["devices"][1]
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


def take(till: Any, root: Path) -> None:
    from desktop.demo import start_server
    from desktop.ui.dialogs import EarnPointsDialog, RewardDialog

    window, screen = till.window, till.window.card_screen
    wait_until(lambda: bool(window.lock_screen.staff_buttons), timeout=60)
    wait_until(lambda: window.status_bar.state_label.text() == "● Online", timeout=60)
    shoot(window, "lock-screen.png")

    manager = next(h for h in till.context.session.demo_hints if h.role == "store_manager")
    sign_in(till, manager.name, manager.pin)
    scan(till, "BT-0005")
    screen.tabs.setCurrentWidget(screen.history)
    wait_until(lambda: bool(screen.history.remote), timeout=60)  # the card's past, from the server
    till.demo_world.server.stop()  # the shop's line drops: what follows is recorded offline
    till.bridge.sync_now()
    wait_until(lambda: window.status_bar.state_label.text().startswith("● Offline since"), timeout=60)
    screen.trigger("reward")
    wait_until(lambda: any(d.isVisible() for d in screen.findChildren(RewardDialog)))
    dialog = next(d for d in screen.findChildren(RewardDialog) if d.isVisible())
    QTest.keyClick(dialog.reward_list, Qt.Key.Key_Return)
    wait_until(lambda: screen.card.points_balance == 200 and screen.customer_panel.pending_label.isVisible())
    wait_until(lambda: screen.history.row_texts()[0][4] == "This till")
    wait_until(lambda: window.status_bar.pending_label.text().startswith("1 waiting"))
    shoot(window, "card-screen.png")

    screen.trigger("earn")
    wait_until(lambda: any(d.isVisible() for d in screen.findChildren(EarnPointsDialog)))
    earn = next(d for d in screen.findChildren(EarnPointsDialog) if d.isVisible())
    QTest.keyClicks(earn.amount_edit, "12.50")
    QTest.keyClicks(earn.reference_edit, "R-1042")
    wait_until(lambda: earn.preview_label.text() == "+125")
    shoot(earn, "earn-points.png")
    earn.reject()

    port = int(till.demo_world.server.url.rsplit(":", 1)[1])
    till.demo_world.server = start_server(till.data_dir, port=port)  # the line is back
    spend_elsewhere(till, root, "BT-0005", "free-coffee")
    till.bridge.sync_now()
    screen.show_rejections()
    wait_until(lambda: screen.rejections.table.rowCount() > 0, timeout=60)
    screen.rejections.table.selectRow(0)
    wait_until(lambda: screen.rejections.acknowledge_button.isEnabled())
    shoot(window, "rejections.png")


def main() -> int:
    from desktop.app import Till, tune_interpreter
    from desktop.ui.theme import apply_theme

    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    tune_interpreter()
    apply_theme(app)
    with tempfile.TemporaryDirectory(prefix="till-shots-") as tmp:
        till = Till(Path(tmp) / "data", demo=True)
        till.window.resize(1280, 800)
        till.start()
        try:
            take(till, Path(tmp))
        finally:
            till.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
