"""UI test worlds: a real ledger file seeded by apply_pull_page, the real window, a real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.app import Till
from desktop.config import LEDGER_FILE, TillSettings
from desktop.ledger import Ledger, open_ledger
from desktop.ui.context import TillContext
from desktop.ui.i18n import ENGLISH
from desktop.ui.i18n import install as install_language
from desktop.ui.main_window import MainWindow
from desktop.ui.ops import LedgerRunner
from desktop.ui.sync_bridge import SyncBridge
from desktop.ui.theme import apply_theme
from sync.pins import hash_pin
from sync.ports import DeviceIdentity
from sync.protocol import CardOut, Program, ProgramType, PullResponse, Reward, Role, StaffOut, StoreOut
from tests.support.live_server import live_server_sqlite  # noqa: F401 - a fixture

STORE_ID = 7
PIN = "4321"
OWNER_PIN = "9999"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

IDENTITY = DeviceIdentity(
    device_id="device-ui-1",
    token="ui-test-token",
    server_url="http://127.0.0.1:1",  # nothing listens there: the till is offline
    store_id=STORE_ID,
    store_name="Main Street",
    store_timezone="Europe/Dublin",
    merchant_id=1,
    merchant_name="Bean There",
)


def make_program(**overrides: Any) -> Program:
    fields: dict[str, Any] = {
        "version": 1,
        "type": ProgramType.HYBRID,
        "stamps_target": 5,
        "stamps_reward_description": "A free coffee",
        "points_per_currency_unit": 10,
        "minimum_purchase_cents": 100,
        "rewards": [
            Reward(id="cookie", name="A cookie", points_cost=50),
            Reward(id="mug", name="A mug", points_cost=500),
        ],
        "welcome_bonus_points": 20,
        "pin_max_attempts": 3,
        "pin_lockout_minutes": 10,
    }
    fields.update(overrides)
    return Program(**fields)


def _staff(staff_id: int, name: str, role: Role, pin: str = PIN) -> StaffOut:
    return StaffOut(id=staff_id, name=name, role=role, store_id=None, pin_hash=hash_pin(pin), is_active=True)


STAFF = [
    _staff(1, "Sam Staff", Role.STAFF),
    _staff(2, "Mia Manager", Role.STORE_MANAGER),
    _staff(3, "Olu Owner", Role.MERCHANT_OWNER, OWNER_PIN),
]


def card(number: str, name: str | None, *, stamps: int = 0, points: int = 0, active: bool = True) -> CardOut:
    return CardOut(
        card_number=number,
        customer_name=name,
        stamp_count=stamps,
        points_balance=points,
        is_active=active,
        updated_at=NOW,
    )


CARDS = [
    card("1001", "Ada Lovelace", stamps=3, points=120),
    card("1002", "Bob Builder", stamps=5, points=30),
    card("2001", "Ada Byron", stamps=0, points=0),
    card("3001", "Cy Closed", stamps=1, points=10, active=False),
]


def seed(ledger: Ledger, *, program: Program | None = None, cards: list[CardOut] | None = None) -> None:
    ledger.save_identity(IDENTITY)
    page = PullResponse(
        store=StoreOut(id=STORE_ID, name="Main Street", timezone="Europe/Dublin"),
        program=program or make_program(),
        staff=list(STAFF),
        cards=list(CARDS if cards is None else cards),
        cursor="c1",
        has_more=False,
    )
    ledger.apply_pull_page(page)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "till" / LEDGER_FILE


@pytest.fixture
def ledger(ledger_path: Path) -> Iterator[Ledger]:
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    opened = open_ledger(ledger_path)
    seed(opened)
    yield opened
    opened.close()


class TillUnderTest:
    """The real window on a real ledger, no sync worker (the till is offline)."""

    def __init__(self, qtbot: QtBot, ledger: Ledger, settings: TillSettings) -> None:
        self.qtbot = qtbot
        self.ledger = ledger
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        apply_theme(app)
        install_language(app, settings.language or ENGLISH)
        self.runner = LedgerRunner(ledger)
        self.bridge = SyncBridge()
        self.context = TillContext(self.runner, self.bridge, settings=settings)
        self.window = MainWindow(self.context)
        qtbot.addWidget(self.window)

    def open(self) -> TillUnderTest:
        with self.qtbot.waitSignal(self.window.lock_screen_shown, timeout=5000):
            self.window.show()
            self.window.start()
        self.qtbot.waitUntil(lambda: bool(self.window.lock_screen.staff_buttons), timeout=5000)
        return self

    def close(self) -> None:
        self.context.close()
        self.runner.close()
        self.window.close()


def sign_in(qtbot: QtBot, window: MainWindow, name: str, pin: str = PIN) -> None:
    """Pick the name on the lock screen, type the PIN and Enter; wait for the card screen."""
    from PySide6.QtCore import Qt

    lock = window.lock_screen
    qtbot.waitUntil(lambda: any(b.text() == name for b in lock.staff_buttons.values()), timeout=5000)
    button = next(b for b in lock.staff_buttons.values() if b.text() == name)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(lock.pin_edit, pin)
    qtbot.keyClick(lock.pin_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.card_screen, timeout=5000)


def focused(widget: QWidget) -> bool:
    """The widget has the keyboard focus of its window (what a scanner types into)."""
    return widget.window().focusWidget() is widget


def ready_for_keys(qtbot: QtBot, window: MainWindow) -> None:
    """Wait until the window is active again with the scan field focused (after a dialog closed)."""
    qtbot.waitUntil(
        lambda: QApplication.activeWindow() is window and focused(window.card_screen.scan_edit), timeout=5000
    )


def history_states(window: MainWindow) -> list[str]:
    """The sync column of the card history's rows of this till, newest first."""
    return [row[3] for row in window.card_screen.history.row_texts() if row[4] == "This till"]


