"""Health at a glance: the status bar, today's totals, the card history's sync states, the rejections view."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.ui.ops import UNEXPECTED_MESSAGE, UNEXPECTED_TITLE, Change
from sync.protocol import CardState, PushResult, Reason, TxStatus
from sync.worker import StateKind, SyncState
from tests.ui.conftest import TillUnderTest, scan, sign_in


def reject_pending(till: TillUnderTest, reason: Reason) -> None:
    """Answer every pending transaction as the server would when it rejects them."""
    sent = till.ledger.pending_transactions(100)
    results = []
    for tx in sent:
        card = till.ledger.find_card(tx.card_number)
        assert card is not None
        state = CardState(
            card_number=tx.card_number,
            stamp_count=card.confirmed_stamp_count,
            points_balance=card.confirmed_points_balance,
            is_active=True,
        )
        results.append(PushResult(id=str(tx.id), status=TxStatus.REJECTED, reason=reason, card=state))
    till.ledger.apply_push_results(sent, results)


def report(till: TillUnderTest, kind: StateKind, *, pending: int, since: datetime | None = None) -> None:
    """What the sync worker's callback does, from another thread."""
    state = SyncState(kind=kind, since=since or datetime.now(UTC), message="", pending_count=pending)
    thread = threading.Thread(target=till.bridge.on_state, args=(state,))
    thread.start()
    thread.join()


def test_the_status_bar_shows_offline_since_and_the_pending_backlog(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F2)
    bar = cashier.window.status_bar
    qtbot.waitUntil(lambda: bar.pending_label.text().startswith("1 waiting to sync"))
    assert "(oldest just now)" in bar.pending_label.text()

    report(cashier, StateKind.OFFLINE, pending=1, since=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    qtbot.waitUntil(lambda: bar.state_label.text().startswith("● Offline since"))
    assert bar.state_label.objectName() == "sync_offline"


def test_today_shows_what_this_till_recorded(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: screen.customer_panel.stamp_card.stamps == 4)

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: screen.today.value("stamps_given") == "1")
    assert screen.tabs.currentWidget() is screen.today
    assert screen.today.value("pending_count") == "1"


def test_a_rejected_transaction_shows_its_reason_in_the_history(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: len(screen.history.row_texts()) == 1)

    reject_pending(cashier, Reason.DAILY_STAMP_LIMIT)
    report(cashier, StateKind.ONLINE, pending=0)

    qtbot.waitUntil(lambda: screen.history.row_texts()[0][3].startswith("Rejected"))
    assert screen.history.row_texts()[0][3] == "Rejected: This card has had all the stamps allowed today."
    qtbot.waitUntil(lambda: screen.customer_panel.stamp_card.stamps == 3)


def test_a_manager_sees_rejections_in_plain_words_and_acknowledges_them(
    qtbot: QtBot, till: TillUnderTest
) -> None:
    sign_in(qtbot, till.window, "Mia Manager")
    till.ledger.add_stamp(till.context.staff, "1001")
    reject_pending(till, Reason.DAILY_STAMP_LIMIT)
    screen = till.window.card_screen

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)

    view = screen.rejections
    qtbot.waitUntil(lambda: view.table.rowCount() == 1)
    assert view.table.item(0, 1).text() == "1001"
    assert view.table.item(0, 3).text() == "This card has had all the stamps allowed today."
    assert view.acknowledge_button.isEnabled()
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.table.rowCount() == 0)
    assert till.ledger.rejections() == []


