"""Every dialog driven as a cashier does: keys go to whatever has the focus once the dialog opens.

After a dialog opens, the test types into `QApplication.focusWidget()` and presses Enter there,
never into a widget it picked itself: a dialog that opens with the focus on Cancel fails here.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot

from desktop.ui.correction_dialogs import AdjustDialog, VoidDialog
from desktop.ui.dialogs import ConfirmDialog, EarnPointsDialog, EnrolCardDialog
from desktop.ui.redeem_dialogs import RewardDialog
from tests.ui.conftest import OWNER_PIN, TillUnderTest, ready_for_keys, scan, sign_in

D = TypeVar("D", bound=QDialog)


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def type_keys(text: str) -> None:
    QTest.keyClicks(focus(), text)


def press(key: Qt.Key) -> None:
    QTest.keyClick(focus(), key)


def select_all_and_type(text: str) -> None:
    QTest.keyClick(focus(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_keys(text)


def dialog_opened(qtbot: QtBot, parent: QWidget, kind: type[D]) -> D:
    """The dialog, once it is the active window (where the keyboard goes)."""
    qtbot.waitUntil(lambda: isinstance(QApplication.activeWindow(), kind), timeout=5000)
    dialog = QApplication.activeWindow()
    assert isinstance(dialog, kind) and dialog.parent() is parent
    return dialog


def test_earn_points_opens_on_the_amount_and_enter_records_it(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    press(Qt.Key.Key_F3)
    dialog_opened(qtbot, screen, EarnPointsDialog)

    type_keys("7.50")
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "195 points")
    assert cashier.ledger.card_history("1001")[0].purchase_amount_cents == 750


def test_enter_does_nothing_while_the_amount_is_not_valid(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    press(Qt.Key.Key_F3)
    dialog = dialog_opened(qtbot, screen, EarnPointsDialog)

    type_keys("0.50")  # below the programme's minimum
    press(Qt.Key.Key_Return)

    assert dialog.isVisible() and not dialog.ok_button.isEnabled()
    assert cashier.ledger.card_history("1001") == []


def test_a_reward_is_picked_with_the_arrow_keys_and_enter(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    press(Qt.Key.Key_F5)
    dialog_opened(qtbot, screen, RewardDialog)

    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "70 points")


def void_a_purchase_of_125_points(qtbot: QtBot, cashier: TillUnderTest) -> VoidDialog:
    """Card 1001 (120 points) earns 125 more; F6 opens the void dialog on that purchase."""
    cashier.ledger.earn_points(cashier.context.staff, "1001", purchase_amount_cents=1250, order_reference="V")
    scan(qtbot, cashier.window, "1001")
    press(Qt.Key.Key_F6)
    dialog = dialog_opened(qtbot, cashier.window.card_screen, VoidDialog)
    qtbot.waitUntil(lambda: dialog.tx_list.count() == 1)
    return dialog


def test_a_void_opens_on_the_points_to_void_and_enter_voids_what_was_typed(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    void_a_purchase_of_125_points(qtbot, cashier)

    type_keys("40")
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "205 points")
    assert cashier.ledger.card_history("1001")[0].points_delta == -40


def test_a_void_above_what_is_left_is_shown_out_of_range_and_cannot_be_confirmed(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    dialog = void_a_purchase_of_125_points(qtbot, cashier)

    select_all_and_type("999")
    assert dialog.points_edit.text() == "999", "a keystroke over the maximum is never dropped"
    assert not dialog.ok_button.isEnabled()
    assert "between 1 and 125" in dialog.problem_label.text()
    press(Qt.Key.Key_Return)
    select_all_and_type("0")
    assert dialog.points_edit.text() == "0"
    assert not dialog.ok_button.isEnabled()
    press(Qt.Key.Key_Return)

    assert dialog.isVisible()
    assert len(cashier.ledger.card_history("1001")) == 1, "nothing was voided"


def test_the_owner_adjusts_by_keyboard_from_the_first_field_of_the_programme(
    qtbot: QtBot, till: TillUnderTest
) -> None:
    sign_in(qtbot, till.window, "Olu Owner", OWNER_PIN)
    screen = till.window.card_screen
    scan(qtbot, till.window, "1001")
    press(Qt.Key.Key_F7)
    dialog = dialog_opened(qtbot, screen, AdjustDialog)

    assert focus() is dialog.stamps_edit  # stamps come first in a hybrid programme
    type_keys("2")
    press(Qt.Key.Key_Tab)
    type_keys("-15")
    press(Qt.Key.Key_Tab)
    type_keys("Scanner missed a visit")
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "105 points")
    assert screen.customer_panel.stamp_card.stamps == 5
    kinds = {tx.type.value: (tx.stamps_delta, tx.points_delta) for tx in till.ledger.card_history("1001")}
    assert kinds == {"stamp_adjustment": (2, 0), "points_adjustment": (0, -15)}


def test_a_points_only_programme_adjusts_from_the_points(qtbot: QtBot, till: TillUnderTest) -> None:
    from sync.protocol import ProgramType
    from tests.ui.conftest import make_program, seed

    seed(till.ledger, program=make_program(version=2, type=ProgramType.POINTS))
    till.context.reload_program()
    sign_in(qtbot, till.window, "Olu Owner", OWNER_PIN)
    qtbot.waitUntil(lambda: till.context.program is not None and till.context.program.version == 2)
    scan(qtbot, till.window, "1001")
    press(Qt.Key.Key_F7)
    dialog = dialog_opened(qtbot, till.window.card_screen, AdjustDialog)

    assert focus() is dialog.points_edit


def test_an_adjustment_by_anyone_but_the_owner_is_refused_before_any_pin_is_asked(
    qtbot: QtBot, manager: TillUnderTest
) -> None:
    screen = manager.window.card_screen
    scan(qtbot, manager.window, "1001")

    press(Qt.Key.Key_F7)

    qtbot.waitUntil(lambda: screen.banner.isVisible())
    assert "Only the owner can adjust" in screen.banner.text()
    assert not any(d.isVisible() for d in screen.findChildren(AdjustDialog))


def test_a_new_card_is_enrolled_by_keyboard_from_its_number(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    press(Qt.Key.Key_F8)
    dialog = dialog_opened(qtbot, screen, EnrolCardDialog)

    assert focus() is dialog.number_edit
    type_keys("7777")
    press(Qt.Key.Key_Tab)
    type_keys("Kim Keys")
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.card is not None and screen.card.card_number == "7777")
    assert screen.customer_panel.name_label.text() == "Kim Keys"


def test_a_scanned_unknown_number_opens_enrolment_on_the_name(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    type_keys("5151")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.banner.isVisible())
    press(Qt.Key.Key_F8)
    dialog = dialog_opened(qtbot, screen, EnrolCardDialog)

    assert focus() is dialog.name_edit
    type_keys("Nia Number")
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.card is not None and screen.card.card_number == "5151")


def test_deactivating_is_confirmed_with_enter(qtbot: QtBot, manager: TillUnderTest) -> None:
    screen = manager.window.card_screen
    scan(qtbot, manager.window, "1001")
    press(Qt.Key.Key_F9)
    dialog = dialog_opened(qtbot, screen, ConfirmDialog)

    assert focus() is dialog.ok_button
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.card is not None and not screen.card.is_active)
    ready_for_keys(qtbot, manager.window)


def test_enrolment_says_what_is_wrong_with_an_email_or_phone_and_records_nothing(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    press(Qt.Key.Key_F8)
    dialog = dialog_opened(qtbot, cashier.window.card_screen, EnrolCardDialog)
    type_keys("6006")
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Tab)
    type_keys("not-an-email")
    press(Qt.Key.Key_Return)

    assert "email" in dialog.problem_label.text()
    assert focus() is dialog.email_edit and dialog.isVisible()
    select_all_and_type("")
    QTest.keyClick(focus(), Qt.Key.Key_Backspace)
    press(Qt.Key.Key_Tab)
    type_keys("ring me")
    press(Qt.Key.Key_Return)
    assert "phone" in dialog.problem_label.text()
    assert cashier.ledger.find_card("6006") is None
