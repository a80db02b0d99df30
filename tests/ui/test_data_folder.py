"""The till's data folder: private to the till's user (0700, files 0600), one place on every platform,
and the demo in a folder of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop import cli
from desktop.app import Till
from desktop.config import DATA_DIR_ENV, DEMO_FOLDER, LEDGER_FILE, data_dir_for
from desktop.ui.ops import Change
from tests.support.live_server import LiveServer
from tests.support.private_files import exposed, usual_umask
from tests.ui.conftest import sign_in
from tests.ui.test_sync_flows import SLOW, adopted_data_dir, staff_of

Served = tuple[LiveServer, dict[str, Any]]


def test_a_running_till_keeps_its_folder_and_files_private_through_a_sync(
    qtbot: QtBot, tmp_path: Path, live_server_sqlite: Served, app_till: Callable[[Path], Till]
) -> None:
    server, world = live_server_sqlite
    with usual_umask():
        data_dir = adopted_data_dir(tmp_path, server, world)
        app = app_till(data_dir)
        cashier = staff_of(world, "staff", 1)
        sign_in(qtbot, app.window, cashier["name"], cashier["pin"])
        staff = app.context.staff
        recorded: list[object] = []
        app.context.op(app.window, lambda ledger: ledger.add_stamp(staff, "BT-0001")).success(
            recorded.append
        ).changes(Change.RECORDED).run()
        bar = app.window.status_bar
        qtbot.waitUntil(lambda: bool(recorded) and bar.pending_label.text().startswith("1 waiting"))
        qtbot.waitUntil(bar.sync_button.isEnabled, timeout=SLOW)
        bar.sync_button.click()
        qtbot.waitUntil(lambda: bar.pending_label.text() == "All synced", timeout=SLOW)

        names = {path.name for path in data_dir.iterdir()}
        assert {LEDGER_FILE, f"{LEDGER_FILE}-wal", f"{LEDGER_FILE}-shm", "sync.lock"} <= names
        assert exposed(data_dir) == []


def test_one_function_decides_the_folder_the_environment_overrides_it_and_the_demo_has_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    platform_folder = data_dir_for(None)
    assert platform_folder.is_relative_to(tmp_path / "xdg")
    assert data_dir_for(None, demo=True) == platform_folder / DEMO_FOLDER

    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "shop"))
    assert data_dir_for(None) == tmp_path / "shop"
    assert data_dir_for(None, demo=True) == tmp_path / "shop" / DEMO_FOLDER
    assert data_dir_for(tmp_path / "given", demo=True) == tmp_path / "given"  # --data-dir wins


def test_every_command_uses_the_folder_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "shop"))

    assert cli.run(["status", "--json"]) == cli.EXIT_OK

    assert (tmp_path / "shop" / LEDGER_FILE).exists()
    assert not (tmp_path / "xdg").exists()
    assert '"enrolled": false' in capsys.readouterr().out


def test_the_demo_never_runs_in_the_real_tills_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "shop"))
    opened: list[tuple[Path, bool]] = []
    monkeypatch.setattr(
        "desktop.app.run_gui", lambda data_dir, demo, language: opened.append((data_dir, demo)) or 0
    )

    assert cli.run(["--demo"]) == 0
    assert cli.run([]) == 0

    assert opened == [(tmp_path / "shop" / DEMO_FOLDER, True), (tmp_path / "shop", False)]
