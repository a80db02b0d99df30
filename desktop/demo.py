"""`loyalty-till --demo`: the demo server in the background on 127.0.0.1, this till enrolled on it."""

from __future__ import annotations

import atexit
import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from desktop.config import ensure_private_dir, open_private, write_private_text
from desktop.ui.context import DemoHint
from sync.ports import LedgerPort

log = logging.getLogger(__name__)

SEED_FILE = "demo-seed.json"
SERVER_DB_FILE = "demo-server.db"
SERVER_LOG_FILE = "demo-server.log"
START_TIMEOUT_S = 60.0
POLL_S = 0.1
PRIVATE_UMASK = 0o077  # the server's files (database, WAL) for this user only


class DemoFailed(Exception):
    """The demo server could not be set up; title and message are for the screen."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.title = "The demo could not start"
        self.message = message


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoServer:
    """The server subprocess; `stop()` ends it when the till exits."""

    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        log.info("demo server stopped")


@dataclass
class DemoWorld:
    server: DemoServer
    hints: list[DemoHint] = field(default_factory=list)
    console: Any = None  # demo_office.ConsoleHint: the head-office console's URL and demo sign-in


def _server_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "server_stub.cli", *args]


def _database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / SERVER_DB_FILE}"


def load_or_seed(data_dir: Path) -> dict[str, Any]:
    """The demo world's seed document: made once (seed-demo), then reused from the data folder."""
    path = data_dir / SEED_FILE
    if path.exists():
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return document
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        _server_command("seed-demo", "--database-url", _database_url(data_dir)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        umask=PRIVATE_UMASK,  # its database holds the demo's tokens and PIN hashes
    )
    if result.returncode != 0:
        log.error("seed-demo failed: %s", result.stderr[-2000:])
        raise DemoFailed("The demo data could not be created. See the log for details.")
    write_private_text(path, result.stdout)  # it holds the demo's device and admin tokens
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def start_server(data_dir: Path, *, port: int | None = None) -> DemoServer:
    """Serve the demo database on 127.0.0.1 (on `port`, e.g. to restart where the till expects it)."""
    port = port or free_port()
    command = _server_command("serve", "--host", "127.0.0.1", "--port", str(port))
    command += ["--database-url", _database_url(data_dir)]
    with open_private(data_dir / SERVER_LOG_FILE) as server_log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, stdout=server_log, stderr=subprocess.STDOUT, umask=PRIVATE_UMASK
        )
    server = DemoServer(process, f"http://127.0.0.1:{port}")
    atexit.register(server.stop)  # a safety net should the till exit without stopping it
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoFailed(f"The demo server stopped at once; see {data_dir / SERVER_LOG_FILE}.")
        try:
            if httpx.get(f"{server.url}/v1/health", timeout=1.0).status_code == 200:
                log.info("demo server on %s", server.url)
                return server
        except httpx.TransportError:
            pass
        time.sleep(POLL_S)  # runs on the ledger thread, never the GUI's
    server.stop()
    raise DemoFailed("The demo server did not start in time.")


def demo_hints(merchant: dict[str, Any], store_id: int) -> list[DemoHint]:
    staff = [s for s in merchant.get("staff", []) if s.get("store_id") in (None, store_id)]
    return [DemoHint(name=s["name"], role=s["role"], pin=s["pin"]) for s in staff]


def demo_device(merchant: dict[str, Any], language: str) -> dict[str, Any]:
    """The first merchant's till whose store speaks `language` (Berlin for German), else its first."""
    from desktop.ui.i18n import language_of_store

    zones = {store["id"]: store["timezone"] for store in merchant["stores"]}
    for device in merchant["devices"]:
        if language_of_store(zones.get(device["store_id"])) == language:
            return dict(device)
    return dict(merchant["devices"][0])


def start_demo(
    ledger_when_open: Callable[[], LedgerPort], data_dir: Path, *, language: str = "en"
) -> DemoWorld:
    """Seed (first run), start the server, adopt a till of the first merchant (in a store of the
    window's language), pull. The ledger is asked for last, so seeding and the server's start
    overlap its opening."""
    from sync.enrolment import adopt_device

    ensure_private_dir(data_dir)
    document = load_or_seed(data_dir)
    merchant = document["merchants"][0]
    device = demo_device(merchant, language)
    server = start_server(data_dir)
    console = _start_console(data_dir, document, server.url)
    try:
        adopt_device(
            ledger_when_open(),
            server.url,
            device["device_id"],
            device["token"],
            merchant_id=merchant["id"],
            merchant_name=merchant["name"],
        )
    except Exception:
        server.stop()
        raise
    return DemoWorld(server=server, hints=demo_hints(merchant, device["store_id"]), console=console)


def _start_console(data_dir: Path, document: dict[str, Any], server_url: str) -> Any:
    """The console's demo user and activity; the till's demo runs on without them if they fail."""
    from desktop.demo_office import prepare_console

    try:
        return prepare_console(data_dir, document, server_url, _database_url(data_dir))
    except (OSError, RuntimeError, httpx.HTTPError, subprocess.SubprocessError, KeyError) as exc:
        log.warning("the demo's console could not be prepared: %s", exc)
        return None
