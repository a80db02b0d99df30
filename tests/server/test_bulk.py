"""The push path's database helpers: times as the ledger holds them, lookups sent together, driver errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from server_stub.service.bulk import naive_utc
from tests.server.factories import World


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
