"""The push path's database helpers: times as the ledger holds them, lookups sent together, driver errors."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from server_stub.service.bulk import naive_utc
from tests.server.factories import World
from tests.server.office_helpers import another_merchant


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 23, 30, 0, 1, tzinfo=timezone(timedelta(hours=-8))),
        datetime(2026, 3, 2, 9, 15, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Dublin")),  # the hour clocks go forward
        datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=ZoneInfo("Europe/Dublin")),  # the repeated hour
        datetime(2026, 12, 2, 3, 4, 5, 678901, tzinfo=UTC),
    ],
)
def test_naive_utc_is_the_same_instant_in_utc_without_its_zone(moment: datetime) -> None:
    converted = naive_utc(moment)
    assert converted.tzinfo is None
    assert converted == moment.astimezone(UTC).replace(tzinfo=None)


def test_naive_utc_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        naive_utc(datetime(2026, 12, 2, 3, 4))


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2026-12-02T07:41:11.774028Z", "2026-12-02T07:41:11.774028+00:00"),
        ("2026-12-02T07:41:11+00:00", "2026-12-02T07:41:11+00:00"),
        ("2026-12-02T23:30:00.5-08:00", "2026-12-03T07:30:00.500000+00:00"),
        ("2026-12-02T05:00:00+05:30", "2026-12-01T23:30:00+00:00"),
    ],
)
def test_utc_text_is_the_same_instant_in_utc_for_the_copy(text: str, stored: str) -> None:
    """For pydantic's parsed times (its own tzinfo class) and the standard library's alike."""
    from pydantic import AwareDatetime, TypeAdapter

    from server_stub.service.bulk import utc_text

    parsed = TypeAdapter(AwareDatetime).validate_python(text)
    assert utc_text(parsed) == stored
    assert utc_text(datetime.fromisoformat(text)) == stored


def test_utc_text_refuses_a_naive_time() -> None:
    from server_stub.service.bulk import utc_text

    with pytest.raises(ValueError, match="naive"):
        utc_text(datetime(2026, 12, 2, 3, 4))


def test_lookups_sent_together_answer_each_in_order_on_both_backends(world: World) -> None:
    from server_stub.service import facts

    cards = [world.new_card(points=5), world.new_card(points=7)]
    postgres = world.database.is_postgres
    with world.database.session() as session, session.begin():
        prefetch = facts.Prefetch()
        locked = prefetch.add(
            facts.locked_cards(merchant_id=world.merchant_id, numbers=cards, postgres=postgres)
        )
        nothing = prefetch.add(facts.seen([], postgres=postgres))
        staff = prefetch.add(
            facts.staff_members(merchant_id=world.merchant_id, ids={world.staff["owner"]}, postgres=postgres)
        )
        prefetch.run(session)
        assert {number: work.state.points_balance for number, work in locked.value.items()} == {
            cards[0]: 5,
            cards[1]: 7,
        }
        assert nothing.value == {}
        assert list(staff.value) == [world.staff["owner"]]


def test_cards_are_locked_by_number_within_the_merchant_only_in_id_order(world: World) -> None:
    from server_stub.service import facts

    shared = f"SHARED-{uuid.uuid4().hex[:8]}"
    with another_merchant(world) as other:
        other.new_card(points=99, number=shared)
        mine = [world.new_card(points=3, number=shared), world.new_card(points=4), world.new_card(points=5)]
        with world.database.session() as session, session.begin():
            locked = facts.lock_cards(
                session, merchant_id=world.merchant_id, numbers=[*reversed(mine), "UNKNOWN-1"]
            )
            assert {number: work.state.points_balance for number, work in locked.items()} == {
                mine[0]: 3,
                mine[1]: 4,
                mine[2]: 5,
            }
            assert [work.id for work in locked.values()] == sorted(work.id for work in locked.values())
            if world.database.is_postgres:  # the other merchant's card stays free
                session.execute(text("SET LOCAL lock_timeout = '50ms'"))
                with world.database.session() as other_session, other_session.begin():
                    free = facts.lock_cards(other_session, merchant_id=other.merchant_id, numbers=[shared])
                    assert [work.state.points_balance for work in free.values()] == [99]


def test_the_card_lock_never_searches_the_numbers_array_per_card_whatever_the_plan(world: World) -> None:
    """A generic plan (what a prepared statement gets after five runs) made while statistics
    are stale must not filter the merchant's cards through `= ANY(numbers)` (quadratic)."""
    from server_stub.service.facts import _lock_cards

    if not world.database.is_postgres:
        pytest.skip("a PostgreSQL plan")
    sql = str(_lock_cards(True).compile(dialect=world.database.engine.dialect))
    with world.database.session() as session, session.begin():
        session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        driver = session.connection().connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            cursor.execute(
                "PREPARE lock_plan AS " + sql.replace("%(numbers)s", "$1").replace("%(merchant_id)s", "$2")
            )
            plan = "\n".join(row[0] for row in cursor.execute("EXPLAIN EXECUTE lock_plan('{A,B}', 1)"))
            cursor.execute("DEALLOCATE lock_plan")
    assert "ANY" not in plan, plan
    assert "LockRows" in plan


def test_a_lock_the_lookups_cannot_get_is_raised_as_sqlalchemy_raises_it(world: World) -> None:
    """So that handle_push's retry sees it, as it sees a deadlock or a conflicting insert."""
    from server_stub.service import facts

    if not world.database.is_postgres:
        pytest.skip("SQLite has one writer: nothing waits on a row lock")
    card = world.new_card()
    with world.database.session() as holder, holder.begin():
        facts.lock_cards(holder, merchant_id=world.merchant_id, numbers=[card])
        with world.database.session() as waiter, waiter.begin():
            waiter.execute(text("SET LOCAL lock_timeout = '50ms'"))
            with pytest.raises(OperationalError):
                facts.lock_cards(waiter, merchant_id=world.merchant_id, numbers=[card])


