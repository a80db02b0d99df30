"""The action dialogs: earn points with a live preview, rewards, voids, the owner's adjustment, enrolment."""

from __future__ import annotations

from typing import TypeVar

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from desktop.ui.correction_dialogs import AdjustDialog, VoidDialog
from desktop.ui.dialogs import ConfirmDialog, EarnPointsDialog, EnrolCardDialog
from desktop.ui.redeem_dialogs import RewardDialog
from tests.ui.conftest import (
    OWNER_PIN,
    TillUnderTest,
    focused,
    look_up_unknown,
    ready_for_keys,
    scan,
    sign_in,
)

D = TypeVar("D", bound=QDialog)


def closed(dialog: QDialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def opened(qtbot: QtBot, parent: QWidget, kind: type[D]) -> D:
    qtbot.waitUntil(lambda: any(d.isVisible() for d in parent.findChildren(kind)), timeout=5000)
    return next(d for d in parent.findChildren(kind) if d.isVisible())


def test_earn_points_previews_the_points_and_records_the_purchase(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F3)
    dialog = opened(qtbot, screen, EarnPointsDialog)

    qtbot.keyClicks(dialog.amount_edit, "12.50")
    assert dialog.preview_label.text() == "+125"
    qtbot.keyClicks(dialog.reference_edit, "R-17")
    qtbot.keyClick(dialog.reference_edit, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "245 points")
    assert closed(dialog)
    qtbot.waitUntil(lambda: focused(screen.scan_edit))
    recorded = cashier.ledger.card_history("1001")[0]
    assert (recorded.purchase_amount_cents, recorded.order_reference, recorded.points_delta) == (
        1250,
        "R-17",
        125,
    )


def test_earn_points_below_the_minimum_says_so_and_cannot_be_confirmed(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    screen.trigger("earn")
    dialog = opened(qtbot, screen, EarnPointsDialog)

    qtbot.keyClicks(dialog.amount_edit, "0.99")

    assert "minimum purchase of EUR 1.00" in dialog.problem_label.text()
    assert not dialog.ok_button.isEnabled()


def test_a_reused_order_reference_is_refused_inside_the_dialog(qtbot: QtBot, cashier: TillUnderTest) -> None:
    staff = cashier.context.staff
    cashier.ledger.earn_points(staff, "1001", purchase_amount_cents=500, order_reference="R-1")
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    screen.trigger("earn")
    dialog = opened(qtbot, screen, EarnPointsDialog)

    qtbot.keyClicks(dialog.amount_edit, "5")
    qtbot.keyClicks(dialog.reference_edit, "R-1")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: dialog.problem_label.isVisible())
    assert "Points were already given for this order." in dialog.problem_label.text()
    assert dialog.isVisible()


def test_the_reward_picker_greys_out_unaffordable_rewards_with_the_shortfall(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F5)
    dialog = opened(qtbot, screen, RewardDialog)

    cookie, mug = dialog.reward_list.item(0), dialog.reward_list.item(1)
    assert cookie.flags() & Qt.ItemFlag.ItemIsEnabled
    assert not mug.flags() & Qt.ItemFlag.ItemIsEnabled
    assert "needs 380 more points" in mug.text()

    qtbot.keyClick(dialog.reward_list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "70 points")
    assert "Reward redeemed" in screen.banner.text()


def test_a_redemption_is_refused_offline_when_the_points_are_gone(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1002")  # 30 points; cookie costs 50
    cashier.ledger.earn_points(cashier.context.staff, "1002", purchase_amount_cents=200, order_reference="A")
    screen.reload_card()
    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "50 points")
    screen.trigger("reward")
    dialog = opened(qtbot, screen, RewardDialog)
    # Meanwhile the points are spent (another cashier at this till, the same moment).
    cashier.ledger.redeem_reward(cashier.context.staff, "1002", "cookie")

    qtbot.keyClick(dialog.reward_list, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: dialog.problem_label.isVisible())
    assert dialog.problem_label.text() == "Not allowed: Not enough points on the card."
    assert len(cashier.ledger.card_history("1002")) == 2


def test_a_card_with_too_few_points_cannot_pick_any_reward(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "2001")
    screen.trigger("reward")
    dialog = opened(qtbot, screen, RewardDialog)

    assert "No reward is affordable" in dialog.problem_label.text()
    assert not dialog.ok_button.isEnabled()


def test_a_purchase_is_voided_in_part_from_the_cards_history(qtbot: QtBot, cashier: TillUnderTest) -> None:
    cashier.ledger.earn_points(
        cashier.context.staff, "1001", purchase_amount_cents=1000, order_reference="V1"
    )
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "220 points")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F6)
    dialog = opened(qtbot, screen, VoidDialog)
    qtbot.waitUntil(lambda: dialog.tx_list.count() == 1)
    assert "100 left to void" in dialog.tx_list.item(0).text()
    assert dialog.points_edit.text() == "100"

    dialog.points_edit.setText("40")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "180 points")
    assert "Points voided" in screen.banner.text()


