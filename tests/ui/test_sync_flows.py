"""Sync flows against the real server on loopback: first-run enrolment, offline then synced, a rejection."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.app import Till
from desktop.config import LEDGER_FILE
from desktop.ledger import open_ledger
from desktop.ui.dialogs import EarnPointsDialog, EnrolCardDialog
from sync.enrolment import adopt_device, engine_for
from sync.protocol import TransactionType, Tx, TxStatus
from sync.transport import SyncClient
from tests.support.live_server import LiveServer
from tests.ui.conftest import history_states, ready_for_keys, scan, sign_in
from tests.ui.test_dialogs import closed, opened

Served = tuple[LiveServer, dict[str, Any]]
SLOW = 20_000  # ms: a server round trip on a loaded machine


def merchant(world: dict[str, Any]) -> dict[str, Any]:
    return dict(world["merchants"][0])


def staff_of(world: dict[str, Any], role: str, store_id: int) -> dict[str, Any]:
    return next(
        s for s in merchant(world)["staff"] if s["role"] == role and s["store_id"] in (None, store_id)
    )


def adopted_data_dir(root: Path, server: LiveServer, world: dict[str, Any], index: int = 0) -> Path:
    """A till's data folder holding a ledger enrolled as the demo's device `index`, first pull done."""
    data_dir = root / f"till-{index}"
    data_dir.mkdir()
    device = merchant(world)["devices"][index]
    ledger = open_ledger(data_dir / LEDGER_FILE)
    try:
        adopt_device(ledger, server.url, device["device_id"], device["token"])
    finally:
        ledger.close()
    return data_dir


def enrolment_code(server: LiveServer, world: dict[str, Any], store_id: int) -> str:
    headers = {"Authorization": f"Bearer {merchant(world)['admin_token']}"}
    answer = httpx.post(
        f"{server.url}/v1/office/enrolment-codes", json={"store_id": store_id}, headers=headers, timeout=10
    )
    answer.raise_for_status()
    return str(answer.json()["enrolment_code"])


def fresh_till(qtbot: QtBot, data_dir: Path) -> Till:
    """The whole app on an empty data folder, once it shows the enrolment screen (stop() it after)."""
    app = Till(data_dir, demo=False)
    qtbot.addWidget(app.window)
    app.start()
    qtbot.waitUntil(lambda: app.window.stack.currentWidget() is app.window.enrol_screen)
    return app


def test_a_fresh_till_is_enrolled_from_its_first_screen(
    qtbot: QtBot, tmp_path: Path, live_server_sqlite: Served
) -> None:
    server, world = live_server_sqlite
    code = enrolment_code(server, world, store_id=1)
    app = fresh_till(qtbot, tmp_path / "fresh")
    try:
        screen = app.window.enrol_screen
        qtbot.keyClicks(screen.url_edit, "ftp://nowhere")
        qtbot.mouseClick(screen.enrol_button, Qt.MouseButton.LeftButton)
        assert "starts with https://" in screen.message_label.text()
        screen.url_edit.clear()
        qtbot.keyClicks(screen.url_edit, server.url)
        qtbot.keyClicks(screen.code_edit, "WRONG-CODE")
        qtbot.keyClick(screen.code_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "Enrolment refused" in screen.message_label.text(), timeout=SLOW)

        screen.code_edit.clear()
        qtbot.keyClicks(screen.code_edit, code)
        with qtbot.waitSignal(app.window.lock_screen_shown, timeout=SLOW):
            qtbot.keyClick(screen.code_edit, Qt.Key.Key_Return)

        lock = app.window.lock_screen
        qtbot.waitUntil(lambda: "Sam Staff" in [b.text() for b in lock.staff_buttons.values()], timeout=SLOW)
        assert lock.store_label.text() == "Bean There Dublin"
    finally:
        app.stop()


def test_a_purchase_recorded_offline_is_synced_and_shown_accepted(
    qtbot: QtBot, tmp_path: Path, live_server_sqlite: Served, app_till: Callable[[Path], Till]
) -> None:
    server, world = live_server_sqlite
    data_dir = adopted_data_dir(tmp_path, server, world)
    server.stop()
    app = app_till(data_dir)
    bar = app.window.status_bar
    qtbot.waitUntil(lambda: bar.state_label.text().startswith("● Offline since"), timeout=SLOW)
    cashier = staff_of(world, "staff", 1)
    sign_in(qtbot, app.window, cashier["name"], cashier["pin"])
    screen = app.window.card_screen
    scan(qtbot, app.window, "BT-0001")
    screen.trigger("earn")
    dialog = opened(qtbot, screen, EarnPointsDialog)
    qtbot.keyClicks(dialog.amount_edit, "20")
    qtbot.keyClicks(dialog.reference_edit, f"UI-{uuid.uuid4().hex[:8]}")
    qtbot.keyClick(dialog.reference_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: closed(dialog))
    qtbot.waitUntil(lambda: history_states(app.window) == ["Waiting to sync"])
    assert screen.customer_panel.points_label.text() == "300 points"
    assert screen.customer_panel.pending_label.isVisible()
    qtbot.waitUntil(lambda: bar.pending_label.text().startswith("1 waiting to sync"))

    server.restart()
    qtbot.waitUntil(bar.sync_button.isEnabled, timeout=SLOW)
    qtbot.mouseClick(bar.sync_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: history_states(app.window) == ["Accepted"], timeout=SLOW)
    qtbot.waitUntil(lambda: bar.state_label.text() == "● Online", timeout=SLOW)
    qtbot.waitUntil(lambda: bar.pending_label.text() == "All synced", timeout=SLOW)
    qtbot.waitUntil(lambda: screen.customer_panel.pending_label.isHidden(), timeout=SLOW)
    assert screen.customer_panel.points_label.text() == "300 points"


def test_a_rejection_from_the_server_is_shown_in_the_rejections_view(
    qtbot: QtBot, tmp_path: Path, live_server_sqlite: Served, app_till: Callable[[Path], Till]
) -> None:
    server, world = live_server_sqlite
    here = adopted_data_dir(tmp_path, server, world, 0)
    there = adopted_data_dir(tmp_path, server, world, 1)
    _enrol_elsewhere_first(world, there, "UI-TAKEN-1")  # our till has not pulled since
    server.stop()
    app = app_till(here)
    manager = staff_of(world, "store_manager", 1)
    sign_in(qtbot, app.window, manager["name"], manager["pin"])
    screen = app.window.card_screen
    screen.trigger("enrol")
    dialog = opened(qtbot, screen, EnrolCardDialog)
    qtbot.keyClicks(dialog.number_edit, "UI-TAKEN-1")
    qtbot.keyClicks(dialog.name_edit, "Offline Olga")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.card is not None and screen.card.card_number == "UI-TAKEN-1")

    server.restart()
    qtbot.waitUntil(app.window.status_bar.sync_button.isEnabled, timeout=SLOW)
    qtbot.mouseClick(app.window.status_bar.sync_button, Qt.MouseButton.LeftButton)
    ready_for_keys(qtbot, app.window)
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)

    view = screen.rejections
    qtbot.waitUntil(lambda: view.table.rowCount() >= 1, timeout=SLOW)
    rows = [[view.table.item(r, c).text() for c in range(4)] for r in range(view.table.rowCount())]
    assert ["UI-TAKEN-1", "Card enrolled", "A card with this number already exists."] in [r[1:] for r in rows]


def _enrol_elsewhere_first(world: dict[str, Any], data_dir: Path, number: str) -> None:
    """Another shop's till enrols the same card number and syncs it before we do."""
    ledger = open_ledger(data_dir / LEDGER_FILE)
    try:
        other = staff_of(world, "staff", 2)
        staff = ledger.login(other["id"], other["pin"])
        ledger.enrol_card(staff, number, customer_name="Berlin Bert")
        identity = ledger.identity()
        assert identity is not None
        engine = engine_for(ledger, identity)
        try:
            report = engine.run_once()
        finally:
            engine.close()
        assert report.accepted >= 1
    finally:
        ledger.close()


