"""The scale benchmark's load: pushes over distinct cards, and many tills pushing at once."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import uuid6

from bench.scale_world import World

BATCH = 1000
TILL_BATCH = 50  # a till's batch once it has caught up: a few minutes of sales


def points_earned(world: World, till: int, card: int) -> dict[str, Any]:
    seq = world.next_seq[till]
    world.next_seq[till] = seq + 1
    return {
        "id": str(uuid6.uuid7()),  # as tills make them
        "seq": seq,
        "type": "points_earned",
        "card_number": world.card_number(card),
        "staff_id": world.staff[till],
        "transaction_at": datetime.now(UTC).isoformat(),
        "points_delta": 10,
        "purchase_amount_cents": 100,
    }


def push(client: httpx.Client, txs: list[dict[str, Any]]) -> float:
    """One push; its seconds."""
    body = json.dumps({"transactions": txs}).encode()
    started = time.perf_counter()
    response = client.post(
        "/v1/sync/push",
        content=body,
        headers={"Idempotency-Key": str(uuid6.uuid7()), "Content-Type": "application/json"},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"push failed: {response.status_code} {response.text[:300]}")
    return elapsed


def push_distinct(client: httpx.Client, world: World, *, batches: int) -> float:
    """Batches of 1000 points_earned, each over 1000 distinct cards: transactions per second."""
    rng = random.Random(7)
    bodies = [
        [points_earned(world, 0, card) for card in rng.sample(range(1, world.cards + 1), BATCH)]
        for _ in range(batches + 1)
    ]
    push(client, bodies[0])  # warm-up
    seconds = sum(push(client, txs) for txs in bodies[1:])
    return batches * BATCH / seconds


def concurrent_tills(url: str, world: World, *, tills: int, seconds: float) -> tuple[float, float]:
    """`tills` tills (one thread each) pushing batches of 50 for `seconds`: tx/s and p99 latency (ms)."""
    latencies: list[float] = []
    sent = [0] * tills
    lock = threading.Lock()
    barrier = threading.Barrier(tills)

    def run(till: int) -> None:
        rng = random.Random(till)
        headers = {"Authorization": f"Bearer {world.tills[till]}"}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            barrier.wait()
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                txs = [
                    points_earned(world, till, rng.randrange(1, world.cards + 1)) for _ in range(TILL_BATCH)
                ]
                elapsed = push(client, txs)
                with lock:
                    latencies.append(elapsed)
                sent[till] += len(txs)

    threads = [threading.Thread(target=run, args=(till,)) for till in range(tills)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return sum(sent) / total, p99 * 1000
