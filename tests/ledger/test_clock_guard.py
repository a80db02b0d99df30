"""A till whose clock is far from the server's records nothing until the clock is fixed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from desktop.ledger import ClockWrong, Ledger
from sync.transport import ServerClock
from tests.ledger.conftest import CASHIER, FakeClock


def server_clock_behind(clock: FakeClock, **behind: float) -> ServerClock:
    """What the till read from the server's Date header: the server's time is `behind` the till's."""
    return ServerClock(server_time=clock.now - timedelta(**behind), monotonic_at=time.monotonic())


def test_a_clock_more_than_twelve_hours_off_refuses_new_transactions_until_it_is_fixed(
    ledger: Ledger, clock: FakeClock
) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.set_server_clock(server_clock_behind(clock, hours=13))

    with pytest.raises(ClockWrong) as caught:
        ledger.add_stamp(CASHIER, "C-1")
    assert "13 hours ahead" in caught.value.message
    assert ledger.card_history("C-1")[0].type.value == "welcome_bonus"  # nothing new was written

    clock.now -= timedelta(hours=13)  # IT sets the clock right; no sync needed to notice
    ledger.add_stamp(CASHIER, "C-1")


def test_a_clock_a_few_minutes_or_hours_off_still_records(ledger: Ledger, clock: FakeClock) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.set_server_clock(server_clock_behind(clock, hours=-11))  # the till is 11 h behind

    ledger.add_stamp(CASHIER, "C-1")


def test_a_till_that_never_heard_the_server_records_as_before(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
