"""The benchmarks still run (tiny sizes; the figures themselves are not judged here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.live_server import REPO_ROOT, server_env


def run_bench(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, f"bench/{script}", *arguments],
        cwd=REPO_ROOT,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_the_sync_benchmark_runs_and_prints_both_times_and_the_ratio() -> None:
    result = run_bench("sync_bench.py", "--transactions", "150", "--new-cards", "10", "--rounds", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "direct ingest (no till)" in result.stdout
    assert "till backlog sync" in result.stdout
    assert "ratio till / direct" in result.stdout
    assert "every transaction accepted, nothing pending" in result.stdout


@pytest.mark.postgres
@pytest.mark.slow
def test_the_allowance_benchmark_prints_push_and_pull_with_allowances_on_and_off_and_their_ratios() -> None:
    result = run_bench("allowance_bench.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("push: 600-transaction backlog", "pull: 100 changed cards", "quiet round: nothing changed"):
        assert step in result.stdout
    assert result.stdout.count("ratio on / off") == 3
    assert "target within 10%: <= 1.10 x" in result.stdout
    assert "every transaction accepted, nothing pending" in result.stdout


@pytest.mark.postgres
@pytest.mark.slow
def test_the_chain_day_prints_covered_share_and_refusals_with_and_without_allowances() -> None:
    result = run_bench("chain_day.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "share of offline redemptions covered (allowances on):" in result.stdout
    assert "refused redemptions: with allowances" in result.stdout
    assert "at-risk redemptions: with allowances" in result.stdout
    assert "every covered redemption accepted; balances equal their ledgers" in result.stdout
