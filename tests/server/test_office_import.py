"""POST /v1/office/import: a till's exported file, applied exactly as that till's push would be."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select

from server_stub.models import LedgerTransaction
from tests.server.factories import Till, World
from tests.server.office_helpers import another_merchant, assert_problem, office, ok_json


def exported(world: World, till: Till) -> tuple[str, list[dict[str, Any]]]:
    """A card and three transactions made at `till` while it was offline."""
    card = world.new_card(points=50)
    staff = world.staff["staff0"] if till is world.tills[0] else world.staff["staff1"]
    return card, [
        till.tx("stamp_earned", card, staff, stamps_delta=1),
        till.tx("points_earned", card, staff, points_delta=30, purchase_amount_cents=300),
        till.tx("points_redeemed", card, staff, points_delta=-100, reward_id="coffee"),
    ]


def import_file(world: World, device_id: str, txs: list[dict[str, Any]], **headers: str) -> Any:
    response = office(world).post(
        "/v1/office/import", json={"device_id": device_id, "transactions": txs}, headers=headers
    )
    return response


def stored(world: World, ids: list[str]) -> list[tuple[str, str | None, int | None, str]]:
    with world.database.session() as session:
        rows = session.execute(
            select(
                LedgerTransaction.id,
                LedgerTransaction.device_id,
                LedgerTransaction.seq,
                LedgerTransaction.status,
            )
            .where(LedgerTransaction.id.in_(ids))
            .order_by(LedgerTransaction.seq)
        ).all()
    return [tuple(row) for row in rows]


def test_an_import_is_answered_as_a_push_and_the_tills_later_sync_changes_nothing(world: World) -> None:
    till = world.tills[0]
    card, txs = exported(world, till)
    answer = ok_json(import_file(world, till.device_id, txs))
    assert [(r["status"], r["reason"], r["replayed"]) for r in answer["results"]] == [
        ("accepted", None, False),
        ("accepted", None, False),
        ("rejected", "insufficient_points", False),
    ]
    assert answer["results"][-1]["card"] == {
        "card_number": card,
        "stamp_count": 1,
        "points_balance": 80,
        "is_active": True,
    }
    assert "server_time" in answer
    later = till.push_ok(txs)
    assert [(r["status"], r["reason"], r["replayed"]) for r in later] == [
        ("accepted", None, True),
        ("accepted", None, True),
        ("rejected", "insufficient_points", True),
    ]
    assert till.card(card)["card"]["points_balance"] == 80
    ids = [tx["id"] for tx in txs]
    assert stored(world, ids) == [
        (tx["id"], till.device_id, tx["seq"], s)
        for tx, s in zip(txs, ["accepted", "accepted", "rejected"], strict=True)
    ]


def test_importing_the_same_file_twice_replays_every_item(world: World) -> None:
    till = world.tills[1]
    _, txs = exported(world, till)
    ok_json(import_file(world, till.device_id, txs))
    again = ok_json(import_file(world, till.device_id, txs))
    assert all(result["replayed"] for result in again["results"])
    with world.database.session() as session:
        count = session.execute(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.id.in_([tx["id"] for tx in txs]))
        ).scalar_one()
    assert count == 3


def test_an_import_with_an_idempotency_key_is_replayed_to_the_tills_push_with_that_key(world: World) -> None:
    till = world.tills[0]
    _, txs = exported(world, till)
    key = str(uuid.uuid4())
    first = import_file(world, till.device_id, txs, **{"Idempotency-Key": key})
    assert first.status_code == 200, first.text
    push = till.push(txs, key=key)
    assert push.status_code == 200, push.text
    assert push.headers.get("idempotent-replayed") == "true"
    assert push.json() == first.json()
    replay = import_file(world, till.device_id, txs, **{"Idempotency-Key": key})
    assert replay.headers.get("idempotent-replayed") == "true"
    changed = [dict(txs[0], seq=99, id=str(uuid.uuid4()))]
    assert_problem(
        import_file(world, till.device_id, changed, **{"Idempotency-Key": key}), 422, "idempotency_key_reused"
    )


def test_an_import_for_another_merchants_or_an_unknown_device_is_404_and_stores_nothing(world: World) -> None:
    with another_merchant(world) as other:
        _, txs = exported(other, other.tills[0])
        assert_problem(import_file(world, other.tills[0].device_id, txs), 404, "not_found")
        assert_problem(import_file(world, str(uuid.uuid4()), txs), 404, "not_found")
        assert stored(world, [tx["id"] for tx in txs]) == []


def test_a_revoked_tills_file_is_still_imported(world: World) -> None:
    till = world.tills[0]
    card, txs = exported(world, till)
    assert office(world).post(f"/v1/office/devices/{till.device_id}/revoke").status_code == 204
    answer = ok_json(import_file(world, till.device_id, txs))
    assert [r["status"] for r in answer["results"]] == ["accepted", "accepted", "rejected"]
    assert_problem(till.push(txs), 401, "device_revoked")


def test_an_import_moves_the_tills_last_seq_but_not_its_last_seen_time(world: World) -> None:
    west = world.tills[1]
    _, txs = exported(world, west)
    ok_json(import_file(world, west.device_id, txs))
    devices = ok_json(office(world).get("/v1/office/devices", params={"store_id": world.store_ids[1]}))[
        "items"
    ]
    assert [(d["last_seq"], d["last_seen_at"]) for d in devices] == [(txs[-1]["seq"], None)]


def test_an_import_is_audited_with_its_counts(world: World) -> None:
    till = world.tills[0]
    _, txs = exported(world, till)
    ok_json(import_file(world, till.device_id, txs))
    [entry] = [e for e in ok_json(office(world).get("/v1/office/audit"))["items"] if e["action"] == "import"]
    assert (entry["actor"], entry["target"], entry["old"]) == (
        "head office",
        f"device:{till.device_id}",
        None,
    )
    assert entry["new"] == {
        "transactions": 3,
        "accepted": 2,
        "rejected": 1,
        "replayed": 0,
        "idempotency_key": None,
    }


def test_invalid_import_files_are_rejected_whole_and_change_nothing(world: World) -> None:
    till = world.tills[0]
    client = office(world)
    _, txs = exported(world, till)
    device = till.device_id
    bad_bodies: list[Any] = [
        {"device_id": device, "transactions": []},
        {"device_id": device},
        {"transactions": txs},
        {"device_id": device, "transactions": [txs[1], txs[0]]},  # seq not increasing
        {"device_id": device, "transactions": [dict(txs[0], points_delta="1")]},
        {"device_id": device, "transactions": [dict(txs[0], transaction_at="2024-01-01T10:00:00")]},
        {"device_id": device, "transactions": [dict(txs[0], program_version=999)]},
    ]
    for body in bad_bodies:
        assert_problem(client.post("/v1/office/import", json=body), 422, "invalid_request")
    assert_problem(
        client.post("/v1/office/import", content=b"{not json", headers={"content-type": "application/json"}),
        422,
        "invalid_request",
    )
    many = [dict(txs[0], id=str(uuid.uuid4()), seq=n) for n in range(1, 1002)]
    assert_problem(
        client.post("/v1/office/import", json={"device_id": device, "transactions": many}),
        413,
        "payload_too_large",
    )
    huge = json.dumps({"device_id": device, "transactions": txs, "pad": "x" * (1024 * 1024)})
    assert_problem(
        client.post("/v1/office/import", content=huge, headers={"content-type": "application/json"}),
        413,
        "payload_too_large",
    )
    bad_key = import_file(world, device, txs, **{"Idempotency-Key": "k" * 256})
    assert_problem(bad_key, 400, "idempotency_key_invalid")
    assert stored(world, [tx["id"] for tx in txs]) == []