def test_an_adjustment_by_the_owner_needs_a_reason(qtbot: QtBot, till: TillUnderTest) -> None:
    sign_in(qtbot, till.window, "Olu Owner", OWNER_PIN)
    screen = till.window.card_screen
    scan(qtbot, till.window, "1001")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F7)
    dialog = opened(qtbot, screen, AdjustDialog)
    dialog.points_edit.setText("15")

    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.problem_label.text() == "Please give a reason for the adjustment."
    assert till.ledger.card_history("1001") == []

    qtbot.keyClicks(dialog.reason_edit, "Scanner missed a purchase")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "135 points")
    adjustment = till.ledger.card_history("1001")[0]
    assert (adjustment.staff_id, adjustment.notes) == (3, "Scanner missed a purchase")


def test_an_unknown_scanned_number_is_enrolled_with_the_welcome_bonus(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    look_up_unknown(qtbot, cashier.window, "5555")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F8)
    dialog = opened(qtbot, screen, EnrolCardDialog)
    assert dialog.number_edit.text() == "5555"
    assert dialog.bonus_label.text() == "Welcome bonus: 20 points"

    qtbot.keyClicks(dialog.name_edit, "Nina New")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.card is not None and screen.card.card_number == "5555")
    assert screen.customer_panel.name_label.text() == "Nina New"
    assert screen.customer_panel.points_label.text() == "20 points"


def test_a_manager_deactivates_after_confirming_and_reactivates_with_f9(
    qtbot: QtBot, manager: TillUnderTest
) -> None:
    screen = manager.window.card_screen
    scan(qtbot, manager.window, "1001")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F9)
    dialog = opened(qtbot, screen, ConfirmDialog)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.card is not None and not screen.card.is_active)
    assert screen.buttons["activation"].text().startswith("Reactivate")
    ready_for_keys(qtbot, manager.window)

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F9)

    qtbot.waitUntil(lambda: screen.card.is_active)


def test_escape_cancels_a_dialog_and_nothing_is_recorded(qtbot: QtBot, till: TillUnderTest) -> None:
    sign_in(qtbot, till.window, "Sam Staff")
    screen = till.window.card_screen
    scan(qtbot, till.window, "1001")
    screen.trigger("earn")
    dialog = opened(qtbot, screen, EarnPointsDialog)
    qtbot.keyClicks(dialog.amount_edit, "3")

    qtbot.keyClick(dialog.amount_edit, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: closed(dialog))
    assert till.ledger.card_history("1001") == []


def test_the_transaction_picked_in_the_history_is_the_one_offered_for_voiding(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    staff = cashier.context.staff
    cashier.ledger.earn_points(staff, "1001", purchase_amount_cents=300, order_reference="OLD")
    cashier.ledger.earn_points(staff, "1001", purchase_amount_cents=700, order_reference="NEW")
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.waitUntil(lambda: screen.history.table.rowCount() == 2)
    older = next(r for r in range(2) if screen.history.transactions[r].order_reference == "OLD")
    rect = screen.history.table.visualItemRect(screen.history.table.item(older, 1))
    qtbot.mouseClick(screen.history.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    screen.trigger("void")

    dialog = opened(qtbot, screen, VoidDialog)
    qtbot.waitUntil(lambda: dialog.tx_list.count() == 2)
    assert "(order OLD)" in dialog.tx_list.currentItem().text()
    assert dialog.points_edit.text() == "30"
