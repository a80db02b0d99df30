"""`loyalty-till --demo` as a real process: it opens, and Ctrl+C / SIGTERM closes it with its demo server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.live_server import REPO_ROOT


def test_the_demo_command_opens_the_till_and_a_sigterm_stops_it_and_its_server(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LOYALTY_ARGON2_FAST="1")
    command = [sys.executable, "-m", "desktop", "--demo", "--data-dir", str(tmp_path / "till"), "-v"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    server_url = None
    try:
        for line in process.stderr:  # the till's log, line by line, until the lock screen is up
            if "demo server on " in line:
                server_url = line.rsplit(" ", 1)[-1].strip()
            if "lock screen shown" in line:
                break
        assert server_url is not None
        assert httpx.get(f"{server_url}/v1/health", timeout=5).status_code == 200

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()

    try:
        httpx.get(f"{server_url}/v1/health", timeout=2)
        still_up = True
    except httpx.TransportError:
        still_up = False
    assert not still_up, "the demo server stops with the till"
