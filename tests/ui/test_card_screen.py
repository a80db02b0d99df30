"""The card screen driven like a cashier: scanner input, the keyboard shortcuts, the buttons."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from desktop.app import Till
from desktop.config import LEDGER_FILE
from desktop.ledger import open_ledger
from tests.ui.conftest import TillUnderTest, focused, look_up_unknown, scan


def test_a_scanned_card_number_with_enter_shows_the_customer(qtbot: QtBot, cashier: TillUnderTest) -> None:
    scan(qtbot, cashier.window, "1001")

    panel = cashier.window.card_screen.customer_panel
    assert panel.name_label.text() == "Ada Lovelace"
    assert panel.number_label.text() == "Card 1001"
    assert (panel.stamp_card.stamps, panel.stamp_card.target) == (3, 5)
    assert panel.points_label.text() == "120 points"
    assert "A cookie" in panel.rewards_label.text()
    assert "A mug" not in panel.rewards_label.text()
    assert panel.pending_label.isHidden()
    assert cashier.window.card_screen.scan_edit.text() == ""


def test_searching_a_name_lists_the_matches_and_enter_picks_one(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    qtbot.keyClicks(screen.scan_edit, "ada")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.results_list.count() == 2)

    qtbot.keyClick(screen.results_list, Qt.Key.Key_Down)
    qtbot.keyClick(screen.results_list, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.card is not None)
    assert screen.card.customer_name in {"Ada Lovelace", "Ada Byron"}
    assert screen.results_list.isHidden()
    assert focused(screen.scan_edit)


def test_an_unknown_card_is_explained_with_the_way_to_enrol_it(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    qtbot.keyClicks(screen.scan_edit, "9999")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.banner.isVisible())
    assert "9999" in screen.banner.text()
    assert "F8" in screen.banner.text()
    assert screen.banner.kind == "banner_problem"


def test_f2_adds_a_stamp_shown_as_unsynced_and_pending_in_the_history(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F2)

    qtbot.waitUntil(lambda: screen.customer_panel.stamp_card.stamps == 4)
    assert screen.customer_panel.pending_label.isVisible()
    assert "1 unsynced" in screen.customer_panel.pending_label.text()
    assert "Stamp added" in screen.banner.text()
    qtbot.waitUntil(lambda: len(screen.history.row_texts()) == 1)
    assert screen.history.row_texts()[0][1] == "Stamp added"
    assert screen.history.row_texts()[0][3] == "Waiting to sync"
    assert focused(screen.scan_edit)
    assert cashier.ledger.find_card("1001").stamp_count == 4


def test_the_stamp_button_works_by_touch_too(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "2001")

    qtbot.mouseClick(screen.buttons["stamp"], Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: screen.customer_panel.stamp_card.stamps == 1)


def test_redeeming_stamps_without_enough_is_refused_in_the_cashiers_words(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "2001")

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F4)

    qtbot.waitUntil(lambda: screen.banner.kind == "banner_problem")
    assert "Not enough stamps on the card." in screen.banner.text()
    assert "Traceback" not in screen.banner.text()
    assert cashier.ledger.card_history("2001") == []


def test_redeeming_a_full_stamp_card_empties_it(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1002")

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F4)

    qtbot.waitUntil(lambda: screen.customer_panel.stamp_card.stamps == 0)
    assert "Stamps redeemed" in screen.banner.text()


def test_an_inactive_card_offers_only_what_a_deactivated_card_allows(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "3001")

    assert screen.customer_panel.status_label.text() == "This card is deactivated."
    assert not screen.buttons["stamp"].isEnabled()
    assert not screen.buttons["earn"].isEnabled()
    assert not screen.buttons["activation"].isEnabled()  # a cashier is below store manager
    assert "managers" in screen.buttons["activation"].toolTip()


def test_escape_clears_the_customer_and_keeps_the_scan_field_ready(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Escape)

    assert screen.card is None
    assert screen.customer_panel.name_label.text() == "Scan a card to begin"
    assert focused(screen.scan_edit)


def test_the_tab_order_follows_the_flow_from_scan_to_the_actions(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Tab)

    assert focused(screen.buttons["stamp"])


def test_every_button_and_field_is_big_enough_for_a_thumb(qtbot: QtBot, cashier: TillUnderTest) -> None:
    scan(qtbot, cashier.window, "1001")
    window = cashier.window
    widgets = [w for w in window.findChildren(QPushButton) + window.findChildren(QLineEdit) if w.isVisible()]

    assert widgets
    assert [w.text() for w in widgets if w.height() < 44] == []


def test_a_ledger_that_cannot_open_is_explained_instead_of_a_blank_window(
    qtbot: QtBot, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    app = Till(blocked, demo=False)
    qtbot.addWidget(app.window)
    try:
        app.runner.open(lambda: open_ledger(blocked / LEDGER_FILE))
        app.window.start()
        qtbot.waitUntil(lambda: app.window.message_page.text() != "")
        assert app.window.stack.currentWidget() is app.window.message_page
        assert app.window.message_page.text().startswith("The till cannot open its ledger")
        assert "Errno" not in app.window.message_page.text()
    finally:
        app.stop()


def test_a_scan_after_touching_the_history_still_lands_in_the_scan_field(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.mouseClick(screen.history.table.viewport(), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.tabs.tabBar(), Qt.MouseButton.LeftButton)

    for key in "1002":
        qtbot.keyClicks(cashier.window.focusWidget(), key)
    qtbot.keyClick(cashier.window.focusWidget(), Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.card is not None and screen.card.card_number == "1002")


def test_the_server_rows_of_another_card_or_a_card_no_longer_shown_are_not_shown(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    """Lookups answer late and out of order: a history shows only its own card's server rows."""
    from datetime import UTC, datetime

    from sync.protocol import CardTxOut, TransactionType, TxStatus

    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: len(screen.history.row_texts()) == 1)

    def row(store_id: int | None) -> CardTxOut:
        return CardTxOut(
            id="00000000-0000-4000-8000-000000000001",
            type=TransactionType.POINTS_EARNED,
            stamps_delta=0,
            points_delta=40,
            transaction_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            store_id=store_id,
            status=TxStatus.ACCEPTED,
            reason=None,
        )

    cashier.context.lookup.found.emit("1002", [row(8)])  # an answer for a card scanned before
    assert [texts[4] for texts in screen.history.row_texts()] == ["This till"]
    cashier.context.lookup.found.emit("1001", [row(None)])
    assert [texts[1:] for texts in screen.history.row_texts()] == [
        ["Stamp added", "+1 stamp", "Waiting to sync", "This till"],
        ["Points earned", "+40 points", "Accepted", "Head office"],
    ]
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Escape)  # no card shown
    qtbot.waitUntil(lambda: screen.history.row_texts() == [])
    cashier.context.lookup.found.emit("1001", [row(None)])
    assert screen.history.row_texts() == []


