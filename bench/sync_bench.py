"""Benchmark: a till's 10,000-transaction backlog syncing to a PostgreSQL-backed server over loopback,
beside the server's ingest of the same transactions posted directly (no till), in one run.

    .venv/bin/python bench/sync_bench.py [--transactions 10000] [--new-cards 300] [--rounds 7] [--check]

The backlog is a weekend offline: `--new-cards` customers enrolled at the till (a card and a
welcome bonus each), then sales and some reward redemptions over old and new cards. The
seeded database is a template; each round clones it twice (one server for the till, one for
the direct posts) and copies the till's ledger file, so every round starts from the same
state. The order of the two alternates; medians are printed.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); creates and drops its databases.
Target: the backlog syncs in under 5 s and within 1.5 x the direct ingest.
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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("LOYALTY_ARGON2_FAST", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from desktop.ledger import Ledger, Refused, open_ledger  # noqa: E402
from sync.engine import SyncEngine  # noqa: E402
from sync.enrolment import adopt_device  # noqa: E402
from sync.protocol import MAX_BATCH_ITEMS, Tx, TxStatus  # noqa: E402
from sync.transport import SyncClient  # noqa: E402
from tests.support.live_server import LiveServer, seed_demo, start_server  # noqa: E402

ADMIN_DSN = os.environ.get("LOYALTY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_SECONDS = 5.0
TARGET_RATIO = 1.5


def _url(name: str) -> str:
    return ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)  # names are ours, made below


@contextmanager
def databases() -> Iterator[list[str]]:
    """Collects the databases made during the run and drops them all at the end."""
    names: list[str] = []
    try:
        yield names
    finally:
        for name in names:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_database(names: list[str], *, template: str | None = None) -> str:
    name = f"loyalty_bench_{uuid.uuid4().hex[:10]}"
    names.append(name)
    _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


@contextmanager
def serving(name: str, log_path: Path) -> Iterator[LiveServer]:
    server = start_server(_url(name), log_path=log_path)
    try:
        yield server
    finally:
        server.stop()


def first_device(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    merchant = document["merchants"][0]
    return merchant, merchant["devices"][0]


def record_backlog(ledger: Ledger, document: dict[str, Any], *, count: int, new_cards: int) -> None:
    """A weekend offline at the till: new customers, then sales and some redemptions."""
    merchant, device = first_device(document)
    store_staff = [s for s in merchant["staff"] if s["store_id"] == device["store_id"]]
    cashier = next(s for s in store_staff if s["role"] == "staff")
    staff = ledger.login(cashier["id"], cashier["pin"])
    cards = [card["card_number"] for card in merchant["cards"] if card["is_active"]]
    for index in range(new_cards):
        cards.append(f"WKND-{index:05d}")
        ledger.enrol_card(staff, cards[-1], customer_name=f"Weekend customer {index}")
    reward = merchant["program"]["rewards"][0]["id"]
    rng = random.Random(10_000)
    index = 0
    while ledger.pending_summary().count < count:
        card = rng.choice(cards)
        index += 1
        if index % 50 == 0:
            try:
                ledger.redeem_reward(staff, card, reward)
                continue
            except Refused:
                pass  # not enough points on this card: a sale instead
        cents = 500 + rng.randrange(4000)
        ledger.earn_points(staff, card, purchase_amount_cents=cents, order_reference=f"s{index}")


def direct_ingest(server: LiveServer, document: dict[str, Any], backlog: list[Tx]) -> tuple[float, int]:
    """POST the same transactions straight to the server in full batches: (seconds, accepted)."""
    _, device = first_device(document)
    accepted = 0
    with SyncClient(server.url, device["token"], timeout=60) as client:
        client.pull(None, 1)  # a warm connection, as the till has after its first pull
        started = time.perf_counter()
        for start in range(0, len(backlog), MAX_BATCH_ITEMS):
            answer = client.push(backlog[start : start + MAX_BATCH_ITEMS], str(uuid.uuid4()))
            accepted += sum(r.status is TxStatus.ACCEPTED for r in answer.results)
        return time.perf_counter() - started, accepted


def till_sync(ledger_path: Path, server: LiveServer) -> tuple[float, int, int]:
    """One sync round of the till's ledger: (seconds, accepted, pending left)."""
    ledger = open_ledger(ledger_path)
    try:
        identity = ledger.identity()
        assert identity is not None
        engine = SyncEngine(ledger, SyncClient(server.url, identity.token, timeout=60))
        engine.client.pull(None, 1)  # the same warm connection as the direct posts
        try:
            started = time.perf_counter()
            report = engine.run_once()
            seconds = time.perf_counter() - started
        finally:
            engine.close()
        return seconds, report.accepted, ledger.pending_summary().count
    finally:
        ledger.close()


