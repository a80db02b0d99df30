"""The lock screen: names as big buttons, the PIN on the keypad or the keyboard, lockout, idle lock."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.config import TillSettings
from desktop.ui.dialogs import EarnPointsDialog
from tests.ui.conftest import PIN, TillUnderTest, scan, sign_in


def staff_button(till: TillUnderTest, name: str):  # type: ignore[no-untyped-def]
    return next(b for b in till.window.lock_screen.staff_buttons.values() if b.text() == name)


def test_the_lock_screen_lists_the_active_staff_as_big_buttons(till: TillUnderTest) -> None:
    names = sorted(b.text() for b in till.window.lock_screen.staff_buttons.values())
    assert names == ["Mia Manager", "Olu Owner", "Sam Staff"]
    assert all(b.height() >= 44 for b in till.window.lock_screen.staff_buttons.values())
    assert till.window.status_bar.isVisible()


def test_a_pin_typed_on_the_keypad_signs_in(qtbot: QtBot, till: TillUnderTest) -> None:
    lock = till.window.lock_screen
    qtbot.mouseClick(staff_button(till, "Sam Staff"), Qt.MouseButton.LeftButton)
    for digit in PIN:
        qtbot.mouseClick(lock.keypad.buttons[digit], Qt.MouseButton.LeftButton)
    assert lock.pin_edit.text() == PIN

    qtbot.mouseClick(lock.keypad.buttons["OK"], Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: till.window.stack.currentWidget() is till.window.card_screen)
    assert till.context.staff.name == "Sam Staff"
    assert "Sam Staff" in till.window.card_screen.staff_label.text()


def test_a_wrong_pin_says_how_many_attempts_are_left(qtbot: QtBot, till: TillUnderTest) -> None:
    lock = till.window.lock_screen
    qtbot.mouseClick(staff_button(till, "Sam Staff"), Qt.MouseButton.LeftButton)

    qtbot.keyClicks(lock.pin_edit, "1111")
    qtbot.keyClick(lock.pin_edit, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: "2 attempts left" in lock.message_label.text())
    assert lock.pin_edit.text() == ""
    assert till.window.stack.currentWidget() is lock


def test_too_many_wrong_pins_lock_the_staff_member_out_with_the_time_left(
    qtbot: QtBot, till: TillUnderTest
) -> None:
    lock = till.window.lock_screen
    qtbot.mouseClick(staff_button(till, "Sam Staff"), Qt.MouseButton.LeftButton)
    for attempt in range(3):
        qtbot.keyClicks(lock.pin_edit, "1111")
        qtbot.keyClick(lock.pin_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: lock.pin_edit.isEnabled() and lock.message_label.text() != "")
        if attempt < 2:
            lock.message_label.setText("")

    assert "Try again in 10 minutes" in lock.message_label.text()

    qtbot.keyClicks(lock.pin_edit, PIN)  # even the right PIN waits for the lockout
    lock.message_label.setText("")
    qtbot.keyClick(lock.pin_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Too many wrong PINs" in lock.message_label.text())
    assert till.window.stack.currentWidget() is lock


def test_digits_typed_anywhere_on_the_lock_screen_go_to_the_pin(qtbot: QtBot, till: TillUnderTest) -> None:
    lock = till.window.lock_screen
    qtbot.mouseClick(staff_button(till, "Mia Manager"), Qt.MouseButton.LeftButton)
    staff_button(till, "Mia Manager").setFocus()

    for digit in "43":  # as a keyboard does: each key goes to whatever has the focus now
        qtbot.keyClicks(till.window.focusWidget(), digit)

    assert lock.pin_edit.text() == "43"


def test_f12_locks_the_till_and_forgets_who_was_signed_in(qtbot: QtBot, cashier: TillUnderTest) -> None:
    qtbot.keyClick(cashier.window.card_screen.scan_edit, Qt.Key.Key_F12)

    qtbot.waitUntil(lambda: cashier.window.stack.currentWidget() is cashier.window.lock_screen)
    assert cashier.context.staff is None


def test_the_till_locks_itself_after_the_idle_minutes(
    qtbot: QtBot, open_till: Callable[..., TillUnderTest]
) -> None:
    till = open_till(TillSettings(idle_lock_minutes=0.005))  # 300 ms
    sign_in(qtbot, till.window, "Sam Staff")

    with qtbot.waitSignal(till.window.lock_screen_shown, timeout=5000):
        pass

    assert till.context.staff is None


def test_the_pin_must_follow_a_name(qtbot: QtBot, till: TillUnderTest) -> None:
    lock = till.window.lock_screen
    lock.selected_staff = None
    qtbot.keyClicks(lock.pin_edit, PIN)
    qtbot.keyClick(lock.pin_edit, Qt.Key.Key_Return)

    assert lock.message_label.text() == "Pick your name first."


def test_the_idle_lock_also_closes_an_open_dialog(
    qtbot: QtBot, open_till: Callable[..., TillUnderTest]
) -> None:
    till = open_till(TillSettings(idle_lock_minutes=0.03))  # 1.8 s: time to open the dialog first
    sign_in(qtbot, till.window, "Sam Staff")
    scan(qtbot, till.window, "1001")
    till.window.card_screen.trigger("earn")
    qtbot.waitUntil(lambda: any(d.isVisible() for d in till.window.findChildren(EarnPointsDialog)))

    with qtbot.waitSignal(till.window.lock_screen_shown, timeout=5000):
        pass

    assert not any(d.isVisible() for d in till.window.findChildren(EarnPointsDialog))
    assert till.context.staff is None