def scan(qtbot: QtBot, window: MainWindow, number: str) -> None:
    """A barcode scanner: types the number and Enter into whatever has the focus (the scan field)."""
    from PySide6.QtCore import Qt

    screen = window.card_screen
    qtbot.waitUntil(lambda: focused(screen.scan_edit), timeout=5000)
    qtbot.keyClicks(screen.scan_edit, number)
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.card is not None and screen.card.card_number == number, timeout=5000)


def look_up_unknown(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type what matches no card into the scan field and Enter; wait for the till to say so."""
    from PySide6.QtCore import Qt

    screen = window.card_screen
    qtbot.keyClicks(screen.scan_edit, text)
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.banner.isVisible())


@pytest.fixture
def settings() -> TillSettings:
    return TillSettings(idle_lock_minutes=5.0, sync_interval_seconds=3600.0)


@pytest.fixture
def open_till(qtbot: QtBot, ledger: Ledger, settings: TillSettings) -> Iterator[Callable[..., TillUnderTest]]:
    made: list[TillUnderTest] = []

    def factory(custom: TillSettings | None = None) -> TillUnderTest:
        till = TillUnderTest(qtbot, ledger, custom or settings).open()
        made.append(till)
        return till

    yield factory
    for till in made:
        till.close()


@pytest.fixture
def till(open_till: Callable[..., TillUnderTest]) -> TillUnderTest:
    return open_till()


@pytest.fixture
def cashier(qtbot: QtBot, till: TillUnderTest) -> TillUnderTest:
    sign_in(qtbot, till.window, "Sam Staff")
    return till


@pytest.fixture
def manager(qtbot: QtBot, till: TillUnderTest) -> TillUnderTest:
    sign_in(qtbot, till.window, "Mia Manager")
    return till


@pytest.fixture
def app_till(qtbot: QtBot) -> Iterator[Callable[[Path], Till]]:
    """The whole app (desktop.app.Till: ledger thread, sync worker) on a data folder."""
    made: list[Till] = []

    def factory(data_dir: Path, settings: TillSettings | None = None) -> Till:
        app = Till(data_dir, demo=False, settings=settings or TillSettings(sync_interval_seconds=3600.0))
        qtbot.addWidget(app.window)
        made.append(app)
        with qtbot.waitSignal(app.window.lock_screen_shown, timeout=15000):
            app.start()
        return app

    yield factory
    for app in made:
        app.stop()
