"""A/B of two versions of the server: 1000-item pushes sent to each in turn, batch by batch.

    .venv/bin/python bench/push_ab.py BEFORE_TREE AFTER_TREE [--batches 100]

Each tree (a checkout of this project, e.g. `git worktree add /tmp/before <commit>`) serves on its
own PostgreSQL database, built the same way as `bench/ingest_bench.py`'s. Batches of the same shape
go to the two servers alternately (the order swapped every other pair), so both see the machine in
the same state: on a machine whose speed drifts between runs, the per-pair ratio is the figure to
trust. Prints each side's median milliseconds a batch and the median of the pairs' after/before
ratios (1.00: no difference; below 1: AFTER is faster). An A/A run (one tree twice) shows the noise.

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
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ingest_bench import ADMIN_DSN, BATCH, CARDS, Setup, create_cards, points_earned, push  # noqa: E402
from tests.support.live_server import free_port  # noqa: E402

WARM_UP = 10  # pairs not counted: connections, caches and the ledger's first pages


@dataclass
class Side:
    tree: Path
    database: str
    process: subprocess.Popen[bytes]
    url: str
    token: str
    staff_id: int


def start_side(tree: Path, index: int) -> Side:
    """A database with the bench's world built by the tree's own code, and the tree's server on it."""
    database = f"loyalty_push_ab_{os.getpid()}_{index}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    url = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{database}"
    env = {**os.environ, "PYTHONPATH": str(tree), "LOYALTY_ARGON2_FAST": "1"}
    env.pop("LOYALTY_DATABASE_URL", None)
    built = subprocess.run(  # noqa: S603 (our own interpreter on the tree's own module)
        [sys.executable, "-c", f"from bench.ingest_bench import build_world; print(build_world({url!r}))"],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    token, staff_id, _merchant, _store = ast.literal_eval(built.stdout.strip().splitlines()[-1])
    port = free_port()
    command = [sys.executable, "-m", "server_stub.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603
        [*command, "--database-url", url],
        env=env,
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    return Side(tree, database, process, f"http://127.0.0.1:{port}", token, staff_id)


def wait_healthy(side: Side) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if side.process.poll() is not None:
            raise SystemExit(f"the server of {side.tree} exited with {side.process.returncode}")
        try:
            if httpx.get(f"{side.url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server of {side.tree} did not start")


def stop_side(side: Side) -> None:
    side.process.terminate()
    side.process.wait(timeout=30)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{side.database}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("before", type=Path, help="the tree measured first in a pair's ratio's denominator")
    parser.add_argument("after", type=Path)
    parser.add_argument("--batches", type=int, default=100, help="counted pairs (after 10 not counted)")
    args = parser.parse_args()
    sides: list[Side] = []
    try:
        for index, tree in enumerate((args.before.resolve(), args.after.resolve())):
            sides.append(start_side(tree, index))
        cards = [f"B-{i:05d}" for i in range(CARDS)]
        clients = []
        for side in sides:
            wait_healthy(side)
            create_cards(Setup(url=side.url, token=side.token, staff_id=side.staff_id, cards=cards))
            headers = {"Authorization": f"Bearer {side.token}"}
            clients.append(httpx.Client(base_url=side.url, headers=headers, timeout=120))
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