def test_a_name_that_matches_nobody_is_not_offered_as_a_new_card_number(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    from desktop.ui.dialogs import EnrolCardDialog
    from tests.ui.test_dialogs import opened

    screen = cashier.window.card_screen
    look_up_unknown(qtbot, cashier.window, "Smith")
    assert "Smith" in screen.banner.text()
    assert "F8" not in screen.banner.text()

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F8)

    dialog = opened(qtbot, screen, EnrolCardDialog)
    assert dialog.number_edit.text() == ""


def test_a_saved_or_refused_banner_never_moves_a_control(qtbot: QtBot, cashier: TillUnderTest) -> None:
    window = cashier.window
    screen = window.card_screen
    scan(qtbot, window, "1002")  # 5 stamps of 5: a second redemption is refused
    controls = [screen.scan_edit, screen.tabs, screen.lock_button, *screen.buttons.values()]

    def places() -> list[tuple[int, int, int, int]]:
        return [(*c.mapTo(window, c.rect().topLeft()).toTuple(), c.width(), c.height()) for c in controls]

    before = places()
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F2)  # saved
    qtbot.waitUntil(lambda: screen.banner.isVisible() and "Saved" in screen.banner.text())
    assert places() == before
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: screen.customer_panel.stamp_card.stamps == 1)
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F4)  # refused: not enough stamps
    qtbot.waitUntil(lambda: screen.banner.kind == "banner_problem")
    assert places() == before
    screen.banner.clear()
    assert places() == before
