"""The till on screens from 1024x600 to 1920x1080: everything in sight, nothing overlapping,
touch targets of at least 44 px, type that grows with the screen, number pads in amount dialogs."""

from __future__ import annotations

from itertools import combinations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from desktop.ui.dialogs import EarnPointsDialog
from sync.protocol import PullResponse, Role, StaffOut, StoreOut
from tests.ui.conftest import STAFF, STORE_ID, TillUnderTest, scan, sign_in
from tests.ui.test_dialog_keys import dialog_opened, press

SIZES = [(1024, 600), (1366, 768), (1920, 1080)]
TOUCH_MIN = 44
MORE_STAFF = [
    StaffOut(id=10 + i, name=name, role=Role.STAFF, store_id=None, pin_hash=STAFF[0].pin_hash, is_active=True)
    for i, name in enumerate(["Alexandra Kowalczyk", "Ben Ng", "Chiara Esposito", "Dmitri Volkov", "Eve Li"])
]


def place(widget: QWidget) -> QRect:
    window = widget.window()
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def shown(parent: QWidget, kind: type[QWidget]) -> list[QWidget]:
    return [w for w in parent.findChildren(kind) if w.isVisible() and w.width() > 0]


def check_fits(window: QWidget) -> None:
    """Every visible button and field lies inside the window and is at least TOUCH_MIN high."""
    bounds = window.rect()
    for widget in [*shown(window, QAbstractButton), *shown(window, QLineEdit)]:
        name = widget.objectName() or widget.accessibleName() or getattr(widget, "text", lambda: "")()
        assert bounds.contains(place(widget)), f"{name!r} at {place(widget)} is outside {bounds}"
        assert widget.height() >= TOUCH_MIN, f"{name!r} is {widget.height()} px high"


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_lock_screen_fits_with_many_names_none_overlapping(
    qtbot: QtBot, till: TillUnderTest, size: tuple[int, int]
) -> None:
    page = PullResponse(
        store=StoreOut(id=STORE_ID, name="Main Street", timezone="Europe/Dublin"),
        program=None,
        staff=[*STAFF, *MORE_STAFF],
        cards=[],
        cursor="c2",
        has_more=False,
    )
    till.ledger.apply_pull_page(page)
    window = till.window
    window.resize(*size)
    till.window.lock_screen.reload()
    lock = window.lock_screen
    qtbot.waitUntil(lambda: len(lock.staff_buttons) == 8)
    qtbot.wait(50)

    assert (window.width(), window.height()) == size
    buttons = [b for b in lock.staff_buttons.values() if b.isVisible()]
    assert len(buttons) == 8
    for first, second in combinations(buttons, 2):
        assert not place(first).intersects(place(second)), (first.text(), second.text())
    names = place(lock.names_area.viewport())
    for button in buttons:  # none cut off at the side (a long list scrolls down, never sideways)
        assert names.left() <= place(button).left() and place(button).right() <= names.right(), button.text()
        assert button.width() >= button.sizeHint().width(), button.text()
    check_fits(window)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_card_screen_and_an_amount_dialog_fit(
    qtbot: QtBot, till: TillUnderTest, size: tuple[int, int]
) -> None:
    window = till.window
    window.resize(*size)
    sign_in(qtbot, window, "Mia Manager")
    scan(qtbot, window, "1001")
    qtbot.wait(50)

    assert (window.width(), window.height()) == size
    check_fits(window)

    press(Qt.Key.Key_F3)
    dialog = dialog_opened(qtbot, window.card_screen, EarnPointsDialog)
    qtbot.wait(50)
    assert dialog.keypad.isVisible()
    assert dialog.width() <= size[0] and dialog.height() <= size[1] - 40
    check_fits(dialog)
    dialog.keypad.buttons["7"].click()
    assert dialog.amount_edit.text() == "7"
    dialog.reject()


def test_type_grows_with_the_screen(qtbot: QtBot, till: TillUnderTest) -> None:
    window = till.window
    sizes = []
    for size in (SIZES[0], SIZES[-1]):
        window.resize(*size)
        qtbot.wait(20)
        sizes.append(window.lock_screen.store_label.fontInfo().pixelSize())
    assert sizes[1] > sizes[0] * 1.15
    app = QApplication.instance()
    assert app is not None
