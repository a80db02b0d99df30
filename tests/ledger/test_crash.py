"""Kill the till mid-write (SIGKILL, at random moments): the ledger reopens whole every time."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.ledger import open_ledger
from tests.ledger.helpers import stored_vs_recomputed

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20


def run_and_kill(path: Path, seed: int, delay: float) -> list[str]:
    """Start the child, let it record for `delay` seconds, SIGKILL it; return the ids it reported."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.crash_child", str(path), str(seed)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    if first.strip() != "ready":
        child.kill()
        _, errors = child.communicate()
        pytest.fail(f"child did not start: {first!r} {errors}")
    time.sleep(delay)  # the kill lands at a random moment of the child's work
    child.send_signal(signal.SIGKILL)
    out, errors = child.communicate()
    assert child.returncode == -signal.SIGKILL, f"the child ended by itself: {errors}"
    return [line for line in out.splitlines() if line.strip()]


def check_whole(path: Path, reported: set[str]) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = conn.execute("SELECT seq, id, type, card_number FROM transactions ORDER BY seq").fetchall()
        stored = {row[1] for row in rows}
        assert reported <= stored, f"{len(reported - stored)} reported transactions missing"
        created = {(row[0], row[3]) for row in rows if row[2] == "card_created"}
        bonuses = {(row[0] - 1, row[3]) for row in rows if row[2] == "welcome_bonus"}
        assert created == bonuses, "an enrolment was stored in part"
        last_seq = conn.execute("SELECT last_seq FROM device_state").fetchone()[0]
        assert last_seq >= (rows[-1][0] if rows else 0)
    finally:
        conn.close()
    assert stored_vs_recomputed(path) == []
    open_ledger(path).close()  # and the till opens it again (migrations, WAL recovery)


@pytest.mark.slow
def test_killing_the_till_mid_write_never_leaves_a_partial_transaction(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    rng = random.Random(4242)
    reported: set[str] = set()
    for kill in range(KILLS):
        reported.update(run_and_kill(path, seed=kill, delay=rng.uniform(0.05, 0.5)))
        check_whole(path, reported)
    assert len(reported) > 10 * KILLS  # the child did real work between kills
