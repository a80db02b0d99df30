"""PROTOCOL.md's revised rows: impossible till clocks, deactivated cards' expiry, long cursors, cut bodies."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from server_stub.models import LedgerTransaction
from server_stub.service.expiry import expire_points
from tests.server.conftest import Backend
from tests.server.factories import World
from tests.server.ledger_checks import balances_match_ledger

IMPOSSIBLE_TIMES = [
    "9999-12-31T23:30:00+00:00",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "0002-01-01T00:00:00+23:59",  # the judge's first year taken without a clamp, at its earliest
    "9998-12-31T23:59:59-23:59",  # and its last, at its latest
    "2099-06-01T12:00:00+00:00",
    "1999-12-31T23:59:59Z",
]


@pytest.mark.parametrize("moment", IMPOSSIBLE_TIMES)
def test_a_transaction_time_a_clock_cannot_have_is_rejected_per_item_and_stored(
    world: World, moment: str
) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    good = till.tx("stamp_earned", card, staff, stamps_delta=1)
    bad = till.tx(
        "points_earned", card, staff, points_delta=10, purchase_amount_cents=100, transaction_at=moment
    )
    results = till.push_ok([good, bad])
    assert [(r["status"], r["reason"]) for r in results] == [
        ("accepted", None),
        ("rejected", "invalid_transaction_at"),
    ]
    assert results[1]["card"]["points_balance"] == 0
    with world.database.session() as session:
        stored = session.execute(
            select(LedgerTransaction.status, LedgerTransaction.reason).where(
                LedgerTransaction.id == bad["id"]
            )
        ).one()
    assert tuple(stored) == ("rejected", "invalid_transaction_at")
    again = till.push_ok([bad])  # the batch is stored, so it can be sent again: a replay
    assert again[0]["replayed"] is True and again[0]["reason"] == "invalid_transaction_at"
    assert balances_match_ledger(world.database, world.merchant_id)


def test_a_time_up_to_a_day_ahead_of_the_servers_clock_is_accepted(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    soon = (datetime.now(UTC) + timedelta(hours=23, minutes=55)).isoformat()
    late = (datetime.now(UTC) + timedelta(hours=24, minutes=5)).isoformat()
    results = till.push_ok(
        [
            till.tx(
                "points_earned", card, staff, points_delta=10, purchase_amount_cents=100, transaction_at=soon
            ),
            till.tx(
                "points_earned", card, staff, points_delta=10, purchase_amount_cents=100, transaction_at=late
            ),
            till.tx(
                "points_earned",
                card,
                staff,
                points_delta=10,
                purchase_amount_cents=100,
                transaction_at="2000-01-01T00:00:00Z",
            ),
        ]
    )
    assert [r["reason"] for r in results] == [None, "invalid_transaction_at", None]


def test_the_time_is_judged_after_idempotency_and_before_the_card(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    first = till.tx("stamp_earned", card, staff, stamps_delta=1)
    till.push_ok([first])
    reused = till.tx("stamp_earned", card, staff, stamps_delta=1, transaction_at="2099-01-01T00:00:00Z")
    reused["seq"] = first["seq"]
    unknown = till.tx(
        "stamp_earned", "NO-SUCH-CARD", staff, stamps_delta=1, transaction_at="2099-01-01T00:00:00Z"
    )
    results = till.push_ok([reused, unknown])
    assert [r["reason"] for r in results] == ["sequence_reused", "invalid_transaction_at"]


def test_a_deactivated_cards_points_expire_too(world: World, backend: Backend) -> None:
    till = world.tills[0]
    card = world.new_card(points=120)
    till.push_ok([till.tx("card_deactivated", card, world.staff["manager0"])])
    later = datetime.now(UTC) + timedelta(days=31)  # the world's program expires points after 30 days
    assert expire_points(world.database, now=later) >= 1
    state = till.card(card)["card"]
    assert (state["points_balance"], state["is_active"]) == (0, False)
    assert expire_points(world.database, now=later) == 0  # nothing more: no rejected row either
    with world.database.session() as session:
        rows = session.execute(
            select(LedgerTransaction.status).where(
                LedgerTransaction.card_number == card, LedgerTransaction.type == "points_expired"
            )
        ).all()
    assert [row.status for row in rows] == ["accepted"]
    assert balances_match_ledger(world.database, world.merchant_id)


@pytest.mark.parametrize("path", ["/v1/sync/pull", "/v1/office/rejections", "/v1/office/audit"])
def test_a_cursor_longer_than_any_the_server_issues_is_400_invalid_cursor(world: World, path: str) -> None:
    client = world.tills[0].client if path.startswith("/v1/sync") else world.client(world.admin_token)
    for cursor in ("x" * 4097, "a" * 5000 + "." + "0" * 64):
        response = client.get(path, params={"cursor": cursor})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


def test_a_client_gone_mid_body_is_one_info_line_and_changes_nothing(world: World, backend: Backend) -> None:
    url = urlparse(world.url)
    log = backend.server.log_path
    start = log.stat().st_size
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + world.tills[0].token.encode() + b"\r\n"
            b"Idempotency-Key: cut\r\nContent-Length: 5000\r\n\r\n" + b'{"transactions": ['
        )
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline and "disconnected" not in text:
        time.sleep(0.05)  # the server logs when it notices; a log file has no signal to wait on
        text = log.read_bytes()[start:].decode()
    assert "INFO server_stub.routes.body: client disconnected mid-body: POST /v1/sync/push" in text
    assert "Traceback" not in text and "ERROR" not in text
