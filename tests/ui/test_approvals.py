"""A manager's approval inside a cashier's session (a purchase above the till's limit), what wrong
PINs cost there, and unlocking a locked-out colleague; driven from the keyboard as a cashier does."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.config import TillSettings
from desktop.ui.dialogs import EarnPointsDialog
from desktop.ui.staff_dialogs import UnlockDialog
from tests.ui.conftest import OWNER_PIN, PIN, TillUnderTest, ready_for_keys, scan, sign_in
from tests.ui.test_dialog_keys import dialog_opened, focus, press, type_keys


def ask_for_a_huge_purchase(qtbot: QtBot, till: TillUnderTest, amount: str = "9999999") -> EarnPointsDialog:
    """Card 1001, F3, the amount typed and Enter: the dialog once it asks for a manager's PIN."""
    scan(qtbot, till.window, "1001")
    press(Qt.Key.Key_F3)
    dialog = dialog_opened(qtbot, till.window.card_screen, EarnPointsDialog)
    type_keys(amount)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.approval.asked and dialog.approval.approver_combo.count() > 0)
    return dialog


def test_an_absurd_purchase_waits_for_a_managers_pin_and_is_recorded_once_approved(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    dialog = ask_for_a_huge_purchase(qtbot, cashier)

    assert "1,000.00" in dialog.problem_label.text()  # the till's default limit, in its words
    assert focus() is dialog.approval.pin_edit
    assert dialog.approval.approver_combo.currentText() == "Mia Manager"
    assert cashier.ledger.card_history("1001") == []

    type_keys(PIN)
    press(Qt.Key.Key_Return)

    screen = cashier.window.card_screen
    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "100,000,110 points")
    assert cashier.ledger.card_history("1001")[0].purchase_amount_cents == 999_999_900


def test_wrong_manager_pins_lock_the_session_asking_not_the_manager(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    dialog = ask_for_a_huge_purchase(qtbot, cashier)
    type_keys("0000")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "2 attempts left" in dialog.problem_label.text())
    assert focus() is dialog.approval.pin_edit and dialog.approval.pin_edit.text() == ""
    type_keys("0000")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "1 attempt left" in dialog.problem_label.text())
    type_keys("0000")
    press(Qt.Key.Key_Return)

    window = cashier.window
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.lock_screen)
    assert "Too many wrong PINs in this session" in window.lock_screen.message_label.text()
    assert cashier.ledger.card_history("1001") == []
    assert cashier.ledger.locked_out_staff()[0][0].name == "Sam Staff"
    sign_in(qtbot, window, "Mia Manager")  # the manager whose PIN was guessed still signs in


def test_a_manager_unlocks_a_locked_out_cashier_at_the_till(qtbot: QtBot, till: TillUnderTest) -> None:
    window = till.window
    for _ in range(3):
        try:
            till.ledger.login(1, "0000")
        except Exception:  # noqa: S110 - the wrong PINs are the point
            pass
    sign_in(qtbot, window, "Mia Manager")
    screen = window.card_screen
    ready_for_keys(qtbot, window)

    press(Qt.Key.Key_U)  # without Ctrl: typed into the scan field, nothing opens
    assert screen.scan_edit.text() == "u"
    screen.scan_edit.clear()
    qtbot.keyClick(focus(), Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    dialog = dialog_opened(qtbot, screen, UnlockDialog)
    qtbot.waitUntil(lambda: dialog.staff_list.count() == 1)
    assert "Sam Staff" in dialog.staff_list.item(0).text()

    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: "Sam Staff can sign in again" in screen.banner.text())
    unlock = till.ledger.staff_unlocks()[0]
    assert (unlock.staff_id, unlock.unlocked_by) == (1, 2)
    ready_for_keys(qtbot, window)
    qtbot.keyClick(focus(), Qt.Key.Key_F12)
    sign_in(qtbot, window, "Sam Staff")


def test_the_limit_set_for_the_till_is_the_one_asked_about(qtbot: QtBot, open_till: object) -> None:
    till = open_till(TillSettings(sync_interval_seconds=3600.0, large_purchase_cents=5_000))  # type: ignore[operator]
    sign_in(qtbot, till.window, "Olu Owner", OWNER_PIN)

    dialog = ask_for_a_huge_purchase(qtbot, till, "50.01")

    assert "50.00" in dialog.problem_label.text()
    assert dialog.approval.approver_combo.currentText() == "Olu Owner"  # an owner approves their own
