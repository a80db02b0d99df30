"""The till process killed with SIGKILL at random moments of a sync, many times: nothing lost or doubled."""

from __future__ import annotations

import multiprocessing
import random
import time
from pathlib import Path

import pytest

from desktop.ledger import Refused
from sync.protocol import Reason
from tests.sync_engine import till_child
from tests.sync_engine.world import Till, World, assert_exactly_once_and_converged, enrol_till, new_card

KILLS = 60
PRELOAD = ["desktop.ledger", "sync.enrolment", "tests.sync_engine.till_child"]

pytestmark = pytest.mark.slow


def record_some(till: Till, cards: list[str], rng: random.Random) -> None:
    """A few purchases, and now and then a reward the till believes the card can afford."""
    for _ in range(rng.randint(1, 4)):
        till.earn(rng.choice(cards), cents=rng.choice([500, 1500, 4000]))
    if rng.random() < 0.4:
        try:
            till.ledger.redeem_reward(till.staff, rng.choice(cards), "free-coffee")
        except Refused:
            pass  # not enough points at this till: nothing recorded


def drain(till: Till, card: str) -> None:
    """Redeem rewards until the till thinks the card cannot afford another."""
    while True:
        try:
            till.ledger.redeem_reward(till.staff, card, "free-coffee")
        except Refused:
            return


def test_a_till_killed_during_sync_again_and_again_loses_and_doubles_nothing(
    world: World, tmp_path: Path
) -> None:
    rng = random.Random(20261125)
    till = enrol_till(world, tmp_path, store_index=0)
    rival = enrol_till(world, tmp_path, store_index=1)  # spends the same cards' points meanwhile
    cards = [new_card(till) for _ in range(3)]
    till.earn(cards[0], cents=4000)
    till.sync()
    rival.sync()
    # One certain conflict in the backlog: the rival spends what this till is about to spend.
    till.ledger.redeem_reward(till.staff, cards[0], "free-coffee")
    drain(rival, cards[0])
    rival.sync()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    killed_mid_round = 0
    round_seconds = 0.2
    for iteration in range(KILLS):
        record_some(till, cards, rng)
        if iteration % 8 == 0:
            rival.sync()
            drain(rival, rng.choice(cards))
            rival.sync()
        ready, done = context.Event(), context.Event()
        child = context.Process(target=till_child.sync_once, args=(str(till.path), ready, done))
        child.start()
        assert ready.wait(30), "the child till did not start"
        started = time.monotonic()
        time.sleep(rng.uniform(0, round_seconds * 1.2))  # the random moment of the kill
        child.kill()
        child.join(10)
        assert child.exitcode is not None and child.exitcode < 0
        if done.is_set():
            round_seconds = 0.7 * round_seconds + 0.3 * (time.monotonic() - started)
        else:
            killed_mid_round += 1
    assert killed_mid_round >= KILLS // 4, f"only {killed_mid_round} kills landed inside a round"
    till.sync()
    rival.sync()
    till.sync()  # the rival's last spends reach this till too
    assert_exactly_once_and_converged(world, till, cards)
    assert_exactly_once_and_converged(world, rival, cards)
    assert any(r.reason is Reason.INSUFFICIENT_POINTS for r in till.ledger.rejections())
