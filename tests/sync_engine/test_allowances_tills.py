"""Offline spending allowances end to end (docs/allowances.md): real tills (ledger files, the sync
engine over HTTP) against the real server on PostgreSQL. Tills go offline by syncing to a port
nothing listens on (their last round failed, so the ledger knows it is offline)."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from desktop.ledger import AtRiskNeedsApproval, Refused, open_ledger
from sync.errors import Offline
from sync.protocol import Reason
from tests.support.live_server import LiveServer, free_port, seed_demo, start_server
from tests.sync_engine import till_child
from tests.sync_engine.world import Till, World, enrol_till, new_card

pytestmark = pytest.mark.postgres

ALLOWANCE = 300  # points a till holds on each of its store's regulars: one free coffee
COFFEE, TOTE = "free-coffee", "tote-bag"  # 300 and 1500 points


@pytest.fixture(scope="module")
def pg_server(
    tmp_path_factory: pytest.TempPathFactory, pg_database_factory: Callable[[], str]
) -> Iterator[tuple[LiveServer, World, str]]:
    url = pg_database_factory()
    document = seed_demo(url)
    directory = tmp_path_factory.mktemp("pg-server")
    live = start_server(url, log_path=directory / "server.log")
    world = World(server_url=live.url, document=document)
    with world.admin() as admin:
        program = admin.get("/v1/office/program").json()
        fields = {k: v for k, v in program.items() if k not in ("version", "created_at", "updated_at")}
        fields.update(allowance_points=ALLOWANCE, allowance_hours=12, allowance_regular_days=30)
        response = admin.put("/v1/office/program", json=fields)
        assert response.status_code == 200, response.text
    try:
        yield live, world, url.replace("postgresql+psycopg://", "postgresql://", 1)
    finally:
        live.stop()


@pytest.fixture
def world(pg_server: tuple[LiveServer, World, str]) -> World:
    return pg_server[1]


@pytest.fixture
def dsn(pg_server: tuple[LiveServer, World, str]) -> str:
    return pg_server[2]


DEAD = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the line is down


def go_offline(till: Till) -> None:
    with pytest.raises(Offline):
        till.sync(url=DEAD, timeout=2.0)


def card_with(world: World, till: Till, *, cents: int, others: list[Till]) -> str:
    """A new card enrolled at `till` with `cents` of purchases, seen (a small purchase) at each of
    the other tills' stores, everything synced: a regular of every store here."""
    number = new_card(till)
    till.earn(number, cents=cents)
    till.sync()
    for other in others:
        other.sync()
        other.earn(number, cents=100)
        other.sync()
    for each in (till, *others):
        each.sync()  # every till asks for its allowances with the card a regular of its store
    return number


def ledger_truth(dsn: str, number: str) -> tuple[int, int, int, int]:
    """(balance, sum of accepted deltas, held, number of accepted rows) of a card on the server."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT c.points_balance, coalesce(sum(t.points_delta), 0), c.held_points, count(t.id)"
            " FROM cards c LEFT JOIN transactions t"
            " ON t.merchant_id = c.merchant_id AND t.card_number = c.card_number AND t.status = 'accepted'"
            " WHERE c.card_number = %s GROUP BY c.id",
            (number,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def covered_ids(till: Till) -> set[str]:
    """The till's transactions that cite an allowance (read from its ledger file)."""
    with sqlite3.connect(f"file:{till.path}?mode=ro", uri=True) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM transactions WHERE allowance_id IS NOT NULL")}


def outcomes(till: Till, number: str) -> list[tuple[bool, str, str | None]]:
    """(covered, sync state, reason) of the till's reward redemptions on the card, oldest first."""
    covered = covered_ids(till)
    history = sorted(till.ledger.card_history(number, limit=1000), key=lambda view: view.seq)
    return [
        (view.id in covered, view.sync_state, view.reason.value if view.reason else None)
        for view in history
        if view.reward_id
    ]


