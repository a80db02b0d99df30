"""The card change log the pull feed follows: one entry per change, a first pull's listing,
cursors from before the log, and (PostgreSQL) cards updated without new index entries."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from server_stub.db import Database, alembic_config, create_database
from server_stub.models import Card, CardChange
from server_stub.security import sign
from server_stub.service.judging import Submitter
from server_stub.service.pull import cursor_secret
from server_stub.service.push import apply_server_batch
from sync.protocol import Tx
from tests.server.factories import World
from tests.server.test_pull_and_cards import pull_all


def log_of(world: World) -> list[tuple[int, list[int]]]:
    with world.database.session() as session:
        rows = session.execute(
            select(CardChange.change_no, CardChange.card_ids)
            .where(CardChange.merchant_id == world.merchant_id)
            .order_by(CardChange.change_no)
        ).all()
    return [(change_no, sorted(ids)) for change_no, ids in rows]


def card_rows(world: World, numbers: list[str]) -> dict[str, tuple[int, int]]:
    """number -> (id, change_no)"""
    with world.database.session() as session:
        rows = session.execute(
            select(Card.card_number, Card.id, Card.change_no).where(
                Card.merchant_id == world.merchant_id, Card.card_number.in_(numbers)
            )
        ).all()
    return {number: (card_id, change_no) for number, card_id, change_no in rows}


def test_each_batch_logs_its_change_number_with_the_cards_it_changed(world: World) -> None:
    till = world.tills[0]
    first, second = world.new_card(), world.new_card()
    before = log_of(world)
    till.push_ok(
        [
            till.tx("stamp_earned", first, world.staff["staff0"], stamps_delta=1),
            till.tx("stamp_earned", second, world.staff["staff0"], stamps_delta=1),
        ]
    )
    [(change_no, ids)] = log_of(world)[len(before) :]
    cards = card_rows(world, [first, second])
    assert ids == sorted(card_id for card_id, _ in cards.values())
    assert {change for _, change in cards.values()} == {change_no}


def test_cards_created_beside_a_taken_number_are_written_logged_and_usable_in_one_batch(world: World) -> None:
    """On PostgreSQL a batch's new cards take their ids with its facts and are inserted in the
    same round trip as the other writes; a refused card_created leaves only a gap in the ids."""
    till, staff = world.tills[0], world.staff["staff0"]
    taken = world.new_card(points=5)
    before = log_of(world)
    first, second = (f"N{suffix}-{uuid.uuid4().hex[:6]}" for suffix in ("A", "B"))
    results = till.push_ok(
        [
            till.tx("card_created", second, staff, customer={"name": "Bea"}),
            till.tx("card_created", taken, staff),
            till.tx("card_created", first, staff),
            till.tx("points_earned", first, staff, points_delta=20, purchase_amount_cents=200),
            till.tx("points_earned", taken, staff, points_delta=10, purchase_amount_cents=100),
            till.tx("stamp_earned", second, staff, stamps_delta=1),
        ]
    )
    assert [(r["status"], r["reason"]) for r in results] == [
        ("accepted", None),
        ("rejected", "card_number_taken"),
        *[("accepted", None)] * 4,
    ]
    balances = [till.card(number)["card"]["points_balance"] for number in (first, taken)]
    assert balances == [20, 15] and till.card(second)["card"]["stamp_count"] == 1
    [(change_no, ids)] = log_of(world)[len(before) :]
    cards = card_rows(world, [first, second, taken])
    assert ids == sorted(card_id for card_id, _ in cards.values())
    assert {change for _, change in cards.values()} == {change_no}
    assert cards[first][0] < cards[second][0]  # the new numbers' ids in their order


def test_a_first_pull_lists_by_number_then_sends_what_changed_meanwhile(world: World) -> None:
    till = world.tills[0]
    numbers = sorted(world.new_card(points=1) for _ in range(6))
    client = till.client
    first = client.get("/v1/sync/pull", params={"limit": 2}).json()
    assert [card["card_number"] for card in first["cards"]] == numbers[:2]
    # While the till pages: a listed card changes, an unlisted one too, and a new card appears.
    till.push_ok([till.tx("points_adjustment", numbers[0], world.staff["owner"], points_delta=5, notes="x")])
    till.push_ok([till.tx("points_adjustment", numbers[5], world.staff["owner"], points_delta=7, notes="y")])
    newcomer = world.new_card(points=3, number="0-FIRST-" + numbers[0][-4:])
    rest, cursor = pull_all(client, first["cursor"], limit=2)
    pulled = [(card["card_number"], card["points_balance"]) for card in first["cards"] + rest]
    # The listing in number order (the newcomer sorts before where it had got to), then the
    # log since the listing began: each change in the order it was committed.
    assert pulled == [
        *[(number, 8 if number == numbers[5] else 1) for number in numbers],
        (numbers[0], 6),
        (numbers[5], 8),
        (newcomer, 3),
    ]
    again, _ = pull_all(client, cursor)
    assert again == []


def test_a_page_that_ends_the_listing_sends_a_card_changed_meanwhile_once(world: World) -> None:
    till = world.tills[0]
    numbers = sorted(world.new_card(points=1) for _ in range(4))
    first = till.client.get("/v1/sync/pull", params={"limit": 2}).json()
    till.push_ok([till.tx("points_adjustment", numbers[3], world.staff["owner"], points_delta=5, notes="x")])
    page = till.client.get("/v1/sync/pull", params={"limit": 500, "cursor": first["cursor"]}).json()
    assert [(card["card_number"], card["points_balance"]) for card in page["cards"]] == [
        (numbers[2], 1),
        (numbers[3], 6),  # listed in its new state, and from the log: once, where the log has it
    ]
    assert page["has_more"] is False


def test_a_cursor_issued_before_the_log_continues_from_its_change_number(world: World) -> None:
    """Positions made before migration 0006 have no `listed` field: they are log positions."""
    till = world.tills[0]
    old, changed = world.new_card(), world.new_card()
    _, cursor = pull_all(till.client)
    till.push_ok([till.tx("stamp_earned", changed, world.staff["staff0"], stamps_delta=1)])
    with world.database.session() as session:
        secret = cursor_secret(session)
    payload = json.loads(base64.urlsafe_b64decode(cursor.split(".")[0] + "=="))
    _, old_change = card_rows(world, [old])[old]
    legacy = {key: payload[key] for key in ("merchant", "program", "staff")} | {
        "change": old_change,
        "card": 0,
    }
    raw = json.dumps(legacy, separators=(",", ":")).encode()
    legacy_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + sign(secret, raw)
    cards, _ = pull_all(till.client, legacy_cursor)
    assert [card["card_number"] for card in cards] == [old, changed]  # `old` at its change, then `changed`
    assert cards[1]["stamp_count"] == 1


def test_a_till_far_behind_gets_each_card_once_in_its_last_state(world: World) -> None:
    till = world.tills[0]
    cards = [world.new_card() for _ in range(5)]
    owner = world.staff["owner"]
    _, cursor = pull_all(till.client)
    for round_ in range(30):  # more log entries than one read of the log holds, mostly passed over
        till.push_ok([till.tx("points_adjustment", cards[round_ % 2], owner, points_delta=1, notes="n")])
    till.push_ok([till.tx("points_adjustment", card, owner, points_delta=1, notes="n") for card in cards])
    for limit in (1, 2, 500):
        pulled, _ = pull_all(till.client, cursor, limit=limit)
        assert sorted(card["card_number"] for card in pulled) == sorted(cards), limit
        assert {card["card_number"]: card["points_balance"] for card in pulled} == {
            cards[0]: 16,
            cards[1]: 16,
            cards[2]: 1,
            cards[3]: 1,
            cards[4]: 1,
        }


def test_a_batchs_card_updates_add_no_index_entries_on_postgresql(world: World) -> None:
    """The point of the log: the cards' change number is not indexed, so updates are HOT."""
    if not world.database.is_postgres:
        pytest.skip("HOT updates are PostgreSQL's")
    cards = [world.new_card(points=10) for _ in range(8)]
    # A HOT update also needs room on the card's page: VACUUM frees the dead versions, so each
    # page has at least the room the fill factor keeps (15 %, about ten card versions).
    with world.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM cards"))
    till = world.tills[0]
    ctx = Submitter(
        merchant_id=world.merchant_id, store_id=world.store_ids[0], timezone="Europe/Dublin", device_id=None
    )
    txs = [
        Tx.model_validate_json(
            json.dumps(till.tx("points_adjustment", card, world.staff["owner"], points_delta=1, notes="n"))
        )
        for card in cards
    ]
    counts = text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'cards'")
    with world.database.session() as session, session.begin():
        updated_before, hot_before = session.execute(counts).one()
        results = apply_server_batch(session, world.database.backend, ctx, txs, now=datetime.now(UTC))
        assert {result.status for result in results} == {"accepted"}
        updated, hot = session.execute(counts).one()
    # Every update HOT (with change_no indexed, none is).
    assert (updated - updated_before, hot - hot_before) == (len(cards), len(cards))
    with world.database.session() as session:
        indexed = session.execute(
            text("SELECT indexdef FROM pg_indexes WHERE tablename = 'cards' AND indexdef LIKE '%change_no%'")
        ).all()
    assert indexed == []


