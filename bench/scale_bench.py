"""Benchmark: the server at a chain's scale against a small world, measured in the same run.

Builds two worlds for one merchant on PostgreSQL (by default 1,000,000 cards and 10,000,000 ledger
rows, and 10,000 cards and 100,000 rows), each balance equal to its ledger, then measures on each:
pushes over distinct cards, a new till's first full pull, every office read, expire-points with and
without work, and 1, 4 and 16 tills pushing at once (throughput and p99). Prints each figure beside
its small-world twin and their ratio. Each world's measures start right after a checkpoint, and the
push figure comes with its profile (`bench/scale_profile.py`): HOT updates, WAL and full-page
images, pages read from outside shared_buffers.

Run: .venv/bin/python bench/scale_bench.py [--cards 1000000] [--rows 10000000] [--small-cards 10000]
     [--small-rows 100000] [--batches 40] [--csv-rows 2000000] [--seconds 10] [--workers 2]
Needs PostgreSQL on 127.0.0.1:5432 (LOYALTY_TEST_PG to change); creates and drops its databases
(`--keep` keeps them, and a later run with the same sizes reuses them).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

os.environ.setdefault("LOYALTY_ARGON2_FAST", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.scale_load import BATCH, concurrent_tills, push_distinct  # noqa: E402
from bench.scale_profile import checkpoint, describe, read_counters, settled_counters  # noqa: E402
from bench.scale_world import ADMIN_DSN, World, build_world, drop_database  # noqa: E402
from server_stub.db import create_database  # noqa: E402
from server_stub.service.expiry import expire_points  # noqa: E402
from tests.support.live_server import run_cli, start_server  # noqa: E402


@dataclass
class Figure:
    name: str
    unit: str
    better: str  # "higher" or "lower"
    values: dict[str, float]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--small-cards", type=int, default=10_000)
    parser.add_argument("--small-rows", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=40, help="pushes of 1000 over distinct cards")
    parser.add_argument("--csv-rows", type=int, default=2_000_000, help="rows of the full CSV read")
    parser.add_argument("--seconds", type=float, default=10.0, help="each concurrent-tills run")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the databases for a later run (which reuses them: its expiry finds what is left)",
    )
    args = parser.parse_args()
    sizes = {"small": (args.small_cards, args.small_rows), "large": (args.cards, args.rows)}
    figures: dict[str, Figure] = {}
    for label, (cards, rows) in sizes.items():
        started = time.perf_counter()
        world = build_world(f"loyalty_scale_{cards}_{rows}", cards=cards, rows=rows)
        seconds = time.perf_counter() - started
        print(f"[{label}] world of {cards:,} cards and {rows:,} rows ready in {seconds:.0f} s")
        try:
            measure(world, label, args, figures)
        finally:
            if not args.keep:
                drop_database(world.name)
    report(figures)
    return 0


def measure(world: World, label: str, args: argparse.Namespace, figures: dict[str, Figure]) -> None:
    def record(name: str, unit: str, better: str, value: float) -> None:
        figures.setdefault(name, Figure(name, unit, better, {})).values[label] = value
        print(f"[{label}] {name}: {value:,.1f} {unit}")

    log = Path(tempfile.gettempdir()) / f"scale-bench-{label}-{os.getpid()}.log"
    server = start_server(world.url, log_path=log, extra_args=("--workers", str(args.workers)))
    try:
        office = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {world.admin_token}"}, timeout=600
        )
        till = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {world.tills[0]}"}, timeout=600
        )
        dsn = world.url.replace("postgresql+psycopg://", "postgresql://", 1)
        checkpoint(dsn)
        before = read_counters(dsn)
        record(
            "push, 1000 over distinct cards",
            "tx/s",
            "higher",
            push_distinct(till, world, batches=args.batches),
        )
        after = settled_counters(dsn)
        for line in describe(before, after, transactions=(args.batches + 1) * BATCH):
            print(f"[{label}]   per 1000 pushed: {line}")
        record("first full pull", "cards/s", "higher", full_pull(till))
        today = datetime.now(UTC).date()
        for name, params in (
            ("summary, one day", {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}),
            ("summary, all time", {}),
            ("summary, 30 days from 09:30", {"from": f"{today - timedelta(days=30)}T09:30:00Z"}),
        ):
            record(name, "ms", "lower", timed_get(office, "/v1/office/summary", params))
        record("rejections, first page", "ms", "lower", timed_get(office, "/v1/office/rejections", {}))
        record("devices, first page", "ms", "lower", timed_get(office, "/v1/office/devices", {}))
        record("card answer", "ms", "lower", timed_get(till, f"/v1/cards/{world.busiest_card}", {}))
        day = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
        record("ledger CSV, yesterday", "ms", "lower", csv_seconds(office, day) * 1000)
        record("ledger CSV, everything", "rows/s", "higher", csv_rate(office, {}, limit=args.csv_rows))
        # One card in a hundred was last used 400-500 days ago; the program expires points after 365.
        # The job timed in this process, then the command (the job plus Python's start and imports).
        record(
            "expiry job, nothing to do",
            "ms",
            "lower",
            expiry_job(world, at=datetime.now(UTC) - timedelta(days=200)) * 1000,
        )
        record(
            "expire-points command, nothing to do",
            "s",
            "lower",
            expire(world, at=datetime.now(UTC) - timedelta(days=200)),
        )
        record("expire-points command, 1% of cards idle", "s", "lower", expire(world, at=datetime.now(UTC)))
        for tills in (1, 4, 16):
            rate, p99 = concurrent_tills(server.url, world, tills=tills, seconds=args.seconds)
            record(f"{tills} tills at once, throughput", "tx/s", "higher", rate)
            record(f"{tills} tills at once, p99", "ms", "lower", p99)
    finally:
        server.stop()


def timed_get(client: httpx.Client, path: str, params: dict[str, Any], rounds: int = 7) -> float:
    """The median of `rounds` answers, in ms (after one warm-up)."""
    times = []
    for _ in range(rounds + 1):
        started = time.perf_counter()
        response = client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} {params}: {response.status_code} {response.text[:300]}")
    return median(times[1:])


def full_pull(client: httpx.Client) -> float:
    """A new till's first pull, every page of 1000: cards per second."""
    started, cards, cursor = time.perf_counter(), 0, None
    while True:
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/sync/pull", params=params).json()
        cards += len(page["cards"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return cards / (time.perf_counter() - started)


def csv_rate(client: httpx.Client, params: dict[str, Any], *, limit: int) -> float:
    """Rows per second of the streamed CSV, read to its end or to `limit` rows (lines counted in
    the bytes as they come: the client parses nothing, so it takes little of the CPU it shares)."""
    started, lines = time.perf_counter(), 0
    with client.stream("GET", "/v1/office/ledger.csv", params=params) as response:
        for chunk in response.iter_bytes():
            lines += chunk.count(b"\n")
            if lines > limit:
                break
    return (lines - 1) / (time.perf_counter() - started)


def csv_seconds(client: httpx.Client, params: dict[str, Any]) -> float:
    """Seconds to stream the whole CSV."""
    started = time.perf_counter()
    with client.stream("GET", "/v1/office/ledger.csv", params=params) as response:
        for _chunk in response.iter_bytes():
            pass
    return time.perf_counter() - started


def expiry_job(world: World, *, at: datetime) -> float:
    """Seconds of the expiry job itself (`service.expiry.expire_points`), run in this process."""
    database = create_database(world.url, pool_size=1)
    try:
        started = time.perf_counter()
        expire_points(database, now=at)
        return time.perf_counter() - started
    finally:
        database.dispose()


def expire(world: World, *, at: datetime) -> float:
    started = time.perf_counter()
    result = run_cli("expire-points", "--now", at.isoformat(), "--database-url", world.url)
    if result.returncode != 0:
        raise SystemExit(f"expire-points failed: {result.stderr[-2000:]}")
    return time.perf_counter() - started


def report(figures: dict[str, Figure]) -> None:
    print()
    print(f"{'measure':44s} {'small world':>16s} {'large world':>16s} {'large / small':>14s}")
    for figure in figures.values():
        small, large = figure.values.get("small"), figure.values.get("large")
        if small is None or large is None:
            continue
        ratio = large / small if small else float("nan")
        unit = figure.unit
        print(f"{figure.name:44s} {small:>12,.1f} {unit:<3s} {large:>12,.1f} {unit:<3s} {ratio:>13.2f}")


if __name__ == "__main__":
    with psycopg.connect(ADMIN_DSN, autocommit=True) as _check:
        _check.execute("SELECT 1")
    sys.exit(main())
