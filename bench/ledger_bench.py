"""Benchmark: 10,000 mixed till verbs through the ledger vs the same rows inserted with plain sqlite3.

Run: .venv/bin/python bench/ledger_bench.py [--count 10000]
Both sides use a file database in WAL mode with synchronous=FULL and one commit per transaction.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("LOYALTY_ARGON2_FAST", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.ledger import Ledger, Recorded, Refused, StaffView, open_ledger  # noqa: E402
from sync.pins import hash_pin  # noqa: E402
from sync.ports import DeviceIdentity  # noqa: E402
from sync.protocol import Program, ProgramType, PullResponse, Reward, Role, StaffOut, StoreOut  # noqa: E402

CARDS = 500
Group = list[tuple[object, ...]]  # the transaction rows of one commit
IDENTITY = DeviceIdentity(
    device_id="bench-till",
    token="bench-token",
    server_url="http://127.0.0.1:1",
    store_id=1,
    store_name="Bench Street",
    store_timezone="Europe/Paris",
    merchant_id=1,
    merchant_name="Bench Coffee",
)
PROGRAM = Program(
    version=1,
    type=ProgramType.HYBRID,
    stamps_target=8,
    points_per_currency_unit=1,
    rewards=[Reward(id="cake", name="Cake", points_cost=30)],
    welcome_bonus_points=10,
    max_daily_stamps=100,
)
MANAGER = StaffView(id=1, name="Bench Manager", role=Role.STORE_MANAGER, store_id=None, is_active=True)
OWNER = StaffView(id=2, name="Bench Owner", role=Role.MERCHANT_OWNER, store_id=None, is_active=True)


def seeded_ledger(path: Path) -> Ledger:
    ledger = open_ledger(path)
    ledger.save_identity(IDENTITY)
    pin_hash = hash_pin("1234")
    staff = [
        StaffOut(id=m.id, name=m.name, role=m.role, store_id=None, pin_hash=pin_hash, is_active=True)
        for m in (MANAGER, OWNER)
    ]
    store = StoreOut(id=1, name="Bench Street", timezone="Europe/Paris")
    page = PullResponse(store=store, program=PROGRAM, staff=staff, cards=[], cursor="0", has_more=False)
    ledger.apply_pull_page(page)
    return ledger


class Mix:
    """Chooses the next verb from what the till's views say is possible, like a busy shop would."""

    def __init__(self, ledger: Ledger, rng: random.Random) -> None:
        self.ledger = ledger
        self.rng = rng
        self.cards: list[str] = []
        self.state: dict[str, tuple[int, int]] = {}
        self.earned: list[tuple[str, str]] = []  # (transaction id, kind) that may be voided

    def next_verb(self, index: int) -> Callable[[], Recorded]:
        ledger, rng = self.ledger, self.rng
        if len(self.cards) < CARDS and (not self.cards or rng.random() < 0.06):
            number = f"BENCH-{len(self.cards):05d}"
            self.cards.append(number)
            return lambda: ledger.enrol_card(MANAGER, number, customer_name=f"Customer {number}")
        card = rng.choice(self.cards)
        stamps, points = self.state.get(card, (0, 10))
        roll = rng.random()
        if stamps >= PROGRAM.stamps_target and roll < 0.3:
            return lambda: ledger.redeem_stamps(MANAGER, card)
        if points >= 30 and roll < 0.3:
            return lambda: ledger.redeem_reward(MANAGER, card, "cake")
        if roll < 0.06 and self.earned:
            tx_id, _kind = self.earned.pop(rng.randrange(len(self.earned)))
            return lambda: ledger.void(MANAGER, tx_id)
        if roll < 0.08:
            return lambda: ledger.adjust(OWNER, card, points_delta=5, reason="goodwill")
        if roll < 0.5:
            return lambda: ledger.add_stamp(MANAGER, card)
        amount = rng.randrange(100, 5000)
        return lambda: ledger.earn_points(
            MANAGER, card, purchase_amount_cents=amount, order_reference=f"order-{index}"
        )

    def remember(self, recorded: Recorded) -> None:
        self.state[recorded.card.card_number] = (recorded.card.stamp_count, recorded.card.points_balance)
        tx = recorded.transaction
        if tx.remaining_voidable:
            self.earned.append((tx.id, tx.type.value))


