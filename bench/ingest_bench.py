"""Benchmark: 20,000 points_earned pushed over HTTP in batches of 1000 to a PostgreSQL-backed server,
against a psycopg 3 baseline doing the minimum database work, and against one transaction per request.

Run: .venv/bin/python bench/ingest_bench.py [--count 20000] [--single-count 2000] [--rounds 5]
Each round pushes fresh transactions through the server, then the baseline, then (for reference) the
same minimum work on the server's own ledger and card tables (with the indexes the product needs, to
separate schema cost from server overhead): interleaved, so a ratio compares runs made under the same
load. The best run of each counts; the median of the per-round ratios is printed beside it.
Needs PostgreSQL on 127.0.0.1:5432 (LOYALTY_TEST_PG to change); creates and drops its own database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

os.environ.setdefault("LOYALTY_ARGON2_FAST", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from server_stub.db import create_database, migrate  # noqa: E402
from server_stub.service.programs import save_program_version  # noqa: E402
from server_stub.service.world import create_device, create_merchant, create_staff, create_store  # noqa: E402
from sync.protocol import ProgramFields, ProgramType, Role  # noqa: E402
from tests.support.live_server import start_server  # noqa: E402

ADMIN_DSN = os.environ.get("LOYALTY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CARDS = 200
BATCH = 1000


@dataclass(frozen=True)
class Setup:
    url: str
    token: str
    staff_id: int
    cards: list[str]


def create_bench_database() -> tuple[str, str]:
    name = f"loyalty_bench_{os.getpid()}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_DSN.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def drop_bench_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_world(sqlalchemy_url: str) -> tuple[str, int, int, int]:
    database = create_database(sqlalchemy_url)
    migrate(database)
    now = datetime.now(UTC)
    with database.session() as session, session.begin():
        merchant = create_merchant(session, name="Bench", now=now)
        save_program_version(
            session, merchant_id=merchant.id, fields=ProgramFields(type=ProgramType.POINTS), now=now
        )
        store = create_store(session, merchant_id=merchant.id, name="Bench store", timezone="Europe/Dublin")
        device = create_device(session, store=store, name="bench till", now=now)
        staff = create_staff(
            session,
            merchant_id=merchant.id,
            name="bench",
            role=Role.STAFF,
            store_id=store.id,
            pin="1234",
            now=now,
        )
    merchant_id, store_id = merchant.id, store.id
    database.dispose()
    return device.token, staff.id, merchant_id, store_id


def points_earned(seq: int, card: str, staff_id: int, rng: random.Random) -> dict[str, Any]:
    cents = rng.randrange(100, 10_000)
    return {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "type": "points_earned",
        "card_number": card,
        "staff_id": staff_id,
        "transaction_at": datetime.now(UTC).isoformat(),
        "points_delta": cents // 100,
        "purchase_amount_cents": cents,
    }


def push(client: httpx.Client, body: bytes) -> None:
    response = client.post(
        "/v1/sync/push",
        content=body,
        headers={"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
    )
    if response.status_code != 200:
        raise SystemExit(f"push failed: {response.status_code} {response.text[:300]}")


def run_server_batches(setup: Setup, txs: list[dict[str, Any]]) -> float:
    bodies = [json.dumps({"transactions": txs[i : i + BATCH]}).encode() for i in range(0, len(txs), BATCH)]
    with httpx.Client(
        base_url=setup.url, headers={"Authorization": f"Bearer {setup.token}"}, timeout=120
    ) as client:
        started = time.perf_counter()
        for body in bodies:
            push(client, body)
        return time.perf_counter() - started


def run_single_requests(setup: Setup, txs: list[dict[str, Any]]) -> float:
    bodies = [json.dumps({"transactions": [tx]}).encode() for tx in txs]
    with httpx.Client(
        base_url=setup.url, headers={"Authorization": f"Bearer {setup.token}"}, timeout=120
    ) as client:
        started = time.perf_counter()
        for body in bodies:
            push(client, body)
        return time.perf_counter() - started


BASELINE_SCHEMA = """
CREATE TABLE baseline_cards (id serial PRIMARY KEY, card_number text UNIQUE NOT NULL, points bigint NOT NULL);
CREATE TABLE baseline_tx (
    id text PRIMARY KEY, card_number text NOT NULL, type text NOT NULL, points_delta integer NOT NULL,
    purchase_amount_cents bigint, staff_id integer, transaction_at timestamp NOT NULL,
    received_at timestamp NOT NULL
);
"""


def run_baseline(dsn: str, txs: list[dict[str, Any]], cards: list[str], *, fresh: bool) -> float:
    """Per batch: lock the cards, bulk insert the rows (unique id), bulk update the balances, commit."""
    with psycopg.connect(dsn) as conn:
        if fresh:
            conn.execute(BASELINE_SCHEMA)
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO baseline_cards (card_number, points) VALUES (%s, 0)", [(c,) for c in cards]
                )
            conn.commit()
        started = time.perf_counter()
        for i in range(0, len(txs), BATCH):
            batch = txs[i : i + BATCH]
            now = datetime.now(UTC).replace(tzinfo=None)
            numbers = sorted({tx["card_number"] for tx in batch})
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT id FROM baseline_cards WHERE card_number = ANY(%s) ORDER BY id FOR UPDATE",
                    (numbers,),
                )
                cur.fetchall()
                cur.executemany(
                    "INSERT INTO baseline_tx VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (
                            tx["id"],
                            tx["card_number"],
                            tx["type"],
                            tx["points_delta"],
                            tx["purchase_amount_cents"],
                            tx["staff_id"],
                            datetime.fromisoformat(tx["transaction_at"]).replace(tzinfo=None),
                            now,
                        )
                        for tx in batch
                    ],
                )
                sums = points_per_card(batch)
                cur.executemany(
                    "UPDATE baseline_cards SET points = points + %s WHERE card_number = %s",
                    [(delta, number) for number, delta in sums.items()],
                )
            conn.commit()
        return time.perf_counter() - started


SCHEMA_INSERT = (
    "INSERT INTO transactions (id, merchant_id, store_id, card_number, type, status, stamps_delta,"
    " points_delta, purchase_amount_cents, staff_id, transaction_at, local_date, received_at)"
    " VALUES (%s, %s, %s, %s, %s, 'accepted', 0, %s, %s, %s, %s, %s, %s)"
)


def run_schema_baseline(dsn: str, txs: list[dict[str, Any]], *, merchant_id: int, store_id: int) -> float:
    """The same minimum work, but into the server's own ledger and card tables (their indexes included)."""
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        for i in range(0, len(txs), BATCH):
            batch = txs[i : i + BATCH]
            now = datetime.now(UTC).replace(tzinfo=None)
            numbers = sorted({tx["card_number"] for tx in batch})
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT id FROM cards WHERE merchant_id = %s AND card_number = ANY(%s)"
                    " ORDER BY id FOR UPDATE",
                    (merchant_id, numbers),
                )
                cur.fetchall()
                cur.executemany(
                    SCHEMA_INSERT,
                    [
                        (
                            str(uuid.uuid4()),
                            merchant_id,
                            store_id,
                            tx["card_number"],
                            tx["type"],
                            tx["points_delta"],
                            tx["purchase_amount_cents"],
                            tx["staff_id"],
                            datetime.fromisoformat(tx["transaction_at"]).replace(tzinfo=None),
                            now.date(),
                            now,
                        )
                        for tx in batch
                    ],
                )
                sums = points_per_card(batch)
                cur.executemany(
                    "UPDATE cards SET points_balance = points_balance + %s"
                    " WHERE merchant_id = %s AND card_number = %s",
                    [(delta, merchant_id, number) for number, delta in sums.items()],
                )
            conn.commit()
        return time.perf_counter() - started


