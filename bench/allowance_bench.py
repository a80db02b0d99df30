"""Benchmark: a till's sync rounds with offline spending allowances on (it holds them on 5,000 of its
store's regular cards) against the same till with allowances off, both measured in the same run.

    .venv/bin/python bench/allowance_bench.py [--cards 5000] [--transactions 10000]
        [--changed-cards 1000] [--rounds 5] [--check]

One store, its 5,000 regulars (cards with purchases there in the last 25 days) and 1,000 other
cards; two worlds alike but for the programme (allowances of one free coffee a card, or none).
With allowances on, the till asked once and holds 5,000 allowances. Each round clones both worlds
and copies the till's ledger, then, alternating which world goes first at each step:
- push: the till's offline backlog (sales, and one in ten a free coffee: within its allowance, so
  covered and citing it, when allowances are on) syncs in one SyncEngine round (push, pull, and
  with allowances on the allowance request that ends the round: the engine's first, and it
  pushed redemptions citing an allowance);
- pull: another till of the store changes `--changed-cards` cards; the till's next round pulls
  them (no ask: nothing of its allowances was spent, the interval has not passed);
- quiet: a round with nothing to push or pull (the worker runs one every minute);
- interval: the same, once the engine's allowance interval (5 minutes) has passed: with
  allowances on, the till asks for them though nothing changed (the cost of keeping them fresh).
The till's engine is kept across its rounds, as the till's worker keeps it: with allowances on it
asks for them in its first round, after a round that pushed redemptions citing one, and once the
interval has passed. The ratios of push, pull and quiet are judged against the target; the
periodic ask is printed with what it adds over a round a minute.
Medians are printed with the ratio on / off beside the target. `--check`: a tiny run (a smoke test;
its ratios mean little), exit 2 when an outcome is wrong.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); creates and drops its databases.
Target: with allowances on, within 10% of off (<= 1.10 x).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("LOYALTY_ARGON2_FAST", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.allowance_world import (  # noqa: E402
    CASHIER_PIN,
    MANAGER_PIN,
    REWARD,
    REWARD_POINTS,
    Chain,
    ChainPlan,
    TillIssued,
    build_chain,
    databases,
    earns,
    new_database,
    serving,
    set_program,
    vacuum_analyze,
)
from desktop.ledger import Ledger, open_ledger  # noqa: E402
from sync.engine import ALLOWANCE_ASK_INTERVAL, SyncEngine  # noqa: E402
from sync.enrolment import adopt_device  # noqa: E402
from sync.protocol import MAX_BATCH_ITEMS, AllowanceRequest, AllowanceResponse  # noqa: E402
from sync.transport import SyncClient  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

TARGET_RATIO = 1.10
WORKER_INTERVAL = 60.0  # the till's worker runs a round a minute when nothing happens
MODES = ("on", "off")
STEPS = ("push", "pull", "quiet", "interval")


class TimedClient(SyncClient):
    """The till's client, timing its allowance requests."""

    allowance_seconds = 0.0

    def allowances(self, request: AllowanceRequest) -> AllowanceResponse | None:
        started = time.perf_counter()
        try:
            return super().allowances(request)
        finally:
            self.allowance_seconds += time.perf_counter() - started


@dataclass
class World:
    """One world's template database and the till's ledger file (backlog recorded), per mode."""

    template: str
    ledger_path: Path
    covered: int = 0  # redemptions in the backlog that cite an allowance


@dataclass
class Timings:
    seconds: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (step, mode)
    allowance: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)

    def add(self, step: str, mode: str, seconds: float, allowance: float) -> None:
        self.seconds.setdefault((step, mode), []).append(seconds)
        self.allowance.setdefault((step, mode), []).append(allowance)


@dataclass
class TillSync:
    """The till's sync engine, kept across its rounds as the till's worker keeps it."""

    ledger: Ledger
    client: TimedClient
    engine: SyncEngine

    @classmethod
    def start(cls, ledger: Ledger, server: LiveServer, till: TillIssued, **options: float) -> TillSync:
        client = TimedClient(server.url, till.token, timeout=120)
        client.pull(None, 1)  # a warm connection, as a till's worker keeps
        return cls(ledger, client, SyncEngine(ledger, client, **options))

    def round(self) -> tuple[float, float, int, int]:
        """One timed round: (seconds, of which the allowance request, accepted, pending left)."""
        asked_before = self.client.allowance_seconds
        started = time.perf_counter()
        report = self.engine.run_once()
        seconds = time.perf_counter() - started
        asking = self.client.allowance_seconds - asked_before
        return seconds, asking, report.accepted, self.ledger.pending_summary().count

    def close(self) -> None:
        self.engine.close()