@pytest.fixture
def tills(world: World, tmp_path: Path) -> Iterator[dict[str, Till]]:
    made = {
        "dublin": enrol_till(world, tmp_path, store_index=0),
        "berlin": enrol_till(world, tmp_path, store_index=1),
        "dublin_2": enrol_till(world, tmp_path, store_index=0),
    }
    try:
        yield made
    finally:
        for till in made.values():
            till.ledger.close()


def test_two_offline_tills_redeem_within_their_allowances_while_a_third_spends_online(
    world: World, dsn: str, tills: dict[str, Till]
) -> None:
    dublin, berlin, third = tills["dublin"], tills["berlin"], tills["dublin_2"]
    number = card_with(world, dublin, cents=30_000, others=[berlin, third])  # 3050 + 20 points
    for till in (dublin, berlin):
        cover = till.ledger.coverage(number)
        assert (cover.points, cover.kind(points=300)) == (ALLOWANCE, "covered"), "granted on the regular"
    go_offline(dublin)
    go_offline(berlin)

    dublin.ledger.redeem_reward(dublin.staff, number, COFFEE)  # covered: no PIN
    berlin.ledger.redeem_reward(berlin.staff, number, COFFEE)
    # Meanwhile the third till, online, spends all it may: the balance less what the others hold.
    for _ in range(3):
        try:
            third.ledger.redeem_reward(third.staff, number, TOTE)
        except Refused:
            break
        third.sync()
    rejected_online = [r for r in third.ledger.rejections() if r.card_number == number]
    history = third.ledger.card_history(number)
    spent_online = sum(1 for t in history if t.reward_id == TOTE and t.sync_state == "accepted")
    assert spent_online == 1 and rejected_online, "the escrow kept the third till from the held points"
    assert rejected_online[0].reason is Reason.INSUFFICIENT_POINTS

    dublin.sync()
    berlin.sync()
    for till in (dublin, berlin):
        assert outcomes(till, number)[-1] == (True, "accepted", None), "a covered redemption is accepted"
    balance, accepted_sum, held, _ = ledger_truth(dsn, number)
    assert balance == accepted_sum >= 0 and balance >= held


def test_offline_redemptions_beyond_the_allowances_are_at_risk_and_refused_as_before(
    world: World, dsn: str, tills: dict[str, Till]
) -> None:
    dublin, berlin, third = tills["dublin"], tills["berlin"], tills["dublin_2"]
    number = card_with(world, dublin, cents=9_000, others=[berlin, third])  # 950 + 20 points
    go_offline(dublin)
    go_offline(berlin)
    recorded = {}
    for name, till in (("dublin", dublin), ("berlin", berlin)):
        cover = till.ledger.coverage(number)
        till.ledger.redeem_reward(till.staff, number, COFFEE)  # within what it holds, if any
        with pytest.raises(AtRiskNeedsApproval):
            till.ledger.redeem_reward(till.staff, number, COFFEE)
        till.ledger.redeem_reward(till.staff, number, COFFEE, approved_by=till.manager)  # at risk
        recorded[name] = cover.points
    assert sorted(recorded.values()) != [0, 0], "at least one till holds an allowance"
    dublin.sync()
    berlin.sync()
    results = outcomes(dublin, number)[-2:] + outcomes(berlin, number)[-2:]
    covered = [r for r in results if r[0]]
    at_risk = [r for r in results if not r[0]]
    assert covered and all(state == "accepted" for _, state, _ in covered)
    assert any(state == "rejected" and reason == "insufficient_points" for _, state, reason in at_risk)
    balance, accepted_sum, held, _ = ledger_truth(dsn, number)
    assert balance == accepted_sum >= 0 and balance >= held