def prepare(workdir: Path, names: list[str], args: argparse.Namespace) -> tuple[str, dict[str, Any], Path]:
    """The seeded template database, and a ledger file with the backlog (adopted as device 1)."""
    template = new_database(names)
    document = seed_demo(_url(template))
    ledger_path = workdir / "till" / "ledger.db"
    merchant, device = first_device(document)
    with serving(template, workdir / "template.log") as server:
        ledger = open_ledger(ledger_path)
        adopt_device(
            ledger,
            server.url,
            device["device_id"],
            device["token"],
            merchant_id=merchant["id"],
            merchant_name=merchant["name"],
        )
    print(
        f"recording {args.transactions} transactions at the till ({args.new_cards} new cards) ...", flush=True
    )
    record_backlog(ledger, document, count=args.transactions, new_cards=args.new_cards)
    ledger.close()
    return template, document, ledger_path


def one_round(
    workdir: Path, names: list[str], number: int, setup: tuple[str, dict[str, Any], Path]
) -> tuple[float, float, bool]:
    """(direct seconds, till seconds, same outcome) on fresh clones; the order alternates."""
    template, document, ledger_path = setup
    copy = workdir / f"round{number}" / "ledger.db"
    copy.parent.mkdir()
    shutil.copy(ledger_path, copy)
    ledger = open_ledger(copy)
    backlog = ledger.pending_transactions(ledger.pending_summary().count)
    ledger.close()
    direct_db, till_db = new_database(names, template=template), new_database(names, template=template)
    with (
        serving(direct_db, workdir / f"direct{number}.log") as direct,
        serving(till_db, workdir / f"till{number}.log") as till,
    ):
        if number % 2:
            till_seconds, till_accepted, left = till_sync(copy, till)
            direct_seconds, direct_accepted = direct_ingest(direct, document, backlog)
        else:
            direct_seconds, direct_accepted = direct_ingest(direct, document, backlog)
            till_seconds, till_accepted, left = till_sync(copy, till)
    print(f"  round {number}: direct {direct_seconds:5.2f} s, till {till_seconds:5.2f} s", flush=True)
    return direct_seconds, till_seconds, left == 0 and till_accepted == direct_accepted == len(backlog)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--new-cards", type=int, default=300, help="customers enrolled offline")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when outside the target")
    args = parser.parse_args(argv)
    if 2 * args.new_cards > args.transactions:
        parser.error("--new-cards makes two transactions each: at most half of --transactions")
    with tempfile.TemporaryDirectory() as tmp, databases() as names:
        workdir = Path(tmp)
        setup = prepare(workdir, names, args)
        rounds = [one_round(workdir, names, number, setup) for number in range(1, args.rounds + 1)]
    direct = statistics.median(r[0] for r in rounds)
    till = statistics.median(r[1] for r in rounds)
    ratio = till / direct
    print(f"direct ingest (no till):  {direct:6.2f} s  median of {len(rounds)}")
    print(f"till backlog sync:        {till:6.2f} s  median of {len(rounds)}")
    print(f"ratio till / direct:      {ratio:6.2f}   (target <= {TARGET_RATIO})")
    same = all(r[2] for r in rounds)
    print("every transaction accepted, nothing pending" if same else "OUTCOMES DIFFER")
    ok = same and till < TARGET_SECONDS and ratio <= TARGET_RATIO
    print("within target" if ok else "OUTSIDE TARGET")
    if not same:
        return 2
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
