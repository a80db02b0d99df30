"""What PostgreSQL did for a run of pushes: the scale benchmark's profile of its push figure.

Counters read before and after (the server's connections report theirs when idle, within
PostgreSQL's ten-second stats interval, so the second reading waits for them): the cards' updates
and how many were HOT (no new index entries), the WAL written and its full-page images, and the
pages read from outside shared_buffers per relation (from the OS cache or the disk).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg

STATS_INTERVAL_S = 11.0  # PGSTAT_IDLE_INTERVAL (10 s) and a margin

_RELATIONS = (
    "SELECT relname, heap_blks_read, heap_blks_hit FROM pg_statio_user_tables"
    " UNION ALL SELECT indexrelname, idx_blks_read, idx_blks_hit FROM pg_statio_user_indexes"
)


@dataclass(frozen=True)
class Counters:
    card_updates: int
    card_hot_updates: int
    wal_bytes: float
    wal_fpi: int
    backend_writes: int  # buffers a backend had to write out itself to make room
    relations: dict[str, tuple[int, int]]  # pages read from outside shared_buffers, pages hit


def read_counters(dsn: str) -> Counters:
    with psycopg.connect(dsn) as conn:
        updates, hot = conn.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'cards'"
        ).fetchone() or (0, 0)
        wal_bytes, wal_fpi = conn.execute("SELECT wal_bytes, wal_fpi FROM pg_stat_wal").fetchone() or (0, 0)
        (backend_writes,) = conn.execute("SELECT buffers_backend FROM pg_stat_bgwriter").fetchone() or (0,)
        relations = {name: (int(read or 0), int(hit or 0)) for name, read, hit in conn.execute(_RELATIONS)}
    return Counters(int(updates), int(hot), float(wal_bytes), int(wal_fpi), int(backend_writes), relations)


def checkpoint(dsn: str) -> None:
    """Start from a fresh checkpoint, so each world pays the full-page images of a new cycle."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def settled_counters(dsn: str) -> Counters:
    """The counters once the server's idle connections have reported theirs."""
    time.sleep(STATS_INTERVAL_S)
    return read_counters(dsn)


def describe(before: Counters, after: Counters, *, transactions: int) -> list[str]:
    """Lines of the profile, per 1000 transactions."""
    per = 1000 / transactions
    updates = after.card_updates - before.card_updates
    hot = after.card_hot_updates - before.card_hot_updates
    reads = {
        name: (read - before.relations.get(name, (0, 0))[0], hit - before.relations.get(name, (0, 0))[1])
        for name, (read, hit) in after.relations.items()
    }
    total_read = sum(read for read, _ in reads.values())
    total_hit = sum(hit for _, hit in reads.values())
    top = sorted(reads.items(), key=lambda item: -item[1][0])[:4]
    lines = [
        f"card updates HOT: {hot:,} of {updates:,} ({100 * hot / updates if updates else 0:.0f}%)",
        f"WAL {(after.wal_bytes - before.wal_bytes) * per / 1e6:.2f} MB,"
        f" full-page images {(after.wal_fpi - before.wal_fpi) * per:,.0f}",
        f"pages read from outside shared_buffers {total_read * per:,.0f} (hit {total_hit * per:,.0f});"
        f" written out by backends {(after.backend_writes - before.backend_writes) * per:,.0f}",
        "most read: " + ", ".join(f"{name} {read * per:,.0f}" for name, (read, _) in top if read > 0),
    ]
    return lines
