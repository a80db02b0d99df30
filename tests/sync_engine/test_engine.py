"""One sync round against the real server over HTTP: push, pull, convergence, refusals."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import httpx
import pytest

from sync.engine import SyncEngine
from sync.errors import AuthFailed
from sync.transport import SyncClient
from tests.sync_engine.fault_proxy import Fault, FaultProxy
from tests.sync_engine.world import (
    Till,
    World,
    assert_exactly_once_and_converged,
    enrol_till,
    new_card,
    server_card,
)


def test_a_round_pushes_pending_transactions_in_order_and_confirms_them(till: Till, world: World) -> None:
    card = new_card(till)
    for _ in range(5):
        till.earn(card)
    report = till.sync()
    assert report.pushed >= 6  # card_created, the welcome bonus, five purchases
    assert report.accepted == report.pushed and report.rejected == 0
    assert till.ledger.pending_summary().count == 0
    assert_exactly_once_and_converged(world, till, [card])


def test_a_second_round_with_nothing_pending_pushes_nothing(till: Till) -> None:
    card = new_card(till)
    till.earn(card)
    till.sync()
    again = till.sync()
    assert (again.pushed, again.batches) == (0, 0)


def test_a_backlog_leaves_in_growing_batches_in_seq_order(
    till: Till, world: World, proxy: FaultProxy
) -> None:
    card = new_card(till)
    for _ in range(60):
        till.earn(card)
    report = till.sync(url=proxy.url, batch=10)
    assert report.pushed == len(till.ledger.card_history(card, limit=200))
    assert report.batches < report.pushed / 10  # 10, 20, 40 ...
    assert_exactly_once_and_converged(world, till, [card])


def test_a_card_changed_at_another_till_arrives_with_the_pull(world: World, tmp_path: Path) -> None:
    first = enrol_till(world, tmp_path, store_index=0)
    second = enrol_till(world, tmp_path, store_index=1)
    card = new_card(first)
    first.earn(card, cents=5000)
    first.sync()
    report = second.sync()
    assert report.pulled_cards >= 1
    view = second.ledger.find_card(card)
    assert view is not None
    assert view.points_balance == server_card(world, first, card).points_balance


def test_a_program_change_reaches_the_till_with_the_next_pull(till: Till, world: World) -> None:
    with world.admin() as admin:
        program = admin.get("/v1/office/program").json()
        changed = {k: v for k, v in program.items() if k != "version"} | {"minimum_purchase_cents": 150}
        admin.put("/v1/office/program", json=changed).raise_for_status()
    report = till.sync()
    assert report.program_updated
    new_program = till.ledger.program()
    assert new_program is not None and new_program.minimum_purchase_cents == 150


def test_a_till_view_that_differs_from_the_server_is_logged_and_repaired(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = enrol_till(world, tmp_path, store_index=1)
    till = enrol_till(world, tmp_path, store_index=0)
    card = new_card(elsewhere)
    elsewhere.sync()
    till.sync()
    # A storage-level fault: the next time the till writes this card's view, it adds 7 points.
    with sqlite3.connect(till.path) as conn:
        conn.executescript(
            f"""
            CREATE TABLE corrupt_once (armed INTEGER);
            INSERT INTO corrupt_once VALUES (1);
            CREATE TRIGGER corrupt_view AFTER UPDATE OF points_balance ON cards
            WHEN NEW.card_number = '{card}' AND (SELECT armed FROM corrupt_once) = 1
            BEGIN
                UPDATE corrupt_once SET armed = 0;
                UPDATE cards SET points_balance = NEW.points_balance + 7
                WHERE card_number = NEW.card_number;
            END;
            """
        )
    elsewhere.earn(card, cents=2000)
    elsewhere.sync()
    with caplog.at_level(logging.WARNING, logger="sync.engine"):
        report = till.sync()
    server = server_card(world, till, card)
    assert [m.card_number for m in report.mismatches] == [card]
    mismatch = report.mismatches[0]
    assert mismatch.local.points_balance == server.points_balance + 7
    assert mismatch.server.points_balance == server.points_balance
    logged = [r.getMessage() for r in caplog.records if r.name == "sync.engine"]
    assert any(card in m and str(server.points_balance + 7) in m for m in logged)
    view = till.ledger.find_card(card)
    assert view is not None and view.points_balance == server.points_balance


def test_a_cursor_the_server_does_not_know_means_pulling_everything_again(till: Till) -> None:
    card = new_card(till)
    till.sync()
    with sqlite3.connect(till.path) as conn:
        conn.execute("UPDATE device_state SET pull_cursor = 'not-a-cursor'")
    report = till.sync()
    assert report.pulled_cards >= 6  # every card of the merchant, this one included
    assert till.ledger.pull_cursor() not in (None, "not-a-cursor")
    assert till.ledger.find_card(card) is not None


def test_a_revoked_till_is_told_why_and_its_transactions_stay_pending(till: Till, world: World) -> None:
    card = new_card(till)
    identity = till.ledger.identity()
    assert identity is not None
    with world.admin() as admin:
        admin.post(f"/v1/office/devices/{identity.device_id}/revoke").raise_for_status()
    with pytest.raises(AuthFailed) as raised:
        till.sync()
    assert raised.value.code == "device_revoked"
    assert "revoked" in raised.value.message
    assert till.ledger.pending_summary().count >= 1
    assert till.ledger.find_card(card) is not None
    assert till.ledger.sync_status().last_sync_error


def test_the_token_never_appears_in_the_logs(till: Till, caplog: pytest.LogCaptureFixture) -> None:
    identity = till.ledger.identity()
    assert identity is not None
    new_card(till)
    with caplog.at_level(logging.DEBUG):
        till.sync()
        with pytest.raises(httpx.HTTPError):
            httpx.get("http://127.0.0.1:1/", timeout=0.5)
    assert identity.token not in caplog.text
    assert identity.token not in repr(identity)


def test_a_503_with_retry_after_means_offline_for_that_long(till: Till, proxy: FaultProxy) -> None:
    from sync.errors import Offline

    new_card(till)
    proxy.add(Fault.UNAVAILABLE, path="/v1/sync/push", retry_after=7)
    with pytest.raises(Offline) as raised:
        till.sync(url=proxy.url)
    assert raised.value.retry_after == 7.0
    assert till.ledger.pending_summary().count >= 1
    till.sync(url=proxy.url)
    assert till.ledger.pending_summary().count == 0


def test_an_enrolment_records_its_first_pull_as_a_sync(world: World, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from desktop.ledger import open_ledger
    from sync.enrolment import enrol

    ledger = open_ledger(tmp_path / "ledger.db")
    try:
        before = datetime.now(UTC)
        enrol(ledger, world.server_url, world.enrolment_code(world.store_id(0)), "Till 6")
        status = ledger.sync_status()
        assert status.last_sync_at is not None and status.last_sync_at >= before
        assert status.last_sync_error is None and status.cursor is not None
    finally:
        ledger.close()


def test_an_enrolment_whose_first_pull_fails_stands_and_the_next_sync_pulls(
    world: World, tmp_path: Path, proxy: FaultProxy
) -> None:
    from desktop.ledger import open_ledger
    from sync.enrolment import enrol

    proxy.add(Fault.RESET_BEFORE, path="/v1/sync/pull", times=None)
    ledger = open_ledger(tmp_path / "ledger.db")
    try:
        identity = enrol(ledger, proxy.url, world.enrolment_code(world.store_id(0)), "Till 5")
        assert ledger.identity() == identity
        assert ledger.pull_cursor() is None and ledger.program() is None
        assert ledger.sync_status().last_sync_at is None
        proxy.clear()
        with SyncClient(proxy.url, identity.token) as client:
            report = SyncEngine(ledger, client).run_once()
        assert report.program_updated and report.staff_updated
        assert ledger.program() is not None
    finally:
        ledger.close()


def test_the_transport_reads_the_servers_date_header_on_every_answer(till: Till, world: World) -> None:
    import time
    from datetime import UTC, datetime

    identity = till.ledger.identity()
    assert identity is not None
    with SyncClient(world.server_url, identity.token) as client:
        assert client.server_clock is None
        client.pull(None, 1)
        reading = client.server_clock
        assert reading is not None
        assert abs((reading.server_time - datetime.now(UTC)).total_seconds()) < 5
        assert reading.monotonic_at <= time.monotonic()
        assert client.card("NO-SUCH-CARD") is None  # a 404 has a Date too
        assert client.server_clock is not None and client.server_clock.monotonic_at >= reading.monotonic_at