def _push_elsewhere(server: LiveServer, world: dict[str, Any], number: str, reference: str) -> int:
    """The other store's till sells to the card twice under one order reference (the second is
    refused); returns the points the first gave."""
    device = merchant(world)["devices"][1]
    cashier = staff_of(world, "staff", device["store_id"])
    cents = 2500
    points = cents * merchant(world)["program"]["points_per_currency_unit"] // 100
    sale = {
        "type": TransactionType.POINTS_EARNED,
        "card_number": number,
        "staff_id": cashier["id"],
        "transaction_at": datetime.now(UTC),
        "points_delta": points,
        "purchase_amount_cents": cents,
        "order_reference": reference,
    }
    batch = [Tx(id=uuid.uuid4(), seq=1_000_000 + offset, **sale) for offset in (1, 2)]
    with SyncClient(server.url, device["token"]) as client:
        answer = client.push(batch, str(uuid.uuid4()))
    assert [result.status for result in answer.results] == [TxStatus.ACCEPTED, TxStatus.REJECTED]
    return points


def test_a_cards_history_shows_what_it_did_elsewhere_beside_this_tills_own(
    qtbot: QtBot, tmp_path: Path, live_server_sqlite: Served, app_till: Callable[[Path], Till]
) -> None:
    server, world = live_server_sqlite
    here = adopted_data_dir(tmp_path, server, world, 0)
    points = _push_elsewhere(server, world, "BT-0002", f"UI-{uuid.uuid4().hex[:8]}")
    app = app_till(here)
    cashier = staff_of(world, "staff", 1)
    sign_in(qtbot, app.window, cashier["name"], cashier["pin"])
    screen = app.window.card_screen
    scan(qtbot, app.window, "BT-0002")
    history = screen.history
    elsewhere = ["Points earned", f"+{points} points", "Accepted", "Another store"]
    refused = ["Points earned", f"+{points} points", "Rejected: Points were already given for this order."]
    qtbot.waitUntil(lambda: elsewhere in [row[1:] for row in history.row_texts()], timeout=SLOW)
    assert [*refused, "Another store"] in [row[1:] for row in history.row_texts()]
    assert history.table.rowCount() >= 3  # and the card's seeded past, made at this store

    screen.trigger("stamp")  # recorded here, then synced: shown once, as this till's
    qtbot.waitUntil(lambda: history_states(app.window)[:1] == ["Waiting to sync"], timeout=SLOW)
    qtbot.mouseClick(app.window.status_bar.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: history_states(app.window)[:1] == ["Accepted"], timeout=SLOW)
    stamp = str(history.local[0].id)
    qtbot.waitUntil(lambda: stamp in {tx.id for tx in history.remote}, timeout=SLOW)  # the server has it too
    ids = [str(tx.id) for tx in history.transactions]
    assert len(ids) == len(set(ids))
    assert history.row_texts()[0][1:] == ["Stamp added", "+1 stamp", "Accepted", "This till"]
    # A transaction of another till cannot be voided here: picking one preselects nothing.
    row = next(r for r, texts in enumerate(history.row_texts()) if texts[4] == "Another store")
    rect = history.table.visualItemRect(history.table.item(row, 1))
    qtbot.mouseClick(history.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert history.selected_id() is None


def test_offline_the_history_is_this_tills_own_and_no_error_is_shown(
    qtbot: QtBot, tmp_path: Path, live_server_sqlite: Served, app_till: Callable[[Path], Till]
) -> None:
    server, world = live_server_sqlite
    here = adopted_data_dir(tmp_path, server, world, 0)
    _push_elsewhere(server, world, "BT-0003", f"UI-{uuid.uuid4().hex[:8]}")
    server.stop()
    app = app_till(here)
    cashier = staff_of(world, "staff", 1)
    sign_in(qtbot, app.window, cashier["name"], cashier["pin"])
    screen = app.window.card_screen
    scan(qtbot, app.window, "BT-0003")
    screen.trigger("stamp")
    qtbot.waitUntil(lambda: history_states(app.window) == ["Waiting to sync"], timeout=SLOW)
    with qtbot.waitSignal(app.context.lookup.found, timeout=2000, raising=False) as blocker:
        pass  # the lookups fail (nothing listens): none is answered
    assert not blocker.signal_triggered
    assert [row[4] for row in screen.history.row_texts()] == ["This till"]
    assert screen.banner.kind != "banner_problem"  # the stamp's own note only
