"""Head-office reads over a real server: summary, rejections, devices and the ledger CSV."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from server_stub.service.judging import Submitter
from server_stub.service.push import apply_server_batch
from sync.protocol import TransactionType, Tx
from tests.server.factories import World
from tests.server.office_helpers import (
    all_pages,
    another_merchant,
    assert_problem,
    at,
    csv_rows,
    office,
    ok_json,
)

CSV_HEADER = (
    "id,seq,device_id,store_id,card_number,type,stamps_delta,points_delta,purchase_amount_cents,"
    "order_reference,reward_id,related_transaction_id,staff_id,transaction_at,received_at"
)


def push_march_day(world: World) -> str:
    """Stamps and points on 2024-03-02 (UTC) at both stores, plus a rejection that day."""
    north, west = world.tills
    card = world.new_card()
    staff0, staff1 = world.staff["staff0"], world.staff["staff1"]
    results = north.push_ok(
        [
            # 23:30 at UTC-2 on 1 March is 01:30 UTC on 2 March: counted on 2 March.
            north.tx(
                "stamp_earned", card, staff0, stamps_delta=1, transaction_at="2024-03-01T23:30:00-02:00"
            ),
            north.tx(
                "stamp_earned", card, staff0, stamps_delta=1, transaction_at=at("2024-03-02", "10:00:00")
            ),
            north.tx(
                "points_earned",
                card,
                staff0,
                points_delta=50,
                purchase_amount_cents=500,
                transaction_at=at("2024-03-02", "11:00:00"),
            ),
            north.tx(
                "points_redeemed",
                card,
                staff0,
                points_delta=-100,
                reward_id="coffee",
                transaction_at=at("2024-03-02", "12:00:00"),
            ),
        ]
    )
    assert [r["status"] for r in results] == ["accepted", "accepted", "accepted", "rejected"]
    second = world.new_card()  # at most two stamps a day per card
    [result] = west.push_ok(
        [west.tx("stamp_earned", second, staff1, stamps_delta=1, transaction_at=at("2024-03-02", "18:00:00"))]
    )
    assert result["status"] == "accepted"
    return card


def test_summary_groups_accepted_transactions_by_store_utc_date_and_type(world: World) -> None:
    push_march_day(world)
    north, west = world.store_ids
    rows = ok_json(office(world).get("/v1/office/summary", params={"from": "2024-03-01", "to": "2024-03-03"}))
    assert rows["rows"] == [
        {
            "store_id": north,
            "date": "2024-03-02",
            "type": "points_earned",
            "count": 1,
            "stamps_delta": 0,
            "points_delta": 50,
        },
        {
            "store_id": north,
            "date": "2024-03-02",
            "type": "stamp_earned",
            "count": 2,
            "stamps_delta": 2,
            "points_delta": 0,
        },
        {
            "store_id": west,
            "date": "2024-03-02",
            "type": "stamp_earned",
            "count": 1,
            "stamps_delta": 1,
            "points_delta": 0,
        },
    ]


def test_summary_filters_by_store_and_by_times_from_inclusive_to_exclusive(world: World) -> None:
    push_march_day(world)
    north, west = world.store_ids
    client = office(world)
    only_west = ok_json(
        client.get("/v1/office/summary", params={"store_id": west, "from": "2024-03-02", "to": "2024-03-03"})
    )
    assert [(r["store_id"], r["count"]) for r in only_west["rows"]] == [(west, 1)]
    window = {"from": "2024-03-02T10:00:00Z", "to": "2024-03-02T11:00:00+00:00", "store_id": north}
    rows = ok_json(client.get("/v1/office/summary", params=window))["rows"]
    assert [(r["type"], r["count"]) for r in rows] == [("stamp_earned", 1)]
    offset = {"from": "2024-03-02T12:00:00+01:00", "to": "2024-03-02T12:00:00+01:00"}
    assert ok_json(client.get("/v1/office/summary", params=offset))["rows"] == []


def test_summary_without_bounds_covers_everything_accepted(world: World) -> None:
    push_march_day(world)
    rows = ok_json(office(world).get("/v1/office/summary"))["rows"]
    assert sum(r["count"] for r in rows) == 6  # four March items and today's two card_created
    assert {r["type"] for r in rows} == {"card_created", "points_earned", "stamp_earned"}


def test_bad_time_bounds_are_422_invalid_request(world: World) -> None:
    client = office(world)
    for params in (
        {"from": "2024-03-02T10:00:00"},
        {"to": "yesterday"},
        {"from": "2024-02-30"},
        {"to": "2024-3-2"},
    ):
        for path in ("/v1/office/summary", "/v1/office/rejections", "/v1/office/ledger.csv"):
            body = assert_problem(client.get(path, params=params), 422, "invalid_request")
            assert body["errors"][0]["loc"] in ("/query/from", "/query/to")


def test_another_merchants_store_as_a_filter_is_404_not_found(world: World) -> None:
    with another_merchant(world) as other:
        client = office(world)
        theirs = other.store_ids[0]
        assert_problem(client.get("/v1/office/summary", params={"store_id": theirs}), 404, "not_found")
        assert_problem(client.get("/v1/office/rejections", params={"store_id": theirs}), 404, "not_found")
        assert_problem(client.get("/v1/office/devices", params={"store_id": theirs}), 404, "not_found")
        assert_problem(client.get("/v1/office/summary", params={"store_id": 2_000_000_000}), 404, "not_found")


def rejected_batches(world: World, count: int) -> list[str]:
    """`count` pushes, each with one rejected item (an unknown card); their ids in push order."""
    till = world.tills[0]
    ids = []
    for index in range(count):
        tx = till.tx("stamp_earned", f"NOPE-{index}", world.staff["staff0"], stamps_delta=1)
        assert till.push_ok([tx])[0]["reason"] == "unknown_card"
        ids.append(tx["id"])
    return ids


def test_rejections_list_newest_received_first_with_every_field(world: World) -> None:
    ids = rejected_batches(world, 3)
    items = ok_json(office(world).get("/v1/office/rejections"))["items"]
    assert [item["id"] for item in items] == ids[::-1]
    first = items[0]
    assert set(first) == {
        "id",
        "device_id",
        "store_id",
        "card_number",
        "type",
        "reason",
        "transaction_at",
        "received_at",
    }
    assert (first["device_id"], first["store_id"], first["card_number"]) == (
        world.tills[0].device_id,
        world.store_ids[0],
        "NOPE-2",
    )
    assert (first["type"], first["reason"]) == ("stamp_earned", "unknown_card")
    assert items[0]["received_at"] >= items[1]["received_at"] >= items[2]["received_at"]


def test_rejections_page_with_limit_and_cursor_without_gaps_or_repeats(world: World) -> None:
    ids = rejected_batches(world, 5)
    till = world.tills[0]
    same_batch = [
        till.tx("stamp_earned", f"GONE-{n}", world.staff["staff0"], stamps_delta=1) for n in range(3)
    ]
    till.push_ok(same_batch)  # three rejections received at the same instant
    pages = all_pages(office(world), "/v1/office/rejections", limit=2)
    assert [len(page) for page in pages] == [2, 2, 2, 2]
    seen = [item["id"] for page in pages for item in page]
    assert seen == sorted((tx["id"] for tx in same_batch), reverse=True) + ids[::-1]


def test_rejections_filter_on_transaction_at(world: World) -> None:
    till = world.tills[0]
    old = till.tx(
        "stamp_earned", "NOPE-OLD", world.staff["staff0"], stamps_delta=1, transaction_at=at("2023-05-05")
    )
    new = till.tx("stamp_earned", "NOPE-NEW", world.staff["staff0"], stamps_delta=1)
    till.push_ok([old, new])
    items = ok_json(office(world).get("/v1/office/rejections", params={"to": "2023-05-06"}))["items"]
    assert [item["id"] for item in items] == [old["id"]]


def test_a_bad_or_foreign_cursor_is_400_invalid_cursor(world: World) -> None:
    rejected_batches(world, 2)
    client = office(world)
    page = ok_json(client.get("/v1/office/rejections", params={"limit": 1}))
    cursor = page["next_cursor"]
    assert cursor is not None
    tampered = cursor[:-1] + ("0" if cursor[-1] != "0" else "1")
    for bad in (tampered, "not-a-cursor", "x" * 300, cursor.split(".")[0]):
        assert_problem(client.get("/v1/office/rejections", params={"cursor": bad}), 400, "invalid_cursor")
    # A real cursor of another list, or of another merchant, is not a cursor here.
    assert_problem(client.get("/v1/office/audit", params={"cursor": cursor}), 400, "invalid_cursor")
    with another_merchant(world) as other:
        assert_problem(
            office(other).get("/v1/office/rejections", params={"cursor": cursor}), 400, "invalid_cursor"
        )


def test_limits_outside_1_to_1000_are_422(world: World) -> None:
    client = office(world)
    for path in ("/v1/office/rejections", "/v1/office/devices", "/v1/office/staff", "/v1/office/audit"):
        for limit in (0, 1001, "ten"):
            assert_problem(client.get(path, params={"limit": limit}), 422, "invalid_request")


def test_devices_list_every_till_with_its_store_progress_and_state(world: World) -> None:
    north, west = world.tills
    card = world.new_card()
    north.push_ok([north.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)])
    items = ok_json(office(world).get("/v1/office/devices"))["items"]
    by_id = {item["device_id"]: item for item in items}
    assert set(by_id) == {north.device_id, west.device_id}
    assert by_id[north.device_id] | {"last_seen_at": None} == {
        "device_id": north.device_id,
        "store_id": world.store_ids[0],
        "name": "North till",
        "last_seen_at": None,
        "last_seq": north.seq,
        "revoked": False,
    }
    assert by_id[north.device_id]["last_seen_at"] is not None
    assert by_id[west.device_id]["last_seq"] is None


def test_devices_page_and_filter_by_store(world: World) -> None:
    client = office(world)
    pages = all_pages(client, "/v1/office/devices", limit=1)
    assert [len(page) for page in pages] == [1, 1]
    assert {page[0]["device_id"] for page in pages} == {till.device_id for till in world.tills}
    west = ok_json(client.get("/v1/office/devices", params={"store_id": world.store_ids[1]}))["items"]
    assert [item["device_id"] for item in west] == [world.tills[1].device_id]


def test_ledger_csv_has_the_header_and_only_accepted_rows_in_the_period(world: World) -> None:
    card = push_march_day(world)
    response = office(world).get("/v1/office/ledger.csv", params={"from": "2024-03-02", "to": "2024-03-03"})
    assert response.text.splitlines()[0] == CSV_HEADER
    rows = csv_rows(response)
    assert len(rows) == 4
    assert len({row["card_number"] for row in rows}) == 2
    assert card in {row["card_number"] for row in rows}
    points = next(row for row in rows if row["type"] == "points_earned")
    assert points["device_id"] == world.tills[0].device_id
    assert (points["points_delta"], points["purchase_amount_cents"], points["store_id"]) == (
        "50",
        "500",
        str(world.store_ids[0]),
    )
    assert points["transaction_at"].startswith("2024-03-02T11:00:00")
    assert "attachment" in response.headers["content-disposition"]


def test_ledger_csv_writes_server_made_rows_with_empty_device_and_seq(world: World) -> None:
    card = world.new_card(points=70)
    now = datetime.now(UTC)
    expiry = Tx.model_construct(
        id=uuid.uuid4(),
        seq=1,
        type=TransactionType.POINTS_EXPIRED,
        card_number=card,
        staff_id=0,
        transaction_at=now,
        stamps_delta=0,
        points_delta=-70,
    )
    ctx = Submitter(
        merchant_id=world.merchant_id, store_id=None, timezone="UTC", device_id=None, made_by_server=True
    )
    with world.database.session() as session, session.begin():
        [result] = apply_server_batch(session, world.database.backend, ctx, [expiry], now=now)
    assert result.status.value == "accepted"
    rows = csv_rows(office(world).get("/v1/office/ledger.csv"))
    [expired] = [row for row in rows if row["type"] == "points_expired"]
    assert (expired["device_id"], expired["seq"], expired["store_id"], expired["points_delta"]) == (
        "",
        "",
        "",
        "-70",
    )
    assert all(row["device_id"] and row["seq"] for row in rows if row["type"] != "points_expired")


def test_ledger_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    number = f"-A1{uuid.uuid4().hex[:6]}"
    card = world.new_card(number=number)
    formula = '=HYPERLINK("http://evil.example","x")'
    till.push_ok(
        [
            till.tx(
                "points_earned",
                card,
                staff,
                points_delta=20,
                purchase_amount_cents=200,
                order_reference=formula,
            ),
            till.tx(
                "points_earned",
                card,
                staff,
                points_delta=10,
                purchase_amount_cents=100,
                order_reference="'quoted",
            ),
            till.tx("points_adjustment", card, world.staff["owner"], points_delta=-5, notes="fix"),
        ]
    )
    rows = csv_rows(office(world).get("/v1/office/ledger.csv"))
    assert {row["card_number"] for row in rows} == {"'" + number}
    assert sorted(row["order_reference"] for row in rows if row["order_reference"]) == [
        "''quoted",
        "'" + formula,
    ]
    assert [row["points_delta"] for row in rows if row["type"] == "points_adjustment"] == ["-5"]


def test_ledger_csv_streams_more_rows_than_one_chunk(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    txs = [
        till.tx(
            "points_earned", card, staff, points_delta=10, purchase_amount_cents=100, order_reference=f"o-{n}"
        )
        for n in range(1000)
    ]
    results = till.push_ok(txs[:500]) + till.push_ok(txs[500:])
    assert all(result["status"] == "accepted" for result in results)
    with office(world).stream("GET", "/v1/office/ledger.csv") as response:
        assert response.status_code == 200
        chunks = list(response.iter_text())
        text = "".join(chunks)
    lines = text.splitlines()
    assert len(lines) == 1 + 1 + 1000  # header, card_created, the purchases
    assert len({line.split(",")[0] for line in lines[1:]}) == 1001
