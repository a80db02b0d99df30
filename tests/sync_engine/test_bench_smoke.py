"""The sync benchmark still runs (a small backlog; the figures themselves are not judged here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.live_server import REPO_ROOT, server_env


@pytest.mark.postgres
@pytest.mark.slow
def test_the_sync_benchmark_runs_and_prints_both_times_and_the_ratio() -> None:
    arguments = ["--transactions", "150", "--new-cards", "10", "--rounds", "1"]
    result = subprocess.run(
        [sys.executable, "bench/sync_bench.py", *arguments],
        cwd=REPO_ROOT,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "direct ingest (no till)" in result.stdout
    assert "till backlog sync" in result.stdout
    assert "ratio till / direct" in result.stdout
    assert "every transaction accepted, nothing pending" in result.stdout
