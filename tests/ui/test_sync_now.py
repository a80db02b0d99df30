"""'Sync now' while the server cannot be reached: the till says so at once, and when it tries again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.ui.format import local_time
from sync.enrolment import engine_for
from sync.worker import Backoff, StateKind, SyncWorker
from tests.ui.conftest import IDENTITY, TillUnderTest


@pytest.fixture
def offline_worker(cashier: TillUnderTest) -> Iterator[SyncWorker]:
    """The real sync worker on the till's ledger; its server (127.0.0.1:1) refuses every connection."""
    worker = SyncWorker(
        lambda: engine_for(cashier.ledger, IDENTITY, timeout=2.0),
        interval=3600.0,
        backoff=Backoff(base=600.0, cap=600.0),
        on_state=cashier.bridge.on_state,
    )
    cashier.bridge.attach(worker)
    worker.start()
    yield worker
    worker.stop()
    cashier.bridge.attach(None)


def test_offline_the_status_bar_says_when_the_till_tries_again(
    qtbot: QtBot, cashier: TillUnderTest, offline_worker: SyncWorker
) -> None:
    bar = cashier.window.status_bar
    qtbot.waitUntil(lambda: getattr(cashier.bridge.state, "kind", None) == StateKind.OFFLINE)
    retry_at = cashier.bridge.state.retry_at
    assert retry_at is not None and retry_at > cashier.bridge.state.since

    qtbot.waitUntil(lambda: f"will retry at {local_time(retry_at)}" in bar.state_label.text())


def test_sync_now_while_offline_answers_at_once_then_says_when_it_retries(
    qtbot: QtBot, cashier: TillUnderTest, offline_worker: SyncWorker
) -> None:
    bar = cashier.window.status_bar
    qtbot.waitUntil(lambda: "will retry at" in bar.state_label.text() and bar.sync_button.isEnabled())
    rounds = offline_worker.rounds

    qtbot.mouseClick(bar.sync_button, Qt.MouseButton.LeftButton)

    assert bar.state_label.text() == "⟳ Offline: trying the server now…"  # before any answer
    qtbot.waitUntil(lambda: offline_worker.rounds == rounds + 1)
    qtbot.waitUntil(lambda: bar.state_label.text().startswith("● Offline since"))
    state = cashier.bridge.state
    assert state.retry_at is not None
    assert f"will retry at {local_time(state.retry_at)}" in bar.state_label.text()