def test_the_work_done_meanwhile_runs_once_the_lookups_are_already_at_the_database(world: World) -> None:
    """PostgreSQL is working on the sent lookups while Python does `meanwhile` (seen from another session)."""
    from server_stub.service.bulk import rows_of_each

    marker = f"meanwhile-{uuid.uuid4()}"
    postgres = world.database.is_postgres
    sleep = text(f"SELECT pg_sleep(1.0), '{marker}'" if postgres else f"SELECT '{marker}'")
    seen_running: list[bool] = []

    def meanwhile() -> None:
        if not world.database.is_postgres:
            seen_running.append(True)  # SQLite: after the queries, which ran already
            return
        with world.database.session() as observer:
            running = observer.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE :like"),
                {"like": f"%pg_sleep(1.0), '{marker}'"},
            ).scalar_one()
        seen_running.append(running == 1)

    with world.database.session() as session, session.begin():
        [rows] = rows_of_each(session, [(sleep, {})], meanwhile=meanwhile)
    assert seen_running == [True]
    assert rows[0][-1] == marker


def test_writes_sent_together_answer_each_rows_changed_and_commit_with_the_session(world: World) -> None:
    from sqlalchemy import bindparam, update

    from server_stub.models import Card
    from server_stub.service.bulk import run_each

    cards = [world.new_card(points=5), world.new_card(points=7)]
    set_points = (
        update(Card)
        .where(Card.merchant_id == bindparam("merchant"), Card.card_number == bindparam("number"))
        .values(points_balance=bindparam("points"), updated_at=bindparam("now"))
    )
    now = datetime(2026, 12, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    with world.database.session() as session, session.begin():
        counts = run_each(
            session,
            [
                (set_points, {"merchant": world.merchant_id, "number": cards[0], "points": 50, "now": now}),
                (
                    set_points,
                    {"merchant": world.merchant_id, "number": "NO-SUCH-CARD", "points": 1, "now": now},
                ),
                (set_points, {"merchant": world.merchant_id, "number": cards[1], "points": 70, "now": now}),
            ],
        )
    assert counts == [1, 0, 1]
    with world.database.session() as session:
        stored = session.execute(
            select(Card.card_number, Card.points_balance, Card.updated_at).where(Card.card_number.in_(cards))
        ).all()
    assert {number: (points, at) for number, points, at in stored} == {
        cards[0]: (50, now.astimezone(UTC)),
        cards[1]: (70, now.astimezone(UTC)),
    }


def _ledger_row(seq: int) -> tuple[object, ...]:
    now = datetime.now(UTC)
    return (
        str(uuid.uuid4()), 1, 1, "probe-device", seq, "PROBE", "points_earned", "accepted", None, 0, 1, 100,
        None, None, None, 1, None, None, now.isoformat(), now.date().isoformat(), now.isoformat(),
    )  # fmt: skip


@pytest.mark.parametrize("row_by_row", [True, False], ids=["ledger-copy", "plain-copy"])
def test_the_ledger_copy_stores_rows_as_they_arrive_not_at_its_end(world: World, row_by_row: bool) -> None:
    """The ledger's COPY (its WHERE clause, psycopg's smaller chunks) has the database store
    rows while later ones are still being made, so the push's wait at the COPY's end is short.
    A plain COPY (the control) buffers these rows (under 64 KiB) until its end."""
    from server_stub.service.bulk import LEDGER_COPY, LEDGER_COPY_TYPES

    if not world.database.is_postgres:
        pytest.skip("PostgreSQL's COPY")
    probe = f"copy_probe_{uuid.uuid4().hex[:8]}"
    statement = LEDGER_COPY.replace("COPY transactions ", f"COPY {probe} ", 1)
    assert statement != LEDGER_COPY
    if not row_by_row:
        statement = statement.split(" WHERE ", 1)[0]
    with world.database.engine.connect() as connection, connection.begin():
        connection.execute(text(f"CREATE TABLE {probe} (LIKE transactions INCLUDING DEFAULTS)"))
    pages = text("SELECT pg_relation_size(CAST(:probe AS regclass)) > 0")
    try:
        with world.database.session() as session, session.begin():
            driver = session.connection().connection.driver_connection
            assert driver is not None
            with driver.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    copy.set_types(LEDGER_COPY_TYPES)
                    for seq in range(100):  # about 17 KiB of text
                        copy.write_row(_ledger_row(seq))
                    with world.database.engine.connect() as watcher:
                        deadline = time.monotonic() + (10.0 if row_by_row else 0.5)
                        stored = False
                        while not stored and time.monotonic() < deadline:
                            stored = bool(watcher.execute(pages, {"probe": probe}).scalar())
                            time.sleep(0.01)  # the other backend's progress has no signal to wait on
                    assert stored is row_by_row
                assert cursor.rowcount == 100  # the WHERE clause keeps every row
    finally:
        with world.database.engine.connect() as connection, connection.begin():
            connection.execute(text(f"DROP TABLE {probe}"))


def test_a_copy_that_stored_fewer_rows_than_were_sent_is_an_error() -> None:
    from server_stub.service.bulk import LedgerRowsLost, check_copied

    check_copied(1000, 1000)
    with pytest.raises(LedgerRowsLost, match="999 of the 1000"):
        check_copied(999, 1000)