class PlainSqlite:
    """The baseline: the same rows inserted with plain sqlite3, same schema and durability.

    `with_card_rows` also makes the ledger's other writes of each verb (the card's row and the
    device's seq counter), to show what the cached card view costs.
    """

    def __init__(self, path: Path, *, with_card_rows: bool) -> None:
        open_ledger(path).close()  # the same schema, made by the same migrations
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=OFF")  # card rows are not part of the plain baseline
        self.with_card_rows = with_card_rows
        self.elapsed = 0.0
        self.commits = 0
        self.latencies: list[float] = []

    def insert(self, groups: list[Group], card_rows: dict[str, tuple[object, ...]]) -> None:
        conn = self.conn
        for group in groups:
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            if self.with_card_rows:
                conn.execute("UPDATE device_state SET last_seq = last_seq + ? WHERE id = 1", (len(group),))
                row = card_rows[str(group[0][5])]
                conn.execute(f"INSERT OR REPLACE INTO cards VALUES ({', '.join('?' * len(row))})", row)
            conn.executemany(f"INSERT INTO transactions VALUES ({', '.join('?' * len(group[0]))})", group)
            conn.execute("COMMIT")
            self.latencies.append(time.perf_counter() - started)
        self.elapsed = sum(self.latencies)
        self.commits = len(self.latencies)


def committed_groups(conn: sqlite3.Connection, after_seq: int) -> list[Group]:
    """The ledger's transaction rows after `after_seq`, grouped as committed (an enrolment writes two)."""
    groups: list[Group] = []
    for row in conn.execute("SELECT * FROM transactions WHERE seq > ? ORDER BY seq", (after_seq,)):
        if row[4] == "welcome_bonus" and groups:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


@dataclass
class Result:
    ledger_elapsed: float
    latencies: list[float]
    refused: int
    plain: PlainSqlite
    same_writes: PlainSqlite


def run(folder: Path, count: int, *, block: int = 20) -> Result:
    """Ledger verbs and plain inserts take turns in blocks, so both meet the same machine load."""
    ledger_path = folder / "ledger.db"
    ledger = seeded_ledger(ledger_path)
    reader = sqlite3.connect(ledger_path)
    plain = PlainSqlite(folder / "plain.db", with_card_rows=False)
    same_writes = PlainSqlite(folder / "plain-same-writes.db", with_card_rows=True)
    mix = Mix(ledger, random.Random(20260301))
    latencies: list[float] = []
    refused, ledger_elapsed, last_seq = 0, 0.0, 0
    for first in range(0, count, block):
        started = time.perf_counter()
        for index in range(first, min(first + block, count)):
            verb = mix.next_verb(index)
            before = time.perf_counter()
            try:
                recorded = verb()
            except Refused:
                refused += 1
                continue
            finally:
                latencies.append(time.perf_counter() - before)
            mix.remember(recorded)
        ledger_elapsed += time.perf_counter() - started
        groups = committed_groups(reader, last_seq)
        last_seq = int(str(groups[-1][-1][0]))
        card_rows = {str(row[0]): row for row in reader.execute("SELECT * FROM cards")}
        plain.insert(groups, card_rows)
        same_writes.insert(groups, card_rows)
    reader.close()
    ledger.close()
    return Result(ledger_elapsed, latencies, refused, plain, same_writes)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as folder:
        result = run(Path(folder), args.count)
    elapsed, latencies = result.ledger_elapsed, result.latencies
    plain, same_writes = result.plain, result.same_writes
    verbs_rate = args.count / elapsed
    plain_rate = plain.commits / plain.elapsed
    print(
        f"ledger verbs:      {args.count} in {elapsed:.2f} s = {verbs_rate:,.0f} verbs/s "
        f"({result.refused} refused)"
    )
    print(f"plain sqlite3:     {plain.commits} transactions in {plain.elapsed:.2f} s = {plain_rate:,.0f}/s")
    print(
        f"  (same writes as the ledger, card row and seq counter included: "
        f"{same_writes.commits / same_writes.elapsed:,.0f}/s)"
    )
    print(f"ratio ledger / plain sqlite3: {verbs_rate / plain_rate:.2f}  (target >= 0.5)")
    print(
        f"verb latency: p50 {percentile(latencies, 0.5) * 1000:.2f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.2f} ms (target < 5 ms), "
        f"mean {statistics.fmean(latencies) * 1000:.2f} ms"
    )
    print(
        f"  (plain sqlite3 commit: p50 {percentile(plain.latencies, 0.5) * 1000:.2f} ms, "
        f"p99 {percentile(plain.latencies, 0.99) * 1000:.2f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
