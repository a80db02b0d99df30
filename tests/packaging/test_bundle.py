"""The built bundle: it installs without Python, enrols, signs in, records, syncs, and carries no unused Qt.

Builds once per run (about a minute on two cores). Skip with `-m "not packaging"` or LOYALTY_SKIP_PACKAGING=1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.packaging.till_world import TillWorld, enrol_and_smoke, run_till, smoke_answer, till_env
from tests.support.live_server import REPO_ROOT

pytestmark = [pytest.mark.packaging, pytest.mark.slow, pytest.mark.timeout(900)]

BUILD_TIMEOUT_S = 600
NAME = "loyalty-till"
# Qt modules of PySide6-Essentials the till never imports: neither their libraries nor plugins ship.
UNUSED_QT = ("Qml", "Quick", "Network", "Pdf", "Designer", "Sql", "Test", "UiTools", "PrintSupport", "Xml")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`bash packaging/build.sh` into a temporary dist folder; the bundle's folder."""
    if os.environ.get("LOYALTY_SKIP_PACKAGING") == "1":
        pytest.skip("LOYALTY_SKIP_PACKAGING=1: the bundle is not built")
    if not sys.platform.startswith("linux"):
        pytest.skip("the build script and these checks are for Linux; see packaging/README.md")
    root = tmp_path_factory.mktemp("bundle")
    env = dict(os.environ, DIST=str(root / "dist"), WORK=str(root / "work"), PY=sys.executable)
    result = subprocess.run(  # noqa: S603
        ["bash", str(REPO_ROOT / "packaging" / "build.sh")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return root / "dist" / NAME


def program(bundle: Path) -> tuple[str]:
    return (str(bundle / NAME),)


def test_the_bundle_enrols_signs_in_records_a_purchase_and_syncs_it_exactly_once(
    bundle: Path, till_world: TillWorld, tmp_path: Path
) -> None:
    answer = enrol_and_smoke(program(bundle), till_world, tmp_path / "till")

    rows = till_world.accepted_rows(answer["transaction_id"])
    assert len(rows) == 1, "the server stored the purchase exactly once"
    assert rows[0]["card_number"] == till_world.card
    status = run_till(program(bundle), "--data-dir", str(tmp_path / "till"), "status")
    assert status.returncode == 0
    assert "Pending:   0" in status.stdout


def test_the_bundle_runs_its_own_demo_server(bundle: Path, tmp_path: Path) -> None:
    """`--demo` starts the server inside the bundle (its migrations, seed and uvicorn) and syncs to it."""
    answer = smoke_answer(
        run_till(program(bundle), "--data-dir", str(tmp_path / "demo"), "--demo", "--smoke-test")
    )

    assert answer["card"].startswith("BT-")
    assert "accepted_ms" in answer
    assert (tmp_path / "demo" / "demo-server.db").exists()


def test_the_bundle_knows_the_project_version(bundle: Path) -> None:
    with (REPO_ROOT / "pyproject.toml").open("rb") as pyproject:
        version = tomllib.load(pyproject)["project"]["version"]

    result = run_till(program(bundle), "--version")

    assert (result.returncode, result.stdout.strip()) == (0, f"{NAME} {version}")


def test_the_bundle_carries_no_unused_qt_modules_plugins_or_translations_but_its_own(bundle: Path) -> None:
    files = [path.relative_to(bundle).as_posix() for path in bundle.rglob("*")]

    assert not [f for f in files for module in UNUSED_QT if f"Qt6{module}" in f or f"Qt{module}." in f]
    qt_translations = [f for f in files if "/translations/" in f or (f.endswith(".qm") and "/PySide6/" in f)]
    assert not qt_translations, "Qt's own translations are left out"
    assert "_internal/desktop/ui/languages/till_de.qm" in files, "the till's German is carried"
    plugins = {f.split("/plugins/")[1] for f in files if "/plugins/" in f and f.endswith(".so")}
    assert "platforms/libqxcb.so" in plugins and "platforms/libqwayland.so" in plugins
    assert "platforms/libqoffscreen.so" in plugins and "imageformats/libqsvg.so" in plugins
    assert not [p for p in plugins if p.startswith(("platformthemes/", "egldeviceintegrations/", "generic/"))]
    assert not [path for path in bundle.rglob("*") if path.is_symlink() and not path.exists()]


def test_the_bundle_ships_both_migration_folders_and_a_desktop_entry_with_its_icon(bundle: Path) -> None:
    internal = bundle / "_internal"
    assert (internal / "desktop" / "ledger" / "migrations" / "alembic.ini").is_file()
    assert list((internal / "desktop" / "ledger" / "migrations" / "versions").glob("0001_*.py"))
    assert list((internal / "server_stub" / "migrations" / "versions").glob("*.py"))
    entry = (bundle / "share" / "applications" / f"{NAME}.desktop").read_text()
    assert f"Exec={NAME}" in entry and f"Icon={NAME}" in entry
    assert (bundle / "share" / "icons" / "hicolor" / "256x256" / "apps" / f"{NAME}.png").is_file()


def test_the_install_script_puts_the_program_on_the_path_and_its_entry_in_the_menu(
    bundle: Path, tmp_path: Path
) -> None:
    prefix, target = tmp_path / "usr", tmp_path / "opt" / NAME
    env = dict(os.environ, PREFIX=str(prefix), TARGET=str(target))
    installed = subprocess.run(  # noqa: S603
        ["bash", str(bundle / "install.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr

    entry = (prefix / "share" / "applications" / f"{NAME}.desktop").read_text()
    assert f"Exec={target / NAME}" in entry
    assert (prefix / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{NAME}.svg").is_file()
    assert run_till((str(prefix / "bin" / NAME),), "--version").returncode == 0


def test_the_bundled_window_closes_on_sigterm_and_stops_its_demo_server(bundle: Path, tmp_path: Path) -> None:
    command = [*program(bundle), "--data-dir", str(tmp_path / "demo"), "--demo", "-v"]
    process = subprocess.Popen(command, env=till_env(), stderr=subprocess.PIPE, text=True)  # noqa: S603
    assert process.stderr is not None
    try:
        for line in process.stderr:  # the till's log, until its lock screen is up
            if "lock screen shown" in line:
                break
        servers = children_of(process.pid)
        assert servers, "the demo server runs as a child of the bundle's program"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    assert not [pid for pid in servers if Path(f"/proc/{pid}").exists()], (
        "the demo server stops with the till"
    )


def children_of(pid: int) -> list[int]:
    """Linux lists a process's children by the thread that started them (the demo's: the ledger thread)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that just ended
            children += [int(child) for child in (task / "children").read_text().split()]
    return children
