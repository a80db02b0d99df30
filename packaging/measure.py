"""Start time to the lock screen and size on disk: the built bundle beside the source tree, in one run.

    .venv/bin/python packaging/measure.py [--bundle dist/loyalty-till] [--runs 5]

Starts a demo server from the source tree, enrols one till folder per variant, then starts each
variant `--runs` times with `--smoke-test --until-lock-screen` (offscreen) and times the launch until
the smoke line arrives, which the till prints the moment its lock screen is shown.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "loyalty-till"
SOURCE_PACKAGES = ("desktop", "sync", "server_stub")


def env() -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", LOYALTY_ARGON2_FAST="1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_server(folder: Path) -> Iterator[tuple[str, dict[str, object]]]:
    """A seeded server from the source tree: its URL and the first merchant of the seed document."""
    url = f"sqlite:///{folder / 'server.db'}"
    server_cli = [sys.executable, "-m", "server_stub.cli"]
    seeded = subprocess.run(
        [*server_cli, "seed-demo", "--database-url", url],
        capture_output=True,
        text=True,
        env=env(),
        check=True,
    )
    port = free_port()
    serve = [*server_cli, "serve", "--port", str(port), "--database-url", url]
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(serve, stdout=log, stderr=subprocess.STDOUT, env=env(), cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        yield base, json.loads(seeded.stdout)["merchants"][0]
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)  # nothing to wait on but the port
    raise RuntimeError("the demo server did not start")


def enrol(command: Sequence[str], data_dir: Path, base: str, merchant: dict[str, object]) -> None:
    token = merchant["admin_token"]
    store_id = merchant["stores"][0]["id"]  # type: ignore[index]
    answer = httpx.post(
        f"{base}/v1/office/enrolment-codes",
        json={"store_id": store_id},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    code = answer.json()["enrolment_code"]
    args = ["--data-dir", str(data_dir), "enrol", "--server", base, "--code", code]
    subprocess.run([*command, *args], env=env(), capture_output=True, check=True, timeout=120)


def time_to_lock_screen(command: Sequence[str], data_dir: Path) -> tuple[float, int]:
    """Milliseconds from launch to the smoke line (outside), and the till's own figure (inside)."""
    args = ["--data-dir", str(data_dir), "--smoke-test", "--until-lock-screen"]
    started = time.perf_counter()
    process = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, text=True, env=env(), cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    outside = (time.perf_counter() - started) * 1000
    process.stdout.read()
    if process.wait(timeout=60) != 0 or '"ok"' not in line:
        raise RuntimeError(f"{command} did not reach the lock screen: {line}")
    return outside, int(json.loads(line)["lock_screen_ms"])


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def gzipped_size(path: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "bundle.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(path, arcname=path.name)
        return archive.stat().st_size


def runtime_distributions(name: str = PROJECT) -> set[str]:
    """The project's installed run-time dependencies, transitively (no extras, no dev tools)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = _canonical(todo.pop())
        if current in seen:
            continue
        seen.add(current)
        try:
            requires = importlib.metadata.requires(current) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0] for r in requires if "extra ==" not in r]
    return seen - {_canonical(name)}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def source_size() -> int:
    """What running from source needs beyond a Python: our packages and the run-time dependencies' files."""
    total = sum(tree_size(ROOT / package) for package in SOURCE_PACKAGES)
    for name in runtime_distributions():
        try:
            files = importlib.metadata.distribution(name).files or []
        except importlib.metadata.PackageNotFoundError:
            continue  # required only on other Pythons or platforms
        located = [Path(f.locate()) for f in files]
        total += sum(path.stat().st_size for path in located if path.is_file())
    return total


def report(label: str, samples: list[tuple[float, int]]) -> str:
    outside = [s[0] for s in samples]
    inside = [s[1] for s in samples]
    return (
        f"{label:<8} first {outside[0]:6.0f} ms   median {statistics.median(outside[1:] or outside):6.0f} ms"
        f"   (inside the till: median {statistics.median(inside[1:] or inside):5.0f} ms)"
    )


def print_sizes(bundle: Path) -> None:
    mib = 1024 * 1024
    packed = gzipped_size(bundle) / mib
    print(f"Bundle on disk: {tree_size(bundle) / mib:.0f} MiB ({packed:.0f} MiB as .tar.gz)")
    print(
        f"Source: our packages and their run-time dependencies: {source_size() / mib:.0f} MiB, plus a Python"
    )
    python = Path(sys.base_prefix)
    print(f"  (this machine's Python {sys.version.split()[0]}, {python}: {tree_size(python) / mib:.0f} MiB)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / PROJECT)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    variants = {"source": [sys.executable, "-m", "desktop"], "bundle": [str(args.bundle / PROJECT)]}
    with tempfile.TemporaryDirectory() as scratch, demo_server(Path(scratch)) as (base, merchant):
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in variants}
        for name, command in variants.items():
            enrol(command, Path(scratch) / name, base, merchant)
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            for name, command in variants.items():
                samples[name].append(time_to_lock_screen(command, Path(scratch) / name))
    print("Time from launch to the lock screen (offscreen, enrolled till; first run, then median):")
    for name in variants:
        print(report(name, samples[name]))
    print_sizes(args.bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
