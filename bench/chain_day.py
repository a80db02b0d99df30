"""Simulation: a coffee chain's day with offline spending allowances on, against the same day with
them off, on real tills (ledger files, the sync engine) and the real server (PostgreSQL, over HTTP).

    .venv/bin/python bench/chain_day.py [--stores 30] [--tills 50] [--regulars 150] [--travellers 300]
        [--visits 120] [--offline-share 0.2] [--offline-hours 4] [--redeem 0.2]
        [--opening-min 0] [--opening-max 600] [--check]

The chain: `--tills` tills at `--stores` stores (till i at store i mod stores, so most stores have
two), each store with its regulars (cards with a purchase there in the last 25 days) and travellers
that are regulars of two to four stores; every card opens the day with 0 to 600 points (plus
last month's; `--opening-min/--opening-max`). The programme: 10 points a euro, a free coffee for
300 points; with allowances on, each till may hold one coffee's worth on each of its store's
regulars (of what no other till holds, beyond one coffee's worth kept free for anyone:
docs/allowances.md).

The day (12 hours, simulated): each till serves `--visits` customers (scaled down from a busy
shop's 300 or so, to run in a few minutes), regulars of its store, at random times. A customer
whose card, as the till sees it, can pay takes a free coffee with probability `--redeem` (about
one visit in ten redeems); the rest buy (1.50 to 6.50 euros). `--offline-share` of the tills lose
their line for `--offline-hours` at a random time (just after a good round). Online, a till runs
a sync round every 15 minutes and around each redemption (one just before, standing for the
worker's minute round, and one right after, as the worker does), so an online redemption is
judged while the customer is there; with allowances on, a till's engine asks for them as a
till's does (its first round, after a round that pushed redemptions citing one, and every 5
minutes of its clock).
A till's manager approves every redemption no allowance covers offline (at risk). The same
customers come, in the same order, with allowances on and off; each run has fresh databases.

Time: the tills and the engine run on a simulated clock (the ledger's `clock=`); the server keeps
its own. The day is placed in the 13 hours before the run, so every transaction time is in the
server's past, and an allowance (valid 12 hours from its last renewal, at the server's now) never
ends during the day: as in a real day, where an online till has its allowances renewed well
before they end, and a 4-hour outage ends long before them.

This machine's PostgreSQL runs without autovacuum (a CI setting), so the day runs VACUUM ANALYZE
every simulated hour in its stead: otherwise the allowances table, filled during the day, keeps
the statistics of an empty one and its queries are planned badly.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); creates and drops its databases.
`--check`: a tiny day (3 stores, 4 tills, 60 visits each, two offline), exit 2 when an invariant fails.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("LOYALTY_ARGON2_FAST", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from bench.allowance_world import (  # noqa: E402
    ADMIN_DSN,
    ChainPlan,
    TillIssued,
    build_chain,
    databases,
    new_database,
    serving,
    set_program,
    vacuum_analyze,
)
from bench.chain_day_tills import DayResult, Event, SimClock, Tills  # noqa: E402
from desktop.ledger import open_ledger  # noqa: E402
from sync.enrolment import adopt_device  # noqa: E402

DAY = timedelta(hours=12)
SYNC_EVERY = timedelta(minutes=15)


@dataclass(frozen=True)
class Day:
    start: datetime
    events: list[Event] = field(default_factory=list)
    offline: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)  # till -> window


def plan_day(chain_tills: list[TillIssued], regulars: list[list[str]], args: argparse.Namespace) -> Day:
    """Who comes where and when, the tills' rounds, and the outages: drawn once for both runs."""
    rng = random.Random(args.seed)
    start = (datetime.now(UTC) - DAY - timedelta(hours=1)).replace(second=0, microsecond=0)
    day = Day(start=start)
    outages = max(1, round(args.offline_share * len(chain_tills))) if args.offline_share > 0 else 0
    for index in sorted(rng.sample(range(len(chain_tills)), outages)):
        begins = start + timedelta(hours=1) + (DAY - timedelta(hours=2 + args.offline_hours)) * rng.random()
        day.offline[index] = (begins, begins + timedelta(hours=args.offline_hours))
    for index, till in enumerate(chain_tills):
        customers = regulars[till.store_index]
        for _ in range(args.visits):
            at = start + DAY * rng.random()
            card = rng.choice(customers)
            day.events.append(
                Event(at, "visit", index, card=card, cents=rng.randrange(150, 651), wants=rng.random())
            )
        phase = SYNC_EVERY * rng.random()
        moment = start + phase
        while moment < start + DAY:
            day.events.append(Event(moment, "round", index))
            moment += SYNC_EVERY
        if index in day.offline:
            begins, ends = day.offline[index]
            day.events.extend([Event(begins, "line_down", index), Event(ends, "line_up", index)])
    for hour in range(1, 12):  # autovacuum's work, which this machine's CI configuration turns off
        day.events.append(Event(start + timedelta(hours=hour), "vacuum", -1))
    day.events.sort(key=lambda event: (event.at, event.till, event.kind))
    for number, event in enumerate(day.events):
        event.number = number
    return day