def test_a_revoked_tills_escrow_goes_back_to_the_card(world: World, dsn: str, tills: dict[str, Till]) -> None:
    dublin, berlin = tills["dublin"], tills["berlin"]
    # 650 + 10 points: 660, of which 300 stay free (one allowance's worth) and 360 may be held
    number = card_with(world, dublin, cents=6_000, others=[berlin])
    held_by_dublin = dublin.ledger.coverage(number).points
    held_by_berlin = berlin.ledger.coverage(number).points
    assert held_by_dublin == ALLOWANCE and held_by_berlin == 60, "what no other till held"
    assert ledger_truth(dsn, number)[2] == 360
    identity = dublin.ledger.identity()
    assert identity is not None
    with world.admin() as admin:
        assert admin.post(f"/v1/office/devices/{identity.device_id}/revoke").status_code == 204
    assert ledger_truth(dsn, number)[2] == held_by_berlin, "the revoked till's escrow released"
    berlin.sync()
    assert berlin.ledger.coverage(number).points == ALLOWANCE, "topped up from the released points"


def test_a_till_killed_mid_redemption_loses_nothing_covered(
    world: World, dsn: str, tills: dict[str, Till]
) -> None:
    """A child process redeems covered coffees, card after card, and reports each one as the
    cashier sees it confirmed; it is killed (SIGKILL) at random moments, again and again. Every
    confirmed one is in the ledger citing its allowance, none beyond an allowance, all accepted."""
    dublin = tills["dublin"]
    numbers = [new_card(dublin) for _ in range(40)]
    for number in numbers:
        dublin.earn(number, cents=6_000)  # 600 + 20 points each: 300 held, the rest free
    dublin.sync()  # the push makes them regulars; the same round's allowance call covers them
    assert all(dublin.ledger.coverage(number).points == ALLOWANCE for number in numbers)
    go_offline(dublin)
    dublin.ledger.close()
    rng = random.Random(20261204)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["desktop.ledger", "tests.sync_engine.till_child"])
    confirmed: list[str] = []
    for _ in range(12):
        queue: Any = context.SimpleQueue()
        ready = context.Event()
        order = rng.sample(numbers, len(numbers))
        child = context.Process(
            target=till_child.redeem_covered, args=(str(dublin.path), dublin.staff.id, order, ready, queue)
        )
        child.start()
        assert ready.wait(30), "the child till did not start"
        time.sleep(rng.uniform(0.0, 0.06))
        child.kill()
        child.join(10)
        assert child.exitcode is not None and child.exitcode < 0
        while not queue.empty():
            confirmed.append(queue.get())
    dublin.ledger = open_ledger(dublin.path)
    covered = covered_ids(dublin)
    assert confirmed and set(confirmed) <= covered, "every redemption seen confirmed is in the ledger"
    per_card = Counter(t.card_number for t in dublin.ledger.pending_transactions(10_000) if t.allowance_id)
    assert max(per_card.values()) == 1, "one coffee's allowance per card: never two covered"
    dublin.sync()
    states = {t.id: t.sync_state for number in numbers for t in dublin.ledger.card_history(number)}
    assert {states[ident] for ident in covered} == {"accepted"}
    for number in numbers:
        balance, accepted_sum, held, _ = ledger_truth(dsn, number)
        assert balance == accepted_sum >= 0 and balance >= held


def test_a_till_asks_for_allowances_first_then_after_spending_one_or_once_an_interval(
    world: World, tills: dict[str, Till]
) -> None:
    dublin, berlin = tills["dublin"], tills["berlin"]
    number = card_with(world, dublin, cents=30_000, others=[berlin])
    engine = dublin.engine(allowance_interval=3600.0)
    try:
        assert engine.run_once().allowances is not None, "the first round asks"
        dublin.earn(number, cents=500)
        assert engine.run_once().allowances is None, "an earning pushed: nothing spent, not asked"
        assert engine.run_once().allowances is None, "a quiet round: not asked"
        dublin.ledger.redeem_reward(dublin.staff, number, COFFEE)
        assert dublin.ledger.coverage(number).points == 0
        assert engine.run_once().allowances is not None, "a covered redemption pushed: asked, topped up"
        assert dublin.ledger.coverage(number).points == ALLOWANCE
    finally:
        engine.close()
    engine = dublin.engine(allowance_interval=0.0)
    try:
        assert all(engine.run_once().allowances is not None for _ in range(2)), "the interval passed: asked"
    finally:
        engine.close()