def test_a_cashier_does_not_see_the_rejections_view(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    assert not screen.tabs.isTabVisible(screen.tabs.indexOf(screen.rejections))


def test_ledger_calls_run_off_the_gui_thread(qtbot: QtBot, till: TillUnderTest) -> None:
    threads: list[str] = []
    done: list[object] = []
    till.runner.op(till.window, lambda ledger: threads.append(threading.current_thread().name)).success(
        done.append
    ).run()

    qtbot.waitUntil(lambda: bool(done))

    assert threads != [threading.main_thread().name]
    assert threads[0].startswith("ledger-ops")


def test_an_unexpected_error_shows_a_plain_message_and_logs_the_traceback(
    qtbot: QtBot, cashier: TillUnderTest, caplog
) -> None:  # type: ignore[no-untyped-def]
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")

    def broken(ledger: object) -> object:
        raise RuntimeError("disk on fire")

    screen._record(broken)

    qtbot.waitUntil(lambda: screen.banner.kind == "banner_problem")
    assert screen.banner.text() == f"{UNEXPECTED_TITLE}: {UNEXPECTED_MESSAGE}"
    assert "disk on fire" not in screen.banner.text()
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)
    qtbot.waitUntil(lambda: screen.buttons["stamp"].isEnabled())


def test_a_change_announced_once_refreshes_the_open_card(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    cashier.ledger.add_stamp(cashier.context.staff, "1001")

    cashier.runner.announce(Change.CARDS)

    qtbot.waitUntil(lambda: screen.customer_panel.stamp_card.stamps == 4)


def test_sync_states_from_the_worker_thread_reach_slots_on_the_gui_thread(
    qtbot: QtBot, till: TillUnderTest
) -> None:
    seen_on: list[str] = []
    till.bridge.state_changed.connect(lambda _state: seen_on.append(threading.current_thread().name))

    report(till, StateKind.SYNCING, pending=3)

    qtbot.waitUntil(lambda: bool(seen_on))
    assert seen_on == [threading.main_thread().name]
    assert till.window.status_bar.state_label.text() == "⟳ Syncing…"


def test_a_waiting_rejection_is_counted_on_its_tab_and_in_the_status_bar_until_acknowledged(
    qtbot: QtBot, till: TillUnderTest
) -> None:
    cashier = till.ledger.login(1, "4321")
    till.ledger.add_stamp(cashier, "1001")
    till.ledger.add_stamp(cashier, "1002")
    reject_pending(till, Reason.DAILY_STAMP_LIMIT)
    report(till, StateKind.ONLINE, pending=0)
    bar = till.window.status_bar
    qtbot.waitUntil(lambda: "2 rejected" in bar.rejections_label.text())
    assert bar.rejections_label.isVisible() and bar.rejections_label.objectName() == "sync_error"

    sign_in(qtbot, till.window, "Mia Manager")
    screen = till.window.card_screen
    tabs = screen.tabs
    qtbot.waitUntil(lambda: tabs.tabText(tabs.indexOf(screen.rejections)) == "Rejections (2)")
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: screen.rejections.acknowledge_button.isEnabled())
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: tabs.tabText(tabs.indexOf(screen.rejections)) == "Rejections (1)")
    assert "1 rejected" in bar.rejections_label.text()
    qtbot.waitUntil(lambda: screen.rejections.acknowledge_button.isEnabled())
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: tabs.tabText(tabs.indexOf(screen.rejections)) == "Rejections")
    qtbot.waitUntil(lambda: bar.rejections_label.isHidden())


def test_the_history_keeps_every_column_in_sight_and_shows_purchases_and_rewards(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    window = cashier.window
    window.resize(1024, 600)
    screen = window.card_screen
    staff = cashier.context.staff
    cashier.ledger.earn_points(staff, "1001", purchase_amount_cents=1250, order_reference="R-9")
    cashier.ledger.redeem_reward(staff, "1001", "cookie")
    cashier.ledger.add_stamp(staff, "1001")
    reject_pending(cashier, Reason.INVALID_POINTS)  # the longest reason a cashier reads
    report(cashier, StateKind.ONLINE, pending=0)
    scan(qtbot, window, "1001")
    table = screen.history.table
    qtbot.waitUntil(lambda: table.rowCount() == 3)
    qtbot.wait(50)  # the layout settles

    header = table.horizontalHeader()
    for column in range(table.columnCount()):
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert 0 <= header.sectionViewportPosition(column) and right <= table.viewport().width(), column
    texts = [" ".join(row) for row in screen.history.row_texts()]
    assert any("EUR 12.50" in text for text in texts)
    assert any("A cookie" in text for text in texts)
    assert all(row[4] == "This till" for row in screen.history.row_texts())
