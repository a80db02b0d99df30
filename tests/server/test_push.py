"""POST /v1/sync/push: per-item results, both idempotency levels, the reason table through the server."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from server_stub.models import LedgerTransaction
from sync.protocol import TransactionType, Tx
from tests.server.conftest import Backend
from tests.server.factories import World


def stored_count(world: World, **where: object) -> int:
    with world.database.session() as session:
        query = (
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.merchant_id == world.merchant_id)
        )
        for column, value in where.items():
            query = query.where(getattr(LedgerTransaction, column) == value)
        return int(session.execute(query).scalar_one())


def test_accepted_items_answer_the_cards_state_after_each_item_in_request_order(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card(points=100)
    results = till.push_ok(
        [
            till.tx("stamp_earned", card, staff, stamps_delta=1),
            till.tx("points_earned", card, staff, points_delta=50, purchase_amount_cents=500),
            till.tx("points_redeemed", card, staff, points_delta=-100, reward_id="coffee"),
        ]
    )
    assert [r["status"] for r in results] == ["accepted"] * 3
    assert [(r["card"]["stamp_count"], r["card"]["points_balance"]) for r in results] == [
        (1, 100),
        (1, 150),
        (1, 50),
    ]
    assert all(r["replayed"] is False and r["reason"] is None for r in results)


def test_an_unknown_card_is_rejected_with_a_null_card_and_the_rejection_is_stored(world: World) -> None:
    till = world.tills[0]
    tx = till.tx("stamp_earned", "NOPE-1", world.staff["staff0"], stamps_delta=1)
    [result] = till.push_ok([tx])
    assert (result["status"], result["reason"], result["card"]) == ("rejected", "unknown_card", None)
    # The type, status and reason columns hold the protocol's texts.
    stored = {"type": "stamp_earned", "status": "rejected", "reason": "unknown_card"}
    assert stored_count(world, id=tx["id"], **stored) == 1


def test_another_merchants_card_answers_exactly_as_an_unknown_card(world: World, backend: object) -> None:
    from tests.server.factories import make_world

    other = make_world(world.url, world.database)
    try:
        theirs = other.new_card(points=500)
        till = world.tills[0]
        [result] = till.push_ok(
            [till.tx("points_redeemed", theirs, world.staff["staff0"], points_delta=-100, reward_id="coffee")]
        )
        assert (result["reason"], result["card"]) == ("unknown_card", None)
        assert till.client.get(f"/v1/cards/{theirs}").status_code == 404
        assert other.tills[0].card(theirs)["card"]["points_balance"] == 500
    finally:
        other.close()


def test_a_transaction_id_sent_again_is_replayed_with_its_original_outcome_and_not_applied_twice(
    world: World,
) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    earn = till.tx("points_earned", card, staff, points_delta=20, purchase_amount_cents=200)
    bad = till.tx("points_redeemed", card, staff, points_delta=-100, reward_id="coffee")
    first = till.push_ok([earn, bad])
    again = till.push_ok([earn, bad, till.tx("stamp_earned", card, staff, stamps_delta=1)])
    assert [(r["status"], r["reason"], r["replayed"]) for r in again[:2]] == [
        ("accepted", None, True),
        ("rejected", "insufficient_points", True),
    ]
    assert first[1]["reason"] == "insufficient_points"
    assert again[2]["card"]["points_balance"] == 20
    assert stored_count(world, id=earn["id"]) == 1


def test_an_id_already_stored_for_another_device_is_rejected_duplicate_id_and_not_stored(
    world: World,
) -> None:
    first, second = world.tills
    card = world.new_card()
    tx = first.tx("stamp_earned", card, world.staff["owner"], stamps_delta=1)
    first.push_ok([tx])
    copy = dict(tx, seq=second.seq + 1)
    [result] = second.push_ok([copy])
    assert (result["status"], result["reason"]) == ("rejected", "duplicate_id")
    assert result["card"]["stamp_count"] == 1
    assert stored_count(world, id=tx["id"]) == 1


def test_another_devices_id_on_a_seq_this_device_used_is_still_answered_duplicate_id(world: World) -> None:
    first, second = world.tills
    card = world.new_card()
    theirs = first.tx("stamp_earned", card, world.staff["owner"], stamps_delta=1)
    first.push_ok([theirs])
    ours = second.tx("stamp_earned", card, world.staff["owner"], stamps_delta=1)
    second.push_ok([ours])
    [result] = second.push_ok([dict(theirs, seq=ours["seq"])])
    assert (result["status"], result["reason"]) == ("rejected", "duplicate_id")
    assert stored_count(world, id=theirs["id"]) == 1


def test_an_id_this_device_stored_sent_again_on_a_new_seq_is_a_replay_and_not_stored_twice(
    world: World,
) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    earn = till.tx("points_earned", card, staff, points_delta=20, purchase_amount_cents=200)
    till.push_ok([earn])
    till.seq += 1
    resent = dict(earn, seq=till.seq)
    again, stamp = till.push_ok([resent, till.tx("stamp_earned", card, staff, stamps_delta=1)])
    assert (again["status"], again["reason"], again["replayed"]) == ("accepted", None, True)
    assert (stamp["status"], stamp["card"]["points_balance"]) == ("accepted", 20)
    assert stored_count(world, id=earn["id"]) == 1


def test_a_replay_sent_with_another_card_answers_the_stored_cards_state(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    stored_card, other_card = world.new_card(points=7), world.new_card(points=3)
    earn = till.tx("points_earned", stored_card, staff, points_delta=20, purchase_amount_cents=200)
    till.push_ok([earn])
    for resent in (dict(earn, card_number=other_card), dict(earn, card_number=other_card, seq=till.seq + 1)):
        [again] = till.push_ok([resent])  # at its own seq (looked up), then at a new one (found at the COPY)
        assert (again["status"], again["replayed"]) == ("accepted", True)
        assert (again["card"]["card_number"], again["card"]["points_balance"]) == (stored_card, 27)
    assert stored_count(world, id=earn["id"]) == 1
    assert till.card(other_card)["card"]["points_balance"] == 3


def test_a_new_id_on_a_used_seq_is_rejected_sequence_reused_and_not_stored(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    used = till.tx("stamp_earned", card, staff, stamps_delta=1)
    till.push_ok([used])
    reuse = dict(till.tx("stamp_earned", card, staff, stamps_delta=1), seq=used["seq"])
    [result] = till.push_ok([reuse])
    assert (result["status"], result["reason"]) == ("rejected", "sequence_reused")
    assert stored_count(world, id=reuse["id"]) == 0


def test_the_same_idempotency_key_and_body_returns_the_stored_response(world: World) -> None:
    till = world.tills[0]
    card = world.new_card()
    txs = [till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)]
    first = till.push(txs, key="batch-1")
    # The same JSON value with other whitespace and key order is the same body.
    raw = json.dumps({"transactions": [dict(reversed(list(txs[0].items())))]}, indent=3)
    second = till.client.post(
        "/v1/sync/push",
        content=raw,
        headers={"Idempotency-Key": "batch-1", "Content-Type": "application/json"},
    )
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert till.card(card)["card"]["stamp_count"] == 1


def test_the_same_idempotency_key_with_another_body_is_422_and_changes_nothing(world: World) -> None:
    till = world.tills[0]
    card = world.new_card()
    till.push([till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)], key="k")
    other = till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)
    response = till.push([other], key="k")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert stored_count(world, id=other["id"]) == 0


def test_idempotency_keys_are_scoped_to_the_device(world: World) -> None:
    first, second = world.tills
    card = world.new_card()
    assert (
        first.push(
            [first.tx("stamp_earned", card, world.staff["owner"], stamps_delta=1)], key="shared"
        ).status_code
        == 200
    )
    response = second.push(
        [second.tx("stamp_earned", card, world.staff["owner"], stamps_delta=1)], key="shared"
    )
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers


def test_a_missing_or_malformed_idempotency_key_is_400(world: World) -> None:
    till = world.tills[0]
    body = {"transactions": [till.tx("stamp_earned", "X-1", world.staff["staff0"], stamps_delta=1)]}
    missing = till.client.post("/v1/sync/push", json=body)
    empty = till.client.post("/v1/sync/push", json=body, headers={"Idempotency-Key": ""})
    too_long = till.client.post("/v1/sync/push", json=body, headers={"Idempotency-Key": "k" * 256})
    non_ascii = till.client.post(
        "/v1/sync/push", json=body, headers={"Idempotency-Key": "caf\u00e9".encode("latin-1")}
    )
    assert [r.status_code for r in (missing, empty, too_long, non_ascii)] == [400] * 4
    assert [r.json()["code"] for r in (missing, empty, too_long, non_ascii)] == [
        "idempotency_key_missing",
        "idempotency_key_missing",
        "idempotency_key_invalid",
        "idempotency_key_invalid",
    ]
    assert stored_count(world) == 0


def test_a_program_version_cited_by_a_transaction_judges_it(world: World) -> None:
    from server_stub.service.programs import save_program_version
    from tests.server.factories import DEFAULT_PROGRAM

    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card(points=1000)
    cheaper = DEFAULT_PROGRAM.model_copy(update={"points_per_currency_unit": 20})
    with world.database.session() as session, session.begin():
        save_program_version(session, merchant_id=world.merchant_id, fields=cheaper, now=datetime.now(UTC))
    old_rule = till.tx(
        "points_earned", card, staff, points_delta=10, purchase_amount_cents=100, program_version=1
    )
    new_rule = till.tx("points_earned", card, staff, points_delta=20, purchase_amount_cents=100)
    stale = till.tx("points_earned", card, staff, points_delta=10, purchase_amount_cents=100)
    results = till.push_ok([old_rule, new_rule, stale])
    assert [r["reason"] for r in results] == [None, None, "invalid_points"]
    unknown = till.push(
        [till.tx("points_earned", card, staff, points_delta=10, purchase_amount_cents=100, program_version=9)]
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == "/transactions/0/program_version"


def test_every_transaction_type_reaches_the_server_rules(world: World) -> None:
    till, owner, staff, manager = (
        world.tills[0],
        world.staff["owner"],
        world.staff["staff0"],
        world.staff["manager0"],
    )
    card = world.new_card(stamps=5, points=200)
    earn = till.tx(
        "points_earned", card, staff, points_delta=100, purchase_amount_cents=1000, order_reference="o-1"
    )
    stamp = till.tx("stamp_earned", card, staff, stamps_delta=1)
    cases = [
        (earn, None),
        (
            till.tx(
                "points_earned",
                card,
                staff,
                points_delta=100,
                purchase_amount_cents=1000,
                order_reference="o-1",
            ),
            "duplicate_order_reference",
        ),
        (till.tx("points_earned", card, staff, points_delta=5, purchase_amount_cents=50), "invalid_points"),
        (till.tx("points_voided", card, staff, points_delta=-60, related_transaction_id=earn["id"]), None),
        (
            till.tx("points_voided", card, staff, points_delta=-60, related_transaction_id=earn["id"]),
            "already_voided",
        ),
        (
            till.tx("points_voided", card, staff, points_delta=-10, related_transaction_id=str(uuid.uuid4())),
            "unknown_related_transaction",
        ),
        (stamp, None),
        (till.tx("stamp_voided", card, staff, stamps_delta=-1, related_transaction_id=stamp["id"]), None),
        (till.tx("stamp_earned", card, staff, stamps_delta=1), None),
        (till.tx("stamp_earned", card, staff, stamps_delta=1), "daily_stamp_limit"),
        (till.tx("stamp_redeemed", card, staff, stamps_delta=-5), None),
        (till.tx("stamp_redeemed", card, staff, stamps_delta=-5), "insufficient_stamps"),
        (till.tx("welcome_bonus", card, staff, points_delta=50), None),
        (till.tx("welcome_bonus", card, staff, points_delta=50), "invalid_welcome_bonus"),
        (till.tx("points_redeemed", card, staff, points_delta=-99, reward_id="coffee"), "unknown_reward"),
        (till.tx("points_adjustment", card, staff, points_delta=5, notes="x"), "not_permitted"),
        (till.tx("points_adjustment", card, owner, points_delta=5), "reason_required"),
        (till.tx("points_adjustment", card, owner, points_delta=100001, notes="x"), "invalid_delta"),
        (till.tx("stamp_earned", card, world.staff["staff1"], stamps_delta=1), "unknown_staff"),
        (till.tx("points_expired", card, owner, points_delta=-1), "not_permitted"),
        (till.tx("card_deactivated", card, staff), "not_permitted"),
        (till.tx("card_deactivated", card, manager), None),
        (till.tx("stamp_earned", card, staff, stamps_delta=1), "card_inactive"),
        (till.tx("card_reactivated", card, manager), None),
        (till.tx("card_reactivated", card, manager), "card_active"),
        (till.tx("card_created", card, staff), "card_number_taken"),
        (till.tx("points_redeemed", card, staff, points_delta=-100, reward_id="coffee"), None),
    ]
    for tx, _ in cases:  # request order is seq order
        till.seq += 1
        tx["seq"] = till.seq
    results = till.push_ok([tx for tx, _ in cases])
    assert [r["reason"] for r in results] == [reason for _, reason in cases]
    final = results[-1]["card"]
    assert (final["stamp_count"], final["points_balance"], final["is_active"]) == (1, 190, True)


def test_stored_rows_keep_every_character_and_time_exactly_as_sent(world: World) -> None:
    till, owner, staff = world.tills[1], world.staff["owner"], world.staff["staff1"]  # Los Angeles
    card = world.new_card()
    notes = 'tab\there, new\nline, back\\slash \\N \\. "quoted" \u00e9\u2028\U0001f600 \\'
    earn = till.tx(
        "points_earned",
        card,
        staff,
        points_delta=10,
        purchase_amount_cents=100,
        order_reference="ref\t\\x\n",
        transaction_at="2026-03-01T23:30:00.000001-08:00",
    )
    adjust = till.tx(
        "points_adjustment",
        card,
        owner,
        points_delta=7,
        notes=notes,
        transaction_at="2026-03-02T09:15:00+05:30",
    )
    assert [r["status"] for r in till.push_ok([earn, adjust])] == ["accepted", "accepted"]
    with world.database.session() as session:
        rows = {
            row.id: row
            for row in session.execute(
                select(LedgerTransaction).where(LedgerTransaction.id.in_([earn["id"], adjust["id"]]))
            ).scalars()
        }
    assert rows[earn["id"]].order_reference == "ref\t\\x\n"
    assert rows[earn["id"]].transaction_at == datetime(2026, 3, 2, 7, 30, 0, 1, tzinfo=UTC)
    assert rows[earn["id"]].local_date.isoformat() == "2026-03-01"  # the store's day
    assert rows[adjust["id"]].notes == notes
    assert rows[adjust["id"]].transaction_at == datetime(2026, 3, 2, 3, 45, tzinfo=UTC)
    assert rows[adjust["id"]].received_at == rows[earn["id"]].received_at


def test_the_daily_stamp_limit_counts_by_the_stores_local_day(world: World) -> None:
    till, staff = world.tills[1], world.staff["staff1"]  # Los Angeles
    card = world.new_card()
    # 07:00 UTC on the 2nd is still the 1st in Los Angeles.
    late_on_the_first = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    txs = [
        till.tx(
            "stamp_earned",
            card,
            staff,
            stamps_delta=1,
            transaction_at=(late_on_the_first - timedelta(hours=h)).isoformat(),
        )
        for h in (3, 2, 1)
    ]
    txs.append(
        till.tx(
            "stamp_earned",
            card,
            staff,
            stamps_delta=1,
            transaction_at=(late_on_the_first + timedelta(hours=9)).isoformat(),
        )
    )
    assert [r["reason"] for r in till.push_ok(txs)] == [None, None, "daily_stamp_limit", None]


def test_a_rejected_order_reference_does_not_use_it_up(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    results = till.push_ok(
        [
            till.tx(
                "points_earned",
                card,
                staff,
                points_delta=999,
                purchase_amount_cents=1000,
                order_reference="r-9",
            ),
            till.tx(
                "points_earned",
                card,
                staff,
                points_delta=100,
                purchase_amount_cents=1000,
                order_reference="r-9",
            ),
        ]
    )
    assert [r["reason"] for r in results] == ["invalid_points", None]


def test_a_card_created_in_a_batch_is_usable_by_later_items_and_keeps_contact_details_private(
    world: World,
) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    number = f"NEW-{uuid.uuid4().hex[:6]}"
    phone = "+353 1 555 0199"  # not digits alone: a time's microseconds may hold any short run of them
    results = till.push_ok(
        [
            till.tx(
                "card_created",
                number,
                staff,
                customer={"name": "Bo", "email": "bo@example.com", "phone": phone},
            ),
            till.tx("welcome_bonus", number, staff, points_delta=50),
        ]
    )
    assert [r["card"]["points_balance"] for r in results] == [0, 50]
    detail = till.client.get(f"/v1/cards/{number}").text
    assert "bo@example.com" not in detail and phone not in detail
    assert json.loads(detail)["card"]["customer_name"] == "Bo"


def test_a_full_batch_of_1000_items_is_applied_in_one_request(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    cards = [world.new_card() for _ in range(5)]
    txs = [
        till.tx(
            "points_earned",
            cards[i % 5],
            staff,
            points_delta=10,
            purchase_amount_cents=100,
            order_reference=f"o{i}",
        )
        for i in range(1000)
    ]
    results = till.push_ok(txs)
    assert len(results) == 1000 and all(r["status"] == "accepted" for r in results)
    assert [r["id"] for r in results] == [tx["id"] for tx in txs]
    assert sum(till.card(card)["card"]["points_balance"] for card in cards) == 10_000


def test_the_response_body_is_the_json_pydantic_would_write_for_the_same_results() -> None:
    from server_stub.service.judging import Verdict
    from server_stub.service.push import response_body
    from sync.protocol import CardState, PushResponse, PushResult, Reason, TxStatus
    from sync.rules import CardState as RulesCard

    def verdict(status: TxStatus, reason: Reason | None, replayed: bool, card: RulesCard | None) -> Verdict:
        tx = Tx(
            id=uuid.uuid4(),
            seq=1,
            type=TransactionType.STAMP_EARNED,
            card_number="BT-0001",
            staff_id=1,
            transaction_at=datetime.now(UTC),
            stamps_delta=1,
        )
        at = tx.transaction_at
        return Verdict(tx, str(tx.id), status, reason, replayed, card, True, at.date(), at)

    verdicts = [
        verdict(TxStatus.ACCEPTED, None, False, RulesCard("BT-0001", 3, 120, True, True)),
        verdict(
            TxStatus.REJECTED, Reason.INSUFFICIENT_POINTS, True, RulesCard("BT-0002", 0, 0, False, False)
        ),
        verdict(TxStatus.REJECTED, Reason.UNKNOWN_CARD, False, None),
    ]
    results = [
        PushResult(
            id=v.id,
            status=v.status,
            reason=v.reason,
            replayed=v.replayed,
            card=None if v.card is None else CardState.model_validate(v.card._asdict()),
        )
        for v in verdicts
    ]
    for now in (datetime(2026, 3, 1, 12, 0, tzinfo=UTC), datetime(2026, 3, 1, 12, 0, 0, 1234, tzinfo=UTC)):
        expected = PushResponse(results=results, server_time=now).model_dump_json()
        assert response_body(verdicts, server_time=now) == expected


def test_the_canonical_hash_compares_json_values_not_their_spelling() -> None:
    from server_stub.routes.body import load_json
    from server_stub.service.push import canonical_hash

    def digest(raw: bytes) -> str:
        return canonical_hash(load_json(raw))

    same = [
        b'{"b": [1, {"y": null, "x": "\\u00e9"}], "a": true}',
        '{"a":true,"b":[1,{"x":"\u00e9","y":null}]}'.encode(),
        b'  {\n "a" : true , "b" : [ 1 , { "x" : "\xc3\xa9" , "y" : null } ] }\n',
    ]
    assert len({digest(raw) for raw in same}) == 1
    different = [
        b'{"a": true}',
        b'{"a": false}',
        b'{"a": "true"}',
        b'{"a": true, "unknown": 1}',
        b'{"a": true, "unknown": 2}',
        b'{"a": [true]}',
    ]
    assert len({digest(raw) for raw in different}) == len(different)


def test_the_ledger_rows_the_batch_writes_name_every_column_of_the_ledger_table() -> None:
    from server_stub.models import LedgerTransaction
    from server_stub.service.backend.base import LEDGER_COLUMNS

    assert sorted(LEDGER_COLUMNS) == sorted(column.name for column in LedgerTransaction.__table__.columns)


def test_stored_responses_are_compressed_with_lz4_where_postgresql_has_it(backend: Backend) -> None:
    if backend.name != "postgres":
        pytest.skip("a PostgreSQL column setting")
    with backend.database.session() as session:
        has_lz4 = session.execute(
            text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar()
        method = session.execute(
            text(
                "SELECT attcompression FROM pg_attribute"
                " WHERE attrelid = 'idempotency_keys'::regclass AND attname = 'response'"
            )
        ).scalar()
    assert method == ("l" if has_lz4 else "")


def test_the_ledgers_ids_and_the_card_numbers_compare_in_byte_order_on_postgresql(backend: Backend) -> None:
    if backend.name != "postgres":
        pytest.skip("a PostgreSQL column setting")
    with backend.database.session() as session:
        collations = session.execute(
            text(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns"
                " WHERE (table_name, column_name) IN (('transactions', 'id'),"
                " ('transactions', 'related_transaction_id'), ('transactions', 'card_number'),"
                " ('cards', 'card_number'))"
            )
        ).all()
    assert sorted(collations) == [
        ("cards", "card_number", "C"),
        ("transactions", "card_number", "C"),
        ("transactions", "id", "C"),
        ("transactions", "related_transaction_id", "C"),
    ]
