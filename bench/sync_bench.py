"""Benchmark: a till's 10,000-transaction backlog syncing to a PostgreSQL-backed server over loopback,
beside the server's ingest of the same transactions posted directly (no till), in one run.

    .venv/bin/python bench/sync_bench.py [--transactions 10000] [--check]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); creates and drops two databases.
Target: the backlog syncs in under 5 s and within 1.5 x the direct ingest.
"""

from __future__ import annotations

import argparse
import os
import random
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


@contextmanager
def postgres_server(workdir: Path, label: str) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    """A fresh database, seeded, with the real server in front of it; dropped afterwards."""
    name = f"loyalty_bench_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    server: LiveServer | None = None
    try:
        document = seed_demo(url)
        server = start_server(url, log_path=workdir / f"{label}.log")
        yield server, document
    finally:
        if server is not None:
            server.stop()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def first_device(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    merchant = document["merchants"][0]
    return merchant, merchant["devices"][0]


def till_with_backlog(
    workdir: Path, server: LiveServer, document: dict[str, Any], *, count: int, new_cards: int
) -> Ledger:
    """A till adopted as the first store's device, then a weekend offline: `new_cards` customers
    enrolled (each a card_created and a welcome bonus), then sales and some reward redemptions
    spread over the known and new cards, `count` transactions in all."""
    merchant, device = first_device(document)
    ledger = open_ledger(workdir / "till" / "ledger.db")
    adopt_device(
        ledger,
        server.url,
        device["device_id"],
        device["token"],
        merchant_id=merchant["id"],
        merchant_name=merchant["name"],
    )
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
    return ledger


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


def till_sync(ledger: Ledger, server: LiveServer) -> tuple[float, int, int]:
    identity = ledger.identity()
    assert identity is not None
    engine = SyncEngine(ledger, SyncClient(server.url, identity.token, timeout=60))
    try:
        started = time.perf_counter()
        report = engine.run_once()
        seconds = time.perf_counter() - started
    finally:
        engine.close()
    return seconds, report.accepted, report.batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--new-cards", type=int, default=300, help="customers enrolled offline")
    parser.add_argument("--check", action="store_true", help="exit 1 when outside the target")
    args = parser.parse_args(argv)
    if 2 * args.new_cards > args.transactions:
        parser.error("--new-cards makes two transactions each: at most half of --transactions")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with (
            postgres_server(workdir, "till") as (till_server, till_doc),
            postgres_server(workdir, "direct") as (direct_server, direct_doc),
        ):
            print(
                f"recording a backlog of {args.transactions} transactions at the till "
                f"({args.new_cards} new cards) ...",
                flush=True,
            )
            ledger = till_with_backlog(
                workdir, till_server, till_doc, count=args.transactions, new_cards=args.new_cards
            )
            backlog = ledger.pending_transactions(ledger.pending_summary().count)
            direct_seconds, direct_accepted = direct_ingest(direct_server, direct_doc, backlog)
            till_seconds, till_accepted, batches = till_sync(ledger, till_server)
            left = ledger.pending_summary().count
            ledger.close()
    ratio = till_seconds / direct_seconds
    print(f"direct ingest (no till):  {direct_seconds:6.2f} s  {len(backlog)} posted, {direct_accepted} ok")
    print(f"till backlog sync:        {till_seconds:6.2f} s  {till_accepted} accepted in {batches} batches")
    print(f"ratio till / direct:      {ratio:6.2f}   (target <= {TARGET_RATIO})")
    print(f"pending after sync:       {left}")
    same = left == 0 and till_accepted == direct_accepted
    ok = same and till_seconds < TARGET_SECONDS and ratio <= TARGET_RATIO
    print("within target" if ok else "OUTSIDE TARGET")
    if not same:
        return 2
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