@dataclass(frozen=True)
class ChainPlanned:
    tills: list[TillIssued]
    regulars: list[list[str]]
    ledgers: Path  # till{i}/ledger.db, adopted, every card pulled


def prepare(workdir: Path, names: list[str], args: argparse.Namespace) -> tuple[str, ChainPlanned]:
    """The chain's database (a template for both runs) and its tills' ledgers, adopted and pulled."""
    base = new_database(names)
    plan = ChainPlan(
        stores=args.stores,
        tills=args.tills,
        regulars_per_store=args.regulars,
        travellers=args.travellers,
        opening=(args.opening_min, args.opening_max),
        history_before=datetime.now(UTC) - DAY - timedelta(hours=1),
        seed=args.seed,
    )
    started = time.perf_counter()
    chain = build_chain(base, plan)
    cards = len(chain.balances)
    print(f"chain built: {args.tills} tills at {args.stores} stores, {cards:,} cards", flush=True)
    ledgers = workdir / "ledgers"
    with serving(base, workdir / "base.log") as server:
        for index, till in enumerate(chain.tills):
            ledger = open_ledger(ledgers / f"till{index}" / "ledger.db")
            adopt_device(ledger, server.url, till.device_id, till.token, merchant_id=chain.merchant_id)
            ledger.close()
    vacuum_analyze(base)
    print(f"tills adopted, every card pulled ({time.perf_counter() - started:.0f} s)", flush=True)
    return base, ChainPlanned(chain.tills, chain.regulars, ledgers)


def run_day(
    mode: str, workdir: Path, names: list[str], base: str, chain: ChainPlanned, day: Day, *, redeem: float
) -> DayResult:
    """The day on a fresh clone of the chain and fresh copies of its ledgers."""
    name = new_database(names, template=base)
    set_program(name, allowances=mode == "on")
    folder = workdir / mode
    shutil.copytree(chain.ledgers, folder)
    clock = SimClock(day.start)
    started = time.perf_counter()
    with serving(name, workdir / f"{mode}.log") as server:
        tills = Tills.open(folder, chain.tills, server.url, clock, redeem=redeem)
        try:
            result = tills.live(day.events, end=day.start + DAY, vacuum=lambda: vacuum_analyze(name))
        finally:
            tills.close()
    result.outcomes_from(folder)
    result.server_faults = server_faults(name)
    print(f"  allowances {mode}: the day took {time.perf_counter() - started:.0f} s", flush=True)
    return result


def server_faults(name: str) -> int:
    """Cards whose balance is negative, differs from its accepted ledger, or does not cover its holds."""
    dsn = f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM cards c LEFT JOIN (SELECT merchant_id, card_number, sum(points_delta) AS s"
            " FROM transactions WHERE status = 'accepted' GROUP BY merchant_id, card_number) t"
            " ON t.merchant_id = c.merchant_id AND t.card_number = c.card_number"
            " WHERE c.points_balance < 0 OR c.points_balance <> coalesce(t.s, 0)"
            " OR c.held_points > c.points_balance"
        ).fetchone()
    assert row is not None
    return int(row[0])


def share(part: int, whole: int) -> str:
    return f"{part:,} ({100 * part / whole:.1f}%)" if whole else f"{part:,} (-)"


