"""A real server in a subprocess (so tests can kill -9 it), the demo seed, and fixtures for any test package.

Use from another package's conftest.py:
    from tests.support.live_server import live_server_sqlite, live_server_postgres  # noqa: F401
Each fixture yields (server, world): `server.url`, `.stop()`, `.kill()`, `.restart()`, and
`world` the parsed `loyalty-server seed-demo` document.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(root: Path = REPO_ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env["LOYALTY_ARGON2_FAST"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    env.pop("LOYALTY_DATABASE_URL", None)
    return env


class LiveServer:
    """`python -m server_stub.cli serve` on 127.0.0.1 at a free port, on the given database (the
    server of this checkout, or of the checkout at `root`: `bench/push_ab.py` compares two)."""

    def __init__(
        self,
        database_url: str,
        *,
        port: int | None = None,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
        root: Path = REPO_ROOT,
    ) -> None:
        self.database_url = database_url
        self.root = root
        self.extra_args = extra_args
        self.port = port or free_port()
        self.log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"loyalty-server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "server_stub.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--database-url", self.database_url, *self.extra_args]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                command, stdout=log, stderr=subprocess.STDOUT, env=server_env(self.root), cwd=self.root
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # a subprocess's readiness has no signal to wait on but its port
        self.kill()
        raise RuntimeError(f"the server did not become healthy:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the process dies at once, whatever it was doing."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=15)
        self.process = None

    def restart(self) -> None:
        """Start again on the same port and database (after stop() or kill())."""
        if self.running:
            self.stop()
        self.start()


def start_server(
    database_url: str,
    *,
    port: int | None = None,
    log_path: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> LiveServer:
    server = LiveServer(database_url, port=port, log_path=log_path, extra_args=extra_args)
    server.start()
    return server


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m server_stub.cli ARGS` with the test environment; never raises on failure."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "server_stub.cli", *args],
        capture_output=True,
        text=True,
        env=server_env(),
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )


def seed_demo(database_url: str) -> dict[str, Any]:
    """Run `seed-demo` on the database and return its JSON document."""
    result = run_cli("seed-demo", "--database-url", database_url)
    if result.returncode != 0:
        raise RuntimeError(f"seed-demo failed ({result.returncode}): {result.stderr[-2000:]}")
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _serve_seeded(database_url: str, log_path: Path) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    world = seed_demo(database_url)
    server = start_server(database_url, log_path=log_path)
    try:
        yield server, world
    finally:
        server.stop()


@pytest.fixture
def live_server_sqlite(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    """A seeded server on a fresh SQLite file."""
    yield from _serve_seeded(f"sqlite:///{tmp_path / 'server.db'}", tmp_path / "server.log")


@pytest.fixture
def live_server_postgres(
    tmp_path: Path, pg_database_factory: Callable[[], str]
) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    """A seeded server on a fresh PostgreSQL database."""
    yield from _serve_seeded(pg_database_factory(), tmp_path / "server.log")
