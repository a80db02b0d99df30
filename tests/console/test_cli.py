"""`loyalty-server create-office-user`: the password from standard input, nothing secret printed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.console.helpers import run_cli_with_input
from tests.support.live_server import seed_demo


def test_create_office_user_reads_the_password_from_stdin_and_refuses_short_ones(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    merchant = seed_demo(url)["merchants"][0]["id"]
    args = ["create-office-user", "--database-url", url, "--merchant-id", str(merchant), "--role", "analyst"]
    short = run_cli_with_input("elevenchars\n", *args, "--username", "ann")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    password = "twelve chars plus"
    made = run_cli_with_input(password + "\n", *args, "--username", "Ann.Lee")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) == {
        "id": 1,
        "merchant_id": merchant,
        "username": "ann.lee",
        "role": "analyst",
    }
    assert password not in made.stdout + made.stderr and "argon2" not in made.stdout + made.stderr
    again = run_cli_with_input(password + "\n", *args, "--username", "ANN.LEE")
    assert again.returncode == 1 and "taken" in again.stderr
    nowhere = run_cli_with_input(password + "\n", *args[:4], "999", *args[5:], "--username", "bo.b")
    assert nowhere.returncode == 1 and "no merchant 999" in nowhere.stderr
