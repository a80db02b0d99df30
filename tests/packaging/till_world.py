"""A seeded server, an enrolment code from head office, and a till command's smoke run and its checks."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import REPO_ROOT, LiveServer, seed_demo, start_server

SMOKE_TIMEOUT_S = 120


@dataclass(frozen=True)
class TillWorld:
    """The server, its demo world, and the store, staff and card a smoke run uses."""

    server: LiveServer
    world: dict[str, Any]

    @property
    def merchant(self) -> dict[str, Any]:
        return dict(self.world["merchants"][0])

    @property
    def store_id(self) -> int:
        return int(self.merchant["stores"][0]["id"])

    @property
    def staff(self) -> dict[str, Any]:
        return next(
            s for s in self.merchant["staff"] if s["role"] == "staff" and s["store_id"] == self.store_id
        )

    @property
    def card(self) -> str:
        return str(self.merchant["cards"][0]["card_number"])

    def office(self) -> httpx.Client:
        token = self.merchant["admin_token"]
        return httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    def enrolment_code(self) -> str:
        with self.office() as office:
            answer = office.post("/v1/office/enrolment-codes", json={"store_id": self.store_id})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["enrolment_code"])

    def accepted_rows(self, transaction_id: str) -> list[dict[str, str]]:
        """The rows of head office's accepted ledger with this transaction's id."""
        with self.office() as office:
            answer = office.get("/v1/office/ledger.csv")
        assert answer.status_code == 200, answer.text
        return [row for row in csv.DictReader(io.StringIO(answer.text)) if row["id"] == transaction_id]


@pytest.fixture
def till_world(tmp_path: Path) -> Iterator[TillWorld]:
    database_url = f"sqlite:///{tmp_path / 'server.db'}"
    world = seed_demo(database_url)
    server = start_server(database_url, log_path=tmp_path / "server.log")
    try:
        yield TillWorld(server, world)
    finally:
        server.stop()


def till_env() -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", LOYALTY_ARGON2_FAST="1")


def run_till(command: Sequence[str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a till command (`python -m desktop` or the bundle's program) with these arguments."""
    return subprocess.run(  # noqa: S603
        [*command, *args],
        capture_output=True,
        text=True,
        env=till_env(),
        cwd=cwd or REPO_ROOT,
        timeout=SMOKE_TIMEOUT_S,
        check=False,
    )


def smoke_answer(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The smoke test's JSON line; the exit code and the line must both say it went well."""
    lines = [line for line in result.stdout.splitlines() if line.startswith('{"smoke"')]
    assert len(lines) == 1, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
    answer: dict[str, Any] = json.loads(lines[0])
    assert answer["smoke"] == "ok", f"{answer}\nstderr:\n{result.stderr[-4000:]}"
    assert result.returncode == 0, result.stderr[-4000:]
    return answer


def enrol_and_smoke(command: Sequence[str], world: TillWorld, data_dir: Path) -> dict[str, Any]:
    """What the IT person does (enrol with a code), then the smoke run: sign in, record, sync, exit."""
    enrolled = run_till(
        command,
        "--data-dir",
        str(data_dir),
        "enrol",
        "--server",
        world.server.url,
        "--code",
        world.enrolment_code(),
    )
    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    smoke = run_till(
        command,
        *("--data-dir", str(data_dir), "--smoke-test", "-v"),
        *("--staff-id", str(world.staff["id"]), "--pin", str(world.staff["pin"]), "--card", world.card),
    )
    return smoke_answer(smoke)