def create_cards(setup: Setup) -> None:
    with httpx.Client(
        base_url=setup.url, headers={"Authorization": f"Bearer {setup.token}"}, timeout=120
    ) as client:
        txs = [
            {
                "id": str(uuid.uuid4()),
                "seq": i + 1,
                "type": "card_created",
                "card_number": number,
                "staff_id": setup.staff_id,
                "transaction_at": datetime.now(UTC).isoformat(),
            }
            for i, number in enumerate(setup.cards)
        ]
        push(client, json.dumps({"transactions": txs}).encode())


def points_per_card(batch: list[dict[str, Any]]) -> dict[str, int]:
    """The batch's points summed per card: one balance update per card."""
    sums: dict[str, int] = {}
    for tx in batch:
        sums[tx["card_number"]] = sums.get(tx["card_number"], 0) + tx["points_delta"]
    return sums


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000, help="transactions pushed in batches of 1000")
    parser.add_argument("--single-count", type=int, default=2_000, help="transactions sent one per request")
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved server and baseline runs; the best counts"
    )
    args = parser.parse_args()
    name, dsn = create_bench_database()
    sqlalchemy_url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        token, staff_id, merchant_id, store_id = build_world(sqlalchemy_url)
        log = Path(tempfile.gettempdir()) / f"ingest-bench-{os.getpid()}.log"
        server = start_server(sqlalchemy_url, log_path=log)
        try:
            setup = Setup(
                url=server.url, token=token, staff_id=staff_id, cards=[f"B-{i:05d}" for i in range(CARDS)]
            )
            create_cards(setup)
            rng = random.Random(42)
            seq = CARDS
            rounds: list[list[dict[str, Any]]] = []
            for _ in range(args.rounds):
                rounds.append(
                    [
                        points_earned(seq + i + 1, rng.choice(setup.cards), staff_id, rng)
                        for i in range(args.count)
                    ]
                )
                seq += args.count
            singles = [
                points_earned(seq + i + 1, rng.choice(setup.cards), staff_id, rng)
                for i in range(args.single_count)
            ]
            timings = [
                run_round(setup, txs, dsn=dsn, merchant_id=merchant_id, store_id=store_id, first=index == 0)
                for index, txs in enumerate(rounds)
            ]
            single_s = run_single_requests(setup, singles)
        finally:
            server.stop()
    finally:
        drop_bench_database(name)
    server_s, baseline_s, schema_s = (min(column) for column in zip(*timings, strict=True))
    report(args.count, server_s, baseline_s, args.single_count, single_s)
    schema_rate = args.count / schema_s
    print(
        f"(for reference) the baseline's work on the server's own tables: {schema_rate:,.0f} tx/s;"
        f" server / that = {args.count / server_s / schema_rate:.2f}"
    )
    baseline_ratios = [baseline / server for server, baseline, _ in timings]
    schema_ratios = [schema / server for server, _, schema in timings]
    print(
        f"median of the {len(timings)} rounds' ratios: server / baseline = {median(baseline_ratios):.2f},"
        f" server / that reference = {median(schema_ratios):.2f}"
    )
    print("each round's server / baseline: " + ", ".join(f"{ratio:.2f}" for ratio in baseline_ratios))
    return 0