@pytest.mark.parametrize("backend_name", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migration_logs_each_cards_last_change(
    backend_name: str, tmp_path: Path, pg_database_factory: Callable[[], str]
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend_name == "sqlite" else pg_database_factory()
    database = create_database(url, pool_size=2)
    try:
        command.upgrade(alembic_config(database), "0005")
        _old_cards(database)
        command.upgrade(alembic_config(database), "head")
        with database.session() as session:
            log = session.execute(
                select(CardChange.merchant_id, CardChange.change_no, CardChange.card_ids).order_by(
                    CardChange.merchant_id, CardChange.change_no
                )
            ).all()
            indexes = {
                name
                for (name,) in session.execute(
                    text(
                        "SELECT indexname FROM pg_indexes WHERE tablename = 'cards'"
                        if database.is_postgres
                        else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cards'"
                    )
                )
            }
        assert [(merchant, change, sorted(ids)) for merchant, change, ids in log] == [
            (1, 3, [1, 3]),
            (1, 4, [2]),
            (2, 3, [4]),
        ]
        assert "ix_cards_merchant_change" not in indexes
        command.downgrade(alembic_config(database), "0005")
        command.upgrade(alembic_config(database), "head")
    finally:
        database.dispose()


def _old_cards(database: Database) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None)
    with database.session() as session, session.begin():
        for merchant in (1, 2):
            session.execute(
                text("INSERT INTO merchants (id, name, created_at) VALUES (:id, :name, :now)"),
                {"id": merchant, "name": f"m{merchant}", "now": now},
            )
        for card_id, merchant, change in ((1, 1, 3), (2, 1, 4), (3, 1, 3), (4, 2, 3)):
            session.execute(
                text(
                    "INSERT INTO cards (id, merchant_id, card_number, stamp_count, points_balance, is_active,"
                    " welcome_bonus_granted, change_no, created_at, updated_at)"
                    " VALUES (:id, :merchant, :number, 0, 0, true, false, :change, :now, :now)"
                ),
                {"id": card_id, "merchant": merchant, "number": f"C-{card_id}", "change": change, "now": now},
            )
