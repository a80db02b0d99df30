"""`loyalty-till enrol | sync | status | export-pending` against the real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import EXIT_FAILED, EXIT_NOT_ALLOWED, EXIT_OK, run
from desktop.ledger import open_ledger
from tests.support.live_server import REPO_ROOT, free_port
from tests.support.private_files import exposed, usual_umask
from tests.sync_engine.world import World, server_ledger


def enrol(world: World, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = world.enrolment_code(world.store_id(0))
    args = ["--data-dir", str(data_dir), "enrol", "--server", world.server_url, "--code", code]
    assert run([*args, "--name", "Till 9"]) == EXIT_OK
    return capsys.readouterr().out


def record_purchases(world: World, data_dir: Path, count: int) -> str:
    cashier = world.staff("staff", world.store_id(0))
    ledger = open_ledger(data_dir / "ledger.db")
    try:
        staff = ledger.login(cashier["id"], cashier["pin"])
        card = "CLI-" + data_dir.name[-8:].replace("_", "-")
        ledger.enrol_card(staff, card)
        for index in range(count):
            ledger.earn_points(staff, card, purchase_amount_cents=1000, order_reference=f"{card}-{index}")
    finally:
        ledger.close()
    return card


def status(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert run(["--data-dir", str(data_dir), "status", "--json"]) == EXIT_OK
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def test_enrol_then_sync_prints_what_moved(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = enrol(world, tmp_path, capsys)
    assert "Enrolled as device" in out
    record_purchases(world, tmp_path, 3)
    assert run(["--data-dir", str(tmp_path), "sync"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "pushed 5 transaction(s)" in out  # the card, its welcome bonus, three purchases
    assert "5 accepted, 0 rejected" in out


def test_enrolling_twice_or_with_a_bad_code_is_refused_in_words(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = ["--data-dir", str(tmp_path / "other"), "enrol", "--server", world.server_url, "--code", "nope"]
    assert run(bad) == EXIT_NOT_ALLOWED
    assert "Enrolment refused" in capsys.readouterr().err
    enrol(world, tmp_path, capsys)
    again = ["--data-dir", str(tmp_path), "enrol", "--server", world.server_url, "--code", "x"]
    assert run(again) == EXIT_NOT_ALLOWED
    assert "already enrolled" in capsys.readouterr().err


def test_status_shows_the_backlog_then_the_last_sync_and_cursor(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    enrol(world, tmp_path, capsys)
    record_purchases(world, tmp_path, 2)
    before = status(tmp_path, capsys)
    assert before["pending_count"] == 4
    assert isinstance(before["oldest_pending_age_seconds"], int)
    assert before["cursor"]  # the first pull at enrolment
    run(["--data-dir", str(tmp_path), "sync"])
    capsys.readouterr()
    after = status(tmp_path, capsys)
    assert after["pending_count"] == 0 and after["oldest_pending_at"] is None
    assert after["last_sync_at"] and after["last_sync_error"] is None
    assert run(["--data-dir", str(tmp_path), "status"]) == EXIT_OK
    assert "Pending:   0" in capsys.readouterr().out


def test_sync_without_a_server_fails_with_a_message_and_keeps_everything(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = world.enrolment_code(world.store_id(0))
    run(["--data-dir", str(tmp_path), "enrol", "--server", world.server_url, "--code", code])
    record_purchases(world, tmp_path, 1)
    ledger = open_ledger(tmp_path / "ledger.db")
    identity = ledger.identity()
    assert identity is not None
    from dataclasses import replace

    ledger.save_identity(replace(identity, server_url=f"http://127.0.0.1:{free_port()}"))
    ledger.close()
    capsys.readouterr()
    assert run(["--data-dir", str(tmp_path), "sync", "--timeout", "2"]) == EXIT_FAILED
    assert "Offline" in capsys.readouterr().err
    assert status(tmp_path, capsys)["pending_count"] == 3


def test_an_exported_backlog_imported_by_head_office_changes_nothing_when_the_till_syncs_later(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    enrol(world, tmp_path, capsys)
    record_purchases(world, tmp_path, 4)
    export = tmp_path / "pending.json"
    assert run(["--data-dir", str(tmp_path), "export-pending", str(export)]) == EXIT_OK
    assert "Wrote 6 pending" in capsys.readouterr().out
    with world.admin() as admin:
        answer = admin.post(
            "/v1/office/import", content=export.read_bytes(), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"] * 6
    device_id = str(json.loads(export.read_text())["device_id"])
    imported = server_ledger(world, device_id)
    assert status(tmp_path, capsys)["pending_count"] == 6  # nothing leaves before the server answers it
    assert run(["--data-dir", str(tmp_path), "sync"]) == EXIT_OK
    assert "6 accepted, 0 rejected" in capsys.readouterr().out
    assert server_ledger(world, device_id) == imported
    assert status(tmp_path, capsys)["pending_count"] == 0


def test_export_with_nothing_pending_writes_no_file(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    enrol(world, tmp_path, capsys)
    assert run(["--data-dir", str(tmp_path), "export-pending", str(tmp_path / "x.json")]) == EXIT_OK
    assert not (tmp_path / "x.json").exists()


def test_the_command_line_never_imports_qt(tmp_path: Path) -> None:
    code = (
        "import sys; from desktop.cli import run; "
        f"code = run(['--data-dir', {str(tmp_path)!r}, 'status', '--json']); "
        "assert 'PySide6' not in sys.modules, 'Qt was imported'; sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["enrolled"] is False


def test_the_data_folder_and_every_file_in_it_are_private_after_enrolment_and_sync(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "till"
    with usual_umask():
        enrol(world, data_dir, capsys)
        assert exposed(data_dir) == []
        record_purchases(world, data_dir, 2)
        assert run(["--data-dir", str(data_dir), "sync"]) == EXIT_OK
        assert exposed(data_dir) == []
        ledger = open_ledger(data_dir / "ledger.db")  # open: its WAL and shared-memory files exist
        try:
            cashier = world.staff("staff", world.store_id(0))
            ledger.enrol_card(ledger.login(cashier["id"], cashier["pin"]), "PRIVATE-1")
            assert {"ledger.db-wal", "ledger.db-shm"} <= {p.name for p in data_dir.iterdir()}
            assert exposed(data_dir) == []
        finally:
            ledger.close()