def sync_round(ledger: Ledger, server: LiveServer, till: TillIssued) -> tuple[float, float, int, int]:
    """One timed round of a new engine (it asks for allowances in its first round)."""
    sync = TillSync.start(ledger, server, till)
    try:
        return sync.round()
    finally:
        sync.close()


def record_backlog(ledger: Ledger, chain: Chain, *, count: int, seed: int) -> int:
    """A day offline at the till: sales on its store's cards, and one in ten a free coffee when
    the card (as the till sees it) can pay. Returns how many redemptions cite an allowance."""
    till = chain.tills[0]
    staff = ledger.login(till.cashier_id, CASHIER_PIN)
    manager = ledger.login(till.manager_id, MANAGER_PIN)  # approves what no allowance covers
    cards = sorted(chain.balances)
    rng = random.Random(seed)
    for index in range(count):
        number = rng.choice(cards)
        cents = 500 + rng.randrange(4000)
        view = ledger.find_card(number)
        if index % 10 == 0 and view is not None and view.points_balance >= REWARD_POINTS:
            ledger.redeem_reward(staff, number, REWARD, approved_by=manager)
        else:
            ledger.earn_points(staff, number, purchase_amount_cents=cents, order_reference=f"s{index}")
    return sum(1 for tx in ledger.pending_transactions(count) if tx.allowance_id is not None)


def prepare(workdir: Path, names: list[str], args: argparse.Namespace) -> tuple[Chain, dict[str, World]]:
    base = new_database(names)
    # Cards that can each spare a whole allowance (a till holds only beyond one kept free for anyone).
    plan = ChainPlan(
        stores=1, tills=2, regulars_per_store=args.cards, others=args.cards // 5, opening=(600, 1500)
    )
    print(f"building the world: {args.cards} regulars, {args.cards // 5} other cards ...", flush=True)
    chain = build_chain(base, plan)
    worlds = {}
    for mode in MODES:
        template = new_database(names, template=base)
        set_program(template, allowances=mode == "on")
        path = workdir / mode / "ledger.db"
        till = chain.tills[0]
        with serving(template, workdir / f"{mode}-template.log") as server:
            ledger = open_ledger(path)
            adopt_device(ledger, server.url, till.device_id, till.token, merchant_id=chain.merchant_id)
            sync_round(ledger, server, till)  # with allowances on, the till asks for them
            held = ledger.coverage(chain.regulars[0][0]).allowance_id is not None
            if held != (mode == "on"):
                raise SystemExit(
                    f"allowances {mode}: the till {'holds none' if mode == 'on' else 'holds some'}"
                )
        vacuum_analyze(template)  # what autovacuum would have done; the clones start with it
        print(f"recording {args.transactions} transactions at the till (allowances {mode}) ...", flush=True)
        covered = record_backlog(ledger, chain, count=args.transactions, seed=args.transactions)
        ledger.close()
        worlds[mode] = World(template, path, covered)
    return chain, worlds


def one_round(
    workdir: Path,
    names: list[str],
    number: int,
    chain: Chain,
    worlds: dict[str, World],
    args: argparse.Namespace,
) -> Timings:
    timings = Timings()
    order = MODES if number % 2 else MODES[::-1]
    till, other = chain.tills
    changed = random.Random(1).sample(sorted(chain.balances), args.changed_cards)
    with ExitStack() as stack:
        servers, ledgers = {}, {}
        for mode in order:
            servers[mode] = stack.enter_context(
                serving(new_database(names, template=worlds[mode].template), workdir / f"{mode}{number}.log")
            )
            copy = workdir / f"round{number}-{mode}" / "ledger.db"
            copy.parent.mkdir()
            shutil.copy(worlds[mode].ledger_path, copy)
            ledgers[mode] = open_ledger(copy)
            stack.callback(ledgers[mode].close)
        syncs = {mode: TillSync.start(ledgers[mode], servers[mode], till) for mode in order}
        for sync in syncs.values():
            stack.callback(sync.close)
        for step in STEPS:
            for mode in order:
                if step == "pull":
                    push_changes(servers[mode], other, changed)
                if step == "interval":  # the worker's round after ALLOWANCE_ASK_INTERVAL
                    syncs[mode] = TillSync.start(ledgers[mode], servers[mode], till, allowance_interval=0.0)
                    stack.callback(syncs[mode].close)
                backlog = ledgers[mode].pending_summary().count
                seconds, allowance, accepted, left = syncs[mode].round()
                timings.add(step, mode, seconds, allowance)
                if accepted != backlog or left:
                    timings.faults.append(f"{step} ({mode}): {accepted} of {backlog} accepted, {left} left")
    line = ", ".join(
        f"{step} on {timings.seconds[step, 'on'][0]:5.2f} s / off {timings.seconds[step, 'off'][0]:5.2f} s"
        for step in STEPS
    )
    print(f"  round {number}: {line}", flush=True)
    return timings