def run_round(
    setup: Setup, txs: list[dict[str, Any]], *, dsn: str, merchant_id: int, store_id: int, first: bool
) -> tuple[float, float, float]:
    """One round's seconds: the server, the baseline, the baseline's work on the server's tables."""
    return (
        run_server_batches(setup, txs),
        run_baseline(dsn, txs, setup.cards, fresh=first),
        run_schema_baseline(dsn, txs, merchant_id=merchant_id, store_id=store_id),
    )


def report(count: int, server_s: float, baseline_s: float, single_count: int, single_s: float) -> None:
    server_rate, baseline_rate, single_rate = count / server_s, count / baseline_s, single_count / single_s
    print(
        f"server, batches of {BATCH} over HTTP : {server_rate:>9,.0f} tx/s  ({count} tx in {server_s:.2f} s)"
    )
    print(
        f"baseline, psycopg 3 minimum work  : {baseline_rate:>9,.0f} tx/s  ({count} tx in {baseline_s:.2f} s)"
    )
    print(
        f"server, one tx per request        : {single_rate:>9,.0f} tx/s"
        f"  ({single_count} tx in {single_s:.2f} s)"
    )
    print(f"server / baseline    = {server_rate / baseline_rate:.2f}  (target >= 0.5)")
    print(f"batched / one-by-one = {server_rate / single_rate:.1f}  (target >= 20)")
    print(f"server >= 5,000 tx/s : {'yes' if server_rate >= 5000 else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
