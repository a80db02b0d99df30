"""Two tills offline spending the same card: the server allows what the balance allows, both converge."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.ledger import Refused
from sync.errors import Offline
from sync.protocol import Reason
from tests.sync_engine.fault_proxy import Fault, FaultProxy
from tests.sync_engine.world import (
    Till,
    World,
    assert_exactly_once_and_converged,
    enrol_till,
    new_card,
    server_card,
)

REWARD = "free-coffee"  # costs 300 points in the demo program


def redeem_all(till: Till, card: str) -> int:
    """Redeem the reward as often as this till believes the card can afford."""
    count = 0
    while True:
        try:
            till.ledger.redeem_reward(till.staff, card, REWARD)
        except Refused:
            return count
        count += 1


def test_two_offline_tills_spending_the_same_points_get_only_what_the_balance_allows(
    world: World, tmp_path: Path, proxy: FaultProxy
) -> None:
    north = enrol_till(world, tmp_path, store_index=0, url=proxy.url)
    south = enrol_till(world, tmp_path, store_index=1, url=proxy.url)
    card = new_card(north)
    north.earn(card, cents=7000)  # 700 points + the welcome bonus: two rewards, not four
    north.sync()
    south.sync()
    balance = server_card(world, north, card).points_balance
    affordable = balance // 300
    assert affordable == 2

    proxy.add(Fault.RESET_BEFORE, times=None)  # the shops' internet is down
    assert redeem_all(north, card) == affordable
    assert redeem_all(south, card) == affordable
    for till in (north, south):
        with pytest.raises(Offline):
            till.sync()
    proxy.clear()

    first = north.sync()
    second = south.sync()
    assert (first.accepted, first.rejected) == (affordable, 0)
    assert (second.accepted, second.rejected) == (0, affordable)
    assert {(r.card_number, r.reason) for r in second.rejections} == {(card, Reason.INSUFFICIENT_POINTS)}
    reasons = [r.reason for r in south.ledger.rejections()]
    assert reasons == [Reason.INSUFFICIENT_POINTS] * affordable
    assert north.ledger.rejections() == []
    north.sync()  # hears of the south's (rejected) attempts: nothing changes
    expected = balance - affordable * 300
    assert server_card(world, north, card).points_balance == expected
    for till in (north, south):
        view = till.ledger.find_card(card)
        assert view is not None and view.points_balance == expected
        assert_exactly_once_and_converged(world, till, [card])


def test_a_rejection_in_the_middle_of_the_queue_does_not_hold_back_what_follows(
    world: World, tmp_path: Path
) -> None:
    north = enrol_till(world, tmp_path, store_index=0)
    south = enrol_till(world, tmp_path, store_index=1)
    card = new_card(north)
    north.earn(card, cents=3000)
    north.sync()
    south.sync()
    north.ledger.redeem_reward(north.staff, card, REWARD)
    redeem_all(south, card)
    later = [north.earn(card) for _ in range(3)]  # after the doomed redemption, in seq order
    south.sync()
    report = north.sync()
    assert (report.accepted, report.rejected) == (3, 1)
    states = {t.id: t.sync_state for t in north.ledger.card_history(card)}
    assert all(states[i] == "accepted" for i in later)
    assert_exactly_once_and_converged(world, north, [card])
