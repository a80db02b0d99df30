"""What keeps the server's costs following the work: rollups, the CSV keyset, expiry's index, retention."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from server_stub.models import Card, DailyTotal, Device, IdempotencyKey, LedgerTransaction
from server_stub.office.ledger_csv import chunk_query
from server_stub.office.params import TimeRange
from server_stub.office.reports import split_by_day
from server_stub.service.expiry import expire_points
from server_stub.service.retention import forget_answered_keys
from server_stub.service.world import create_merchant
from tests.server.conftest import Backend
from tests.server.factories import World
from tests.server.ledger_checks import balances_match_ledger
from tests.server.office_helpers import office, ok_json

UTC_DAY = timedelta(days=1)


def ledger_totals(session: Session, merchant_id: int) -> dict[tuple[int, date, str], tuple[int, int, int]]:
    tx = LedgerTransaction
    day = func.date(tx.transaction_at)
    rows = session.execute(
        select(
            func.coalesce(tx.store_id, 0),
            day,
            tx.type,
            func.count(),
            func.sum(tx.stamps_delta),
            func.sum(tx.points_delta),
        )
        .where(tx.merchant_id == merchant_id, tx.status == "accepted")
        .group_by(tx.store_id, day, tx.type)
    ).all()
    return {(store, _day(found), kind): (n, s, p) for store, found, kind, n, s, p in rows}


def rollup_totals(session: Session, merchant_id: int) -> dict[tuple[int, date, str], tuple[int, int, int]]:
    rows = session.execute(select(DailyTotal).where(DailyTotal.merchant_id == merchant_id)).scalars()
    return {(r.store_id, r.day, r.type): (r.count, r.stamps_delta, r.points_delta) for r in rows}


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def test_the_daily_totals_equal_a_scan_of_the_ledger_after_random_pushes_voids_and_expiries(
    world: World,
) -> None:
    rng = random.Random(20261204)
    cards = [world.new_card(points=500, stamps=5) for _ in range(6)]
    staff = {world.store_ids[0]: world.staff["manager0"], world.store_ids[1]: world.staff["manager1"]}
    earned: list[tuple[str, str]] = []  # (card, id) of accepted purchases, to void
    now = datetime.now(UTC)
    for _ in range(12):
        till = rng.choice(world.tills)
        who = staff[till.store_id]
        txs = []
        for _ in range(rng.randrange(1, 12)):
            card = rng.choice(cards)
            at = (now - timedelta(days=rng.randrange(0, 4), hours=rng.randrange(0, 24))).isoformat()
            pick = rng.random()
            if pick < 0.35:
                txs.append(
                    till.tx(
                        "points_earned",
                        card,
                        who,
                        points_delta=20,
                        purchase_amount_cents=200,
                        transaction_at=at,
                    )
                )
            elif pick < 0.55:
                txs.append(till.tx("stamp_earned", card, who, stamps_delta=1, transaction_at=at))
            elif pick < 0.75:
                txs.append(
                    till.tx(
                        "points_redeemed", card, who, points_delta=-100, reward_id="coffee", transaction_at=at
                    )
                )
            elif pick < 0.9 and earned:
                voided_card, original = rng.choice(earned)
                txs.append(
                    till.tx(
                        "points_voided",
                        voided_card,
                        who,
                        points_delta=-rng.choice([5, 20]),
                        related_transaction_id=original,
                    )
                )
            else:
                txs.append(
                    till.tx("card_deactivated" if rng.random() < 0.5 else "card_reactivated", card, who)
                )
        results = till.push_ok(txs)
        earned += [
            (tx["card_number"], tx["id"])
            for tx, result in zip(txs, results, strict=True)
            if tx["type"] == "points_earned" and result["status"] == "accepted"
        ]
    expire_points(world.database, now=now + timedelta(days=60))
    with world.database.session() as session:
        assert rollup_totals(session, world.merchant_id) == ledger_totals(session, world.merchant_id)
    assert balances_match_ledger(world.database, world.merchant_id)


def test_the_summary_of_any_range_equals_the_ledgers_count_of_it(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    base = datetime(2025, 6, 10, tzinfo=UTC)
    times = [base + timedelta(hours=h) for h in (-30, -3, 0, 5, 23, 26, 47, 49)]
    till.push_ok(
        [
            till.tx(
                "points_earned",
                card,
                staff,
                points_delta=10,
                purchase_amount_cents=100,
                transaction_at=t.isoformat(),
            )
            for t in times
        ]
    )
    client = office(world)
    ranges = [
        ("2025-06-10", "2025-06-12"),
        ("2025-06-10T04:00:00Z", "2025-06-11T02:00:00Z"),
        ("2025-06-09T20:00:00+00:00", "2025-06-10T00:00:00Z"),
        ("2025-06-10T01:00:00Z", "2025-06-10T23:30:00Z"),
        ("2025-06-08T12:00:00-03:00", "2025-06-12T01:00:00+02:00"),
    ]
    for start, end in ranges:
        rows = ok_json(client.get("/v1/office/summary", params={"from": start, "to": end}))["rows"]
        low, high = (
            datetime.fromisoformat(start.replace("Z", "+00:00")),
            datetime.fromisoformat(end.replace("Z", "+00:00")),
        )
        if low.tzinfo is None:
            low, high = low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)
        expected: dict[str, int] = {}
        for moment in times:
            if low <= moment < high:
                key = moment.astimezone(UTC).date().isoformat()
                expected[key] = expected.get(key, 0) + 1
        found = {row["date"]: row["count"] for row in rows if row["type"] == "points_earned"}
        assert found == expected, (start, end)


def test_whole_days_come_from_the_totals_and_the_ends_of_days_from_the_ledger() -> None:
    d = datetime(2025, 6, 10, tzinfo=UTC)
    assert split_by_day(TimeRange(d, d + 2 * UTC_DAY)) == (TimeRange(d, d + 2 * UTC_DAY), [])
    assert split_by_day(TimeRange(None, None)) == (TimeRange(None, None), [])
    noon = d + timedelta(hours=12)
    assert split_by_day(TimeRange(noon, noon + UTC_DAY)) == (
        None,
        [TimeRange(noon, d + UTC_DAY), TimeRange(d + UTC_DAY, noon + UTC_DAY)],
    )
    assert split_by_day(TimeRange(noon, noon + timedelta(hours=1))) == (
        None,
        [TimeRange(noon, noon + timedelta(hours=1))],
    )
    assert split_by_day(TimeRange(noon, d + 3 * UTC_DAY)) == (
        TimeRange(d + UTC_DAY, d + 3 * UTC_DAY),
        [TimeRange(noon, d + UTC_DAY)],
    )
    assert split_by_day(TimeRange(None, noon)) == (TimeRange(None, d), [TimeRange(d, noon)])
    assert split_by_day(TimeRange(noon, noon)) == (None, [])


def plan_of(backend: Backend, query: Any) -> str:
    compiled = str(
        query.compile(dialect=backend.database.engine.dialect, compile_kwargs={"literal_binds": True})
    )
    with backend.database.engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))  # the plan the index allows, at any size
        return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {compiled}")))


def test_the_ledger_csv_seeks_its_keyset_on_an_index_that_matches_it(backend: Backend, world: World) -> None:
    if backend.name != "postgres":
        pytest.skip("a PostgreSQL plan")
    with backend.database.session() as session, session.begin():  # a ledger of some size, analysed
        session.execute(
            text(
                "INSERT INTO transactions (id, merchant_id, card_number, type, status, stamps_delta,"
                " points_delta, transaction_at, local_date, received_at)"
                " SELECT gen_random_uuid()::text, :m, 'KS-' || (g % 500), 'points_earned', 'accepted', 0, 0,"
                " now() - g * interval '1 minute', CURRENT_DATE, now() - g * interval '1 minute'"
                " FROM generate_series(1, 20000) AS g"
            ),
            {"m": world.merchant_id},
        )
        session.execute(text("ANALYZE transactions"))
    now = datetime.now(UTC)
    after = (now - timedelta(days=2), str(uuid.uuid4()))
    everything = chunk_query(world.merchant_id, period=TimeRange(), received_until=now, after=after)
    plan = plan_of(backend, everything)
    assert "Index Scan using ix_transactions_accepted" in plan, plan
    [condition] = [line for line in plan.splitlines() if "Index Cond" in line]
    assert "ROW(received_at, (id)::text) > ROW(" in condition, plan  # the keyset, sought in the index
    assert "Sort" not in plan, plan
    # A bounded period: the keyset's index, or the time index when the period holds few rows.
    day = TimeRange(now - UTC_DAY, now)
    plan = plan_of(backend, chunk_query(world.merchant_id, period=day, received_until=now, after=after))
    assert "ix_transactions_accepted" in plan or "ix_transactions_at" in plan, plan


def test_expiry_finds_idle_cards_through_their_index(backend: Backend, world: World) -> None:
    if backend.name != "postgres":
        pytest.skip("a PostgreSQL plan")
    from server_stub.service.expiry import _due

    with backend.database.session() as session, session.begin():  # a merchant's cards, few of them idle
        merchant = create_merchant(session, name="many cards", now=datetime.now(UTC)).id  # and no program
        session.execute(
            text(
                "INSERT INTO cards (merchant_id, card_number, stamp_count, points_balance, is_active,"
                " welcome_bonus_granted, change_no, created_at, updated_at, last_activity_at,"
                " points_active_on) SELECT :m, 'IDX-' || g, 0, 10, true, false, 0, now(), now(),"
                " now() - g * interval '1 hour', (now() - g * interval '1 hour')::date"
                " FROM generate_series(1, 5000) AS g"
            ),
            {"m": merchant},
        )
        session.execute(text("ANALYZE cards"))
    plan = plan_of(backend, select(Card.id).where(_due(merchant, datetime.now(UTC) - timedelta(days=150))))
    assert "ix_cards_points_active_on" in plan, plan


def test_a_cards_last_activity_is_its_newest_accepted_time_and_expiry_follows_it(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card(points=100)
    now = datetime.now(UTC)
    old = (now - timedelta(days=40)).isoformat()  # a till syncing an old sale late: not newer activity
    till.push_ok(
        [
            till.tx(
                "points_earned", card, staff, points_delta=10, purchase_amount_cents=100, transaction_at=old
            )
        ]
    )
    with world.database.session() as session:
        last, day = session.execute(
            select(Card.last_activity_at, Card.points_active_on).where(
                Card.merchant_id == world.merchant_id, Card.card_number == card
            )
        ).one()
    assert abs(last - now) < timedelta(minutes=5) and day == last.date()
    assert expire_points(world.database, now=now + timedelta(days=29)) == 0
    assert expire_points(world.database, now=now + timedelta(days=31)) >= 1
    with world.database.session() as session:
        balance, day = session.execute(
            select(Card.points_balance, Card.points_active_on).where(
                Card.merchant_id == world.merchant_id, Card.card_number == card
            )
        ).one()
    assert (balance, day) == (0, None)  # out of the expiry index once it holds nothing
    assert balances_match_ledger(world.database, world.merchant_id)


def card_day(world: World, card: str) -> tuple[int, date | None]:
    with world.database.session() as session:
        balance, day = session.execute(
            select(Card.points_balance, Card.points_active_on).where(
                Card.merchant_id == world.merchant_id, Card.card_number == card
            )
        ).one()
    return int(balance), _day(day) if day is not None else None


def set_card_day(world: World, card: str, day: date) -> None:
    with world.database.session() as session, session.begin():
        session.execute(
            update(Card)
            .where(Card.merchant_id == world.merchant_id, Card.card_number == card)
            .values(points_active_on=day)
        )


def test_a_push_moves_a_cards_expiry_day_only_when_it_starts_or_stops_holding_points(world: World) -> None:
    """The balance update leaves the indexed day alone while the card holds points (a HOT update
    on PostgreSQL): it is set when the card comes to hold points and cleared when it holds none."""
    till, staff, owner = world.tills[0], world.staff["staff0"], world.staff["owner"]
    today = datetime.now(UTC).date()
    card = world.new_card(points=100)
    opening, day = card_day(world, card)
    assert opening > 0 and day == today
    long_ago = today - timedelta(days=90)
    set_card_day(world, card, long_ago)  # as if it had held points since then, unchecked
    till.push_ok([till.tx("points_earned", card, staff, points_delta=10, purchase_amount_cents=100)])
    assert card_day(world, card) == (opening + 10, long_ago)
    [emptied] = till.push_ok(
        [till.tx("points_adjustment", card, owner, points_delta=-(opening + 10), notes="closing")]
    )
    assert emptied["status"] == "accepted", emptied
    assert card_day(world, card) == (0, None)
    till.push_ok([till.tx("points_earned", card, staff, points_delta=10, purchase_amount_cents=100)])
    assert card_day(world, card) == (10, today)
    assert balances_match_ledger(world.database, world.merchant_id)


def test_expiry_gives_a_card_used_since_its_day_the_day_of_its_use_and_then_passes_it_over(
    world: World,
) -> None:
    from server_stub.service.expiry import expiring

    till, staff = world.tills[0], world.staff["staff0"]
    now = datetime.now(UTC)
    used, idle = world.new_card(points=100), world.new_card(points=40)
    till.push_ok([till.tx("points_earned", used, staff, points_delta=10, purchase_amount_cents=100)])
    set_card_day(world, used, (now - timedelta(days=400)).date())  # its day is old, its use is not
    with world.database.session() as session, session.begin():  # the other was last used 400 days ago
        session.execute(
            update(Card)
            .where(Card.merchant_id == world.merchant_id, Card.card_number == idle)
            .values(
                last_activity_at=now - timedelta(days=400),
                points_active_on=(now - timedelta(days=400)).date(),
            )
        )
    [*_, first] = expiring(world.database, now=now)
    assert (first.idle, first.done, first.expired) == (2, 2, 1)
    balance, day = card_day(world, used)
    assert balance > 0 and day == now.date()  # checked: its day is its last use's
    assert card_day(world, idle) == (0, None)
    [*_, second] = expiring(world.database, now=now)
    assert (second.idle, second.done, second.expired) == (0, 0, 0)  # nothing to check any more
    assert balances_match_ledger(world.database, world.merchant_id)


def test_a_stored_answer_goes_only_once_its_till_has_moved_on_or_was_revoked(world: World) -> None:
    north, west = world.tills
    card = world.new_card()
    north.push(
        [north.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)], key="old-north"
    ).raise_for_status()
    west.push(
        [west.tx("stamp_earned", card, world.staff["staff1"], stamps_delta=1)], key="old-west"
    ).raise_for_status()
    later = datetime.now(UTC) + timedelta(hours=25)
    ours = ["old-north", "old-west", "new-north"]

    def kept() -> list[str]:
        with world.database.session() as session:
            found = session.execute(select(IdempotencyKey.key).where(IdempotencyKey.key.in_(ours))).scalars()
            return sorted(found)

    def forget(now: datetime) -> None:
        with world.database.session() as session, session.begin():
            forget_answered_keys(session, now=now)

    forget(later)
    assert kept() == ["old-north", "old-west"]  # neither till has pushed since
    north.push(
        [north.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)], key="new-north"
    ).raise_for_status()
    forget(datetime.now(UTC))
    assert kept() == ["new-north", "old-north", "old-west"]  # not yet 24 hours old
    forget(later)
    assert kept() == ["new-north", "old-west"]  # north moved on
    with world.database.session() as session, session.begin():
        session.execute(
            update(Device).where(Device.id == west.device_id).values(revoked_at=datetime.now(UTC))
        )
    forget(later)
    assert kept() == ["new-north"]


def test_a_batchs_ids_are_probed_in_the_primary_key_whatever_the_ledgers_size(
    backend: Backend, world: World
) -> None:
    """A join of the batch's ids with the ledger turns into a scan of the whole ledger while its table
    is small (tens of thousands of rows): the probe must stay one index lookup per id at any size."""
    if backend.name != "postgres":
        pytest.skip("a PostgreSQL plan")
    from server_stub.service.backend.postgres import _STORED, joined

    with backend.database.session() as session, session.begin():  # a small ledger, analysed
        session.execute(
            text(
                "INSERT INTO transactions (id, merchant_id, card_number, type, status, stamps_delta,"
                " points_delta, transaction_at, local_date, received_at)"
                " SELECT gen_random_uuid()::text, :m, 'PK-' || (g % 50), 'points_earned', 'accepted', 0, 0,"
                " now(), CURRENT_DATE, now() FROM generate_series(1, 40000) AS g"
            ),
            {"m": world.merchant_id},
        )
        session.execute(text("ANALYZE transactions"))
    ids = joined([str(uuid.uuid4()) for _ in range(1000)])
    with backend.database.engine.connect() as connection:
        driver = connection.connection.driver_connection
        plan = "\n".join(row[0] for row in driver.execute(f"EXPLAIN {_STORED}", {"ids": ids}))
    assert "Seq Scan on transactions" not in plan, plan
    assert "Index Scan using transactions_pkey" in plan, plan
