"""Offline spending allowances at the till's screens (docs/allowances.md): the card screen says what
a redemption would be, a redemption at risk waits for a manager's PIN (or is refused when the
programme forbids it), and the status bar counts the redemptions waiting to sync; driven from the
keyboard as a cashier does, on a real ledger file."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.config import TillSettings
from desktop.ledger import Ledger, open_ledger
from desktop.ui.i18n import ENGLISH, GERMAN, install
from desktop.ui.redeem_dialogs import RedeemStampsDialog, RewardDialog
from sync.protocol import AllowanceOut, AllowanceResponse, Program
from sync.worker import StateKind, SyncState
from tests.ui.conftest import PIN, TillUnderTest, make_program, ready_for_keys, scan, seed, sign_in
from tests.ui.test_dialog_keys import dialog_opened, focus, press, type_keys
from tests.ui.test_fit import SIZES, check_fits

ALLOWING = make_program(allowance_points=100, allowance_stamps=5)
FORBIDDING = make_program(allowance_points=100, at_risk_redemptions=False)


@pytest.fixture
def program() -> Program:
    return ALLOWING


@pytest.fixture
def ledger(ledger_path: Path, program: Program) -> Iterator[Ledger]:
    """The shared UI world (cards 1001: 3 stamps, 120 points; 1002: 5 stamps, 30 points) under
    `program`, with the till offline: its last sync round failed."""
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    opened = open_ledger(ledger_path)
    seed(opened, program=program)
    opened.record_sync(at=datetime.now(UTC), succeeded=False, message="Cannot reach the server.")
    yield opened
    opened.close()


def grant(ledger: Ledger, card_number: str, *, points: int, stamps: int = 0) -> datetime:
    """The server's answer to the till's allowance request: one allowance on the card for 2 hours."""
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    allowance = AllowanceOut(
        id=str(uuid.uuid4()), card_number=card_number, points=points, stamps=stamps, valid_until=until
    )
    ledger.apply_allowances(AllowanceResponse(allowances=[allowance], server_time=until, stored_seq=0))
    return until


def clock(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{local.hour:02d}:{local.minute:02d}"


def coverage_shown(till: TillUnderTest, words: str) -> bool:
    line = till.window.card_screen.coverage_line
    return line.isVisible() and words in line.text()


def test_the_card_screen_says_how_much_is_covered_offline_and_until_when(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    until = grant(cashier.ledger, "1001", points=100, stamps=5)

    scan(qtbot, cashier.window, "1001")

    qtbot.waitUntil(lambda: coverage_shown(cashier, "Covered offline: up to 100 points and 5 stamps until"))
    assert clock(until) in cashier.window.card_screen.coverage_line.text()


def test_offline_beyond_the_allowance_the_screen_says_not_covered(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    """A cookie (50 points) within the allowance is covered, says so before Enter, and cites it; what
    is left after it covers nothing, and the line says so at once."""
    grant(cashier.ledger, "1001", points=50)
    window, screen = cashier.window, cashier.window.card_screen
    scan(qtbot, window, "1001")
    qtbot.waitUntil(lambda: coverage_shown(cashier, "Covered offline: up to 50 points until"))

    press(Qt.Key.Key_F5)
    dialog = dialog_opened(qtbot, screen, RewardDialog)
    qtbot.waitUntil(lambda: "Covered: within the card's offline allowance" in dialog.coverage_label.text())
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: coverage_shown(cashier, "Not covered: the server may refuse this"))
    assert screen.customer_panel.points_label.text() == "70 points"
    [redeemed] = cashier.ledger.pending_transactions(10)
    assert redeemed.allowance_id is not None
    qtbot.waitUntil(lambda: window.status_bar.redemptions_label.text() == "Redemptions: 1 covered")


def test_online_the_screen_says_the_server_checks_and_follows_each_sync_round(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    scan(qtbot, cashier.window, "1001")
    qtbot.waitUntil(lambda: coverage_shown(cashier, "Not covered: the server may refuse this"))

    cashier.ledger.record_sync(at=datetime.now(UTC), succeeded=True)  # a round succeeds
    cashier.bridge.on_state(SyncState(kind=StateKind.ONLINE, since=datetime.now(UTC)))

    qtbot.waitUntil(lambda: coverage_shown(cashier, "Online: checked by the server"))


@pytest.mark.parametrize("program", [make_program()])
def test_a_programme_without_allowances_shows_no_line(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1001")
    qtbot.waitUntil(lambda: screen.coverage_line.coverage is not None)
    assert not screen.coverage_line.isVisible()


def test_a_reward_at_risk_waits_for_a_managers_pin_and_a_wrong_one_records_nothing(
    qtbot: QtBot, cashier: TillUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="desktop.ledger")
    window, screen = cashier.window, cashier.window.card_screen
    scan(qtbot, window, "1001")  # no allowance on it, and the till is offline
    press(Qt.Key.Key_F5)
    dialog = dialog_opened(qtbot, screen, RewardDialog)
    qtbot.waitUntil(lambda: dialog.coverage_label.text().startswith("Not covered: the till is offline"))
    assert dialog.coverage_label.isVisible()

    press(Qt.Key.Key_Return)  # the cookie

    qtbot.waitUntil(lambda: dialog.approval.asked and dialog.approval.approver_combo.count() > 0)
    assert focus() is dialog.approval.pin_edit
    assert dialog.approval.approver_combo.currentText() == "Mia Manager"
    assert cashier.ledger.card_history("1001") == []

    type_keys("0000")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "2 attempts left" in dialog.problem_label.text())
    assert focus() is dialog.approval.pin_edit
    assert cashier.ledger.card_history("1001") == []

    type_keys(PIN)
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.customer_panel.points_label.text() == "70 points")
    [redeemed] = cashier.ledger.pending_transactions(10)
    assert redeemed.allowance_id is None  # at risk: no allowance cited
    assert "a redemption not covered offline approved by staff 2" in caplog.messages
    qtbot.waitUntil(lambda: window.status_bar.redemptions_label.text() == "Redemptions: 1 at risk")


def test_a_full_stamp_card_at_risk_asks_the_manager_after_f4(qtbot: QtBot, cashier: TillUnderTest) -> None:
    screen = cashier.window.card_screen
    scan(qtbot, cashier.window, "1002")  # 5 of 5 stamps

    press(Qt.Key.Key_F4)

    dialog = dialog_opened(qtbot, screen, RedeemStampsDialog)
    qtbot.waitUntil(lambda: dialog.approval.approver_combo.count() > 0)  # the managers, read as it opens
    assert focus() is dialog.approval.pin_edit
    assert dialog.coverage_label.text().startswith("Not covered: the till is offline")
    assert cashier.ledger.card_history("1002") == []
    type_keys(PIN)
    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: screen.customer_panel.stamp_card.stamps == 0)
    assert "Stamps redeemed" in screen.banner.text()
    ready_for_keys(qtbot, cashier.window)


@pytest.mark.parametrize("program", [FORBIDDING])
def test_a_programme_that_forbids_at_risk_redemptions_refuses_them_in_plain_words(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    window, screen = cashier.window, cashier.window.card_screen
    scan(qtbot, window, "1001")
    qtbot.waitUntil(lambda: coverage_shown(cashier, "Not covered offline: redeem when the till is online"))
    press(Qt.Key.Key_F5)
    dialog = dialog_opened(qtbot, screen, RewardDialog)
    qtbot.waitUntil(lambda: "allows only redemptions within" in dialog.coverage_label.text())

    press(Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: dialog.problem_label.isVisible())
    assert dialog.problem_label.text().startswith("Not covered offline: The till is offline")
    assert not dialog.coverage_label.isVisible(), "said once"
    assert "redeem when the till is online again" in dialog.problem_label.text()
    assert not dialog.approval.asked
    assert cashier.ledger.card_history("1001") == []
    press(Qt.Key.Key_Escape)
    ready_for_keys(qtbot, window)

    scan(qtbot, window, "1002")
    press(Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: screen.banner.kind == "banner_problem")
    assert "Not covered offline" in screen.banner.text()
    assert cashier.ledger.card_history("1002") == []


def test_the_status_bar_counts_covered_and_at_risk_redemptions_waiting_to_sync(
    qtbot: QtBot, cashier: TillUnderTest
) -> None:
    bar = cashier.window.status_bar
    bar.reload()
    qtbot.waitUntil(lambda: bar.status is not None and bar.status.pending_count == 0)
    assert not bar.redemptions_label.isVisible()
    staff = cashier.context.staff
    assert staff is not None
    manager = next(member for member in cashier.ledger.staff_members() if member.name == "Mia Manager")
    grant(cashier.ledger, "1001", points=100)
    cashier.ledger.redeem_reward(staff, "1001", "cookie")  # covered
    cashier.ledger.redeem_stamps(staff, "1002", approved_by=manager)  # at risk

    bar.reload()

    qtbot.waitUntil(lambda: bar.redemptions_label.text() == "Redemptions: 1 covered · 1 at risk")
    assert bar.redemptions_label.isVisible()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_a_reward_at_risk_with_the_managers_rows_fits_every_screen(
    qtbot: QtBot, cashier: TillUnderTest, size: tuple[int, int]
) -> None:
    window = cashier.window
    window.resize(*size)
    scan(qtbot, window, "1001")
    press(Qt.Key.Key_F5)
    dialog = dialog_opened(qtbot, window.card_screen, RewardDialog)
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.approval.asked)
    qtbot.wait(50)

    assert dialog.width() <= size[0] and dialog.height() <= size[1] - 40, dialog.size()
    words = dialog.coverage_label
    assert words.height() >= words.heightForWidth(words.width()), "every wrapped line in sight"
    check_fits(dialog)


@pytest.fixture
def english_after() -> Iterator[None]:
    yield
    app = QApplication.instance()
    assert app is not None
    install(app, ENGLISH)


def test_a_german_till_says_what_is_covered_in_german(
    qtbot: QtBot, open_till: Callable[..., TillUnderTest], english_after: None
) -> None:
    till = open_till(TillSettings(sync_interval_seconds=3600.0, language=GERMAN))
    sign_in(qtbot, till.window, "Sam Staff")
    grant(till.ledger, "1001", points=100)
    scan(qtbot, till.window, "1001")
    qtbot.waitUntil(lambda: coverage_shown(till, "Offline abgedeckt: bis zu 100 Punkte, gültig bis"))

    press(Qt.Key.Key_F5)
    dialog = dialog_opened(qtbot, till.window.card_screen, RewardDialog)
    qtbot.waitUntil(lambda: dialog.coverage_label.text().startswith("Abgedeckt: im Offline-Kontingent"))
    press(Qt.Key.Key_Return)

    bar = till.window.status_bar
    qtbot.waitUntil(lambda: bar.redemptions_label.text() == "Einlösungen: 1 abgedeckt")