def report(results: dict[str, DayResult], day: Day, chain: ChainPlanned, args: argparse.Namespace) -> None:
    off, on = results["off"], results["on"]
    stores = Counter(till.store_index for till in chain.tills)
    shared = {i for i, till in enumerate(chain.tills) if stores[till.store_index] > 1}
    alone = set(range(len(chain.tills))) - shared
    print(
        f"\nchain day: {args.tills} tills at {args.stores} stores ({len(shared)} of them at stores with two"
        f" or more), 12 h, {args.visits} visits a till; {len(day.offline)} tills offline for"
        f" {args.offline_hours:g} h"
    )
    print(f"{'':48s}{'allowances off':>18s}{'allowances on':>18s}")

    def row(label: str, value: Callable[[DayResult], str]) -> None:
        print(f"{label:48s}{value(off):>18s}{value(on):>18s}")

    row("visits", lambda r: f"{r.visits:,}")
    row("redemptions (share of visits)", lambda r: share(r.redemptions, r.visits))
    row("  offline (line down)", lambda r: f"{r.offline:,}")
    row("    covered by an allowance", lambda r: share(r.covered_offline, r.offline))
    row("    at risk (a manager approved)", lambda r: share(r.at_risk, r.offline))
    row("    refused after the customer left", lambda r: share(r.refused_offline, r.offline))
    row("  online", lambda r: f"{r.online:,}")
    row("    covered by an allowance", lambda r: share(r.covered_online, r.online))
    row("    refused with the customer there", lambda r: share(r.refused_online, r.online))
    row("      the card had the points (held elsewhere)", lambda r: f"{r.refused_held_elsewhere:,}")
    row("    refused, tills at stores with one till", lambda r: _refused_at(r, alone))
    row("    refused, tills at stores with two or more", lambda r: _refused_at(r, shared))
    row("refused redemptions, all", lambda r: share(r.refused, r.redemptions))
    row("turned away by the till (rules)", lambda r: f"{r.turned_away:,}")
    print(f"\nshare of offline redemptions covered (allowances on): {share(on.covered_offline, on.offline)}")
    print(
        f"refused redemptions: with allowances {share(on.refused, on.redemptions)},"
        f" without {share(off.refused, off.redemptions)}"
    )
    print(f"at-risk redemptions: with allowances {on.at_risk:,}, without {off.at_risk:,} (every offline one)")


def _refused_at(result: DayResult, tills: set[int]) -> str:
    return f"{result.online_at(tills, refused=True):,} of {result.online_at(tills):,}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--tills", type=int, default=50)
    parser.add_argument("--regulars", type=int, default=150, help="a store's own regulars")
    parser.add_argument("--travellers", type=int, default=300, help="cards regular at 2 to 4 stores")
    parser.add_argument("--visits", type=int, default=120, help="customers a till serves in the day")
    parser.add_argument("--offline-share", type=float, default=0.2)
    parser.add_argument("--offline-hours", type=float, default=4.0)
    parser.add_argument("--redeem", type=float, default=0.2, help="chance a customer who can pay redeems")
    parser.add_argument("--opening-min", type=int, default=0, help="a card's fewest points at dawn")
    parser.add_argument("--opening-max", type=int, default=600, help="a card's most points at dawn")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--check", action="store_true", help="a tiny day: 3 stores, 4 tills")
    args = parser.parse_args(argv)
    if args.check:
        args.stores, args.tills, args.regulars, args.travellers, args.visits = 3, 4, 20, 6, 60
        args.offline_share = 0.5
    with tempfile.TemporaryDirectory() as tmp, databases() as names:
        workdir = Path(tmp)
        base, chain = prepare(workdir, names, args)
        day = plan_day(chain.tills, chain.regulars, args)
        results = {
            mode: run_day(mode, workdir, names, base, chain, day, redeem=args.redeem)
            for mode in ("off", "on")
        }
    report(results, day, chain, args)
    faults = [f"allowances {mode}: {fault}" for mode, result in results.items() for fault in result.faults()]
    print("\n".join(faults) if faults else "every covered redemption accepted; balances equal their ledgers")
    return 2 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
