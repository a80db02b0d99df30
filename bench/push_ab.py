"""A/B of two versions of the server: 1000-item pushes sent to each in turn, batch by batch.

    .venv/bin/python bench/push_ab.py BEFORE_TREE AFTER_TREE [--batches 150]

Each tree (a checkout of this project, e.g. `git worktree add /tmp/before <commit>`) serves on its
own PostgreSQL database, built the same way as `bench/ingest_bench.py`'s. Batches of the same shape
go to the two servers alternately (the order swapped every other pair), so both see the machine in
the same state: on a machine whose speed drifts between runs, the per-pair ratio is the figure to
trust. Prints each side's median milliseconds a batch and the median of the pairs' after/before
ratios (1.00: no difference; below 1: AFTER is faster). An A/A run (one tree twice) shows the noise
(0.99-1.00 in 150 pairs on 2026-12-06; 30 pairs gave 0.96).

Needs PostgreSQL on 127.0.0.1:5432 (LOYALTY_TEST_PG to change); creates and drops its databases.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest_bench import ADMIN_DSN, BATCH, CARDS, Setup, create_cards, points_earned, push  # noqa: E402
from tests.support.live_server import LiveServer, server_env  # noqa: E402

WARM_UP = 10  # pairs not counted: connections, caches and the ledger's first pages


@dataclass
class Side:
    tree: Path
    database: str
    server: LiveServer
    token: str
    staff_id: int


def start_side(tree: Path, index: int) -> Side:
    """A database with the bench's world built by the tree's own code, and the tree's server on it."""
    database = f"loyalty_push_ab_{os.getpid()}_{index}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{database}"
    built = subprocess.run(  # noqa: S603 (our own interpreter on the tree's own module)
        [sys.executable, "-c", f"from bench.ingest_bench import build_world; print(build_world({url!r}))"],
        env=server_env(tree),
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    token, staff_id, _merchant, _store = ast.literal_eval(built.stdout.strip().splitlines()[-1])
    log = Path(tempfile.gettempdir()) / f"push-ab-{os.getpid()}-{index}.log"
    server = LiveServer(url, log_path=log, root=tree)
    server.start()
    return Side(tree, database, server, token, staff_id)


def stop_side(side: Side) -> None:
    side.server.stop()
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{side.database}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before", type=Path, help="the tree measured first in a pair's ratio's denominator")
    parser.add_argument("after", type=Path)
    parser.add_argument("--batches", type=int, default=150, help="counted pairs (after 10 not counted)")
    args = parser.parse_args()
    sides: list[Side] = []
    try:
        for index, tree in enumerate((args.before.resolve(), args.after.resolve())):
            sides.append(start_side(tree, index))
        cards = [f"B-{i:05d}" for i in range(CARDS)]
        clients = []
        for side in sides:
            create_cards(Setup(url=side.server.url, token=side.token, staff_id=side.staff_id, cards=cards))
            headers = {"Authorization": f"Bearer {side.token}"}
            clients.append(httpx.Client(base_url=side.server.url, headers=headers, timeout=120))
        rng = random.Random(7)
        seconds: list[list[float]] = [[], []]
        seq = CARDS
        for pair in range(WARM_UP + args.batches):
            for index in (0, 1) if pair % 2 == 0 else (1, 0):
                txs = [
                    points_earned(seq + i + 1, rng.choice(cards), sides[index].staff_id, rng)
                    for i in range(BATCH)
                ]
                body = json.dumps({"transactions": txs}).encode()
                started = time.perf_counter()
                push(clients[index], body)
                if pair >= WARM_UP:
                    seconds[index].append(time.perf_counter() - started)
            seq += BATCH
        for client in clients:
            client.close()
    finally:
        for side in sides:
            stop_side(side)
    before, after = (statistics.median(times) * 1000 for times in seconds)
    ratios = [b / a for a, b in zip(*seconds, strict=True)]
    print(f"before {args.before}: {before:.2f} ms a batch (median of {args.batches})")
    print(f"after  {args.after}: {after:.2f} ms a batch")
    print(f"after / before: {statistics.median(ratios):.3f} (median of the pairs' ratios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
