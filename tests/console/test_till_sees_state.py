"""A real till pulls head office's decision on its rejected transaction and shows it to its manager."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.ui.context import TillContext
from desktop.ui.history import RejectionsView
from desktop.ui.ops import LedgerRunner
from desktop.ui.sync_bridge import SyncBridge
from tests.console.helpers import ConsoleWorld
from tests.sync_engine.world import Till, World, enrol_till, new_card


@pytest.fixture
def tills(console: ConsoleWorld, tmp_path: Path) -> Iterator[tuple[World, Till, Till]]:
    world = World(server_url=console.url, document={"merchants": [m.document for m in console.merchants]})
    first, second = enrol_till(world, tmp_path / "a"), enrol_till(world, tmp_path / "b")
    try:
        yield world, first, second
    finally:
        first.ledger.close()
        second.ledger.close()


def test_the_tills_manager_sees_the_compensation_after_the_next_sync(
    qtbot: QtBot, console: ConsoleWorld, tills: tuple[World, Till, Till]
) -> None:
    _, here, there = tills
    number = new_card(here)
    here.sync()
    there.sync()
    # Offline from each other, both tills give the card stamps: the program allows 3 a day.
    for _ in range(2):
        here.ledger.add_stamp(here.staff, number)
        there.ledger.add_stamp(there.staff, number)
    here.sync()
    there.sync()
    rejected = there.ledger.rejections()
    assert [tx.reason.value if tx.reason else None for tx in rejected] == ["daily_stamp_limit"]
    assert rejected[0].office_state == "open"

    admin = console.signed_in(console.merchants[0].admin)
    done = admin.post(
        f"/office/rejections/{rejected[0].id}/compensate", {"stamps": "1", "note": "our mistake"}
    )
    assert done.status_code == 200, done.text
    there.sync()

    seen = there.ledger.rejections()
    assert [(tx.id, tx.office_state, tx.office_note) for tx in seen] == [
        (rejected[0].id, "compensated", "our mistake")
    ]
    assert there.ledger.find_card(number).stamp_count == 4  # type: ignore[union-attr]
    runner = LedgerRunner(there.ledger)
    context = TillContext(runner, SyncBridge())
    view = RejectionsView(context)
    qtbot.addWidget(view)
    try:
        view.reload()
        qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=5000)
        assert view.table.item(0, 4).text() == "Customer compensated: our mistake"
    finally:
        context.lookup.close()
        runner.close()