def push_changes(server: LiveServer, till: TillIssued, numbers: list[str]) -> None:
    """Another till of the store sells to each of the cards (untimed)."""
    txs = earns(numbers, staff_id=till.cashier_id, first_seq=1, at=lambda _: datetime.now(UTC))
    with SyncClient(server.url, till.token, timeout=120) as client:
        for start in range(0, len(txs), MAX_BATCH_ITEMS):
            answer = client.push(txs[start : start + MAX_BATCH_ITEMS], str(uuid.uuid4()))
            if any(result.reason is not None for result in answer.results):
                raise SystemExit("another till's sales were refused")


@contextmanager
def workspace() -> Iterator[tuple[Path, list[str]]]:
    with tempfile.TemporaryDirectory() as tmp, databases() as names:
        yield Path(tmp), names


def report(rounds: list[Timings], worlds: dict[str, World], args: argparse.Namespace) -> bool:
    """Prints the medians and ratios; True when every ratio is within the target."""
    labels = {
        "push": f"push: {args.transactions:,}-transaction backlog",
        "pull": f"pull: {args.changed_cards:,} changed cards",
        "quiet": "quiet round: nothing changed",
        "interval": "the periodic ask: nothing changed",
    }
    print(f"\nallowances on: the till holds {args.cards:,} allowances; {worlds['on'].covered:,} backlog")
    print(
        f"redemptions cite one (allowances off: {worlds['off'].covered}). Medians of {len(rounds)} round(s):"
    )
    within = True
    for step in STEPS:
        on, off = (statistics.median(s for r in rounds for s in r.seconds[step, mode]) for mode in MODES)
        asking = statistics.median(s for r in rounds for s in r.allowance[step, "on"])
        ratio = on / off
        print(f"{labels[step]:40s} off {off:6.3f} s   on {on:6.3f} s (allowance request {asking:6.3f} s)")
        if step == "interval":
            rounds_between = ALLOWANCE_ASK_INTERVAL / WORKER_INTERVAL
            print(
                f"{'':40s} once every {ALLOWANCE_ASK_INTERVAL / 60:.0f} min: +{on - off:.3f} s, "
                f"over a round a minute +{(on - off) / rounds_between:.3f} s a round"
            )
            continue
        within = within and ratio <= TARGET_RATIO
        print(f"{'':40s} ratio on / off {ratio:5.2f} x   (target within 10%: <= {TARGET_RATIO:.2f} x)")
    return within


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cards", type=int, default=5000, help="the store's regulars (allowances held)")
    parser.add_argument("--transactions", type=int, default=10_000, help="the till's offline backlog")
    parser.add_argument("--changed-cards", type=int, default=1000, help="cards another till changes")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="a tiny run: 300 cards, 600 transactions")
    args = parser.parse_args(argv)
    if args.check:
        args.cards, args.transactions, args.changed_cards, args.rounds = 300, 600, 100, 1
    args.changed_cards = min(args.changed_cards, args.cards)
    with workspace() as (workdir, names):
        chain, worlds = prepare(workdir, names, args)
        rounds = [one_round(workdir, names, n, chain, worlds, args) for n in range(1, args.rounds + 1)]
    within = report(rounds, worlds, args)
    faults = [fault for r in rounds for fault in r.faults]
    if worlds["on"].covered == 0 or worlds["off"].covered:
        faults.append("the backlog's covered redemptions are not as the allowances say")
    print("\n".join(faults) if faults else "every transaction accepted, nothing pending")
    print("within target" if within else "OUTSIDE TARGET")
    return 2 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
