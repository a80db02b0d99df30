"""The demo's head-office console: a console user, today's sales at the other shop, a rejection."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from desktop.config import write_private_text

log = logging.getLogger(__name__)

OFFICE_FILE = "demo-office.json"
OFFICE_USERNAME = "demo-admin"
ACTIVITY_MARK = "demo-activity-{day}"
TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class ConsoleHint:
    """Where the demo's console is, and who signs in (a demo password, kept in the demo's folder)."""

    url: str
    username: str
    password: str

    def text(self) -> str:
        return f"Head-office console: {self.url}  user: {self.username}  password: {self.password}"


def prepare_console(
    data_dir: Path, document: dict[str, Any], server_url: str, database_url: str
) -> ConsoleHint:
    """The console user (made once), and today's activity at the merchant's second shop (once a day)."""
    merchant = document["merchants"][0]
    hint = ConsoleHint(f"{server_url}/office/", *_office_user(data_dir, merchant["id"], database_url))
    mark = data_dir / ACTIVITY_MARK.format(day=datetime.now(UTC).date().isoformat())
    if not mark.exists() and len(merchant["devices"]) > 1:
        _push_today(server_url, merchant)
        write_private_text(mark, "done\n")
    print(hint.text(), flush=True)  # noqa: T201 - the demo tells the person at its terminal
    log.info("demo console on %s as %s", hint.url, hint.username)
    return hint


def _office_user(data_dir: Path, merchant_id: int, database_url: str) -> tuple[str, str]:
    path = data_dir / OFFICE_FILE
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        return str(saved["username"]), str(saved["password"])
    password = secrets.token_urlsafe(12)
    command = [sys.executable, "-m", "server_stub.cli", "create-office-user", "--database-url", database_url]
    command += ["--merchant-id", str(merchant_id), "--username", OFFICE_USERNAME, "--role", "admin"]
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        command, input=password + "\n", capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"create-office-user failed: {result.stderr[-500:]}")
    path.write_text(json.dumps({"username": OFFICE_USERNAME, "password": password}), encoding="utf-8")
    os.chmod(path, 0o600)  # a demo password, but a password
    return OFFICE_USERNAME, password


def _push_today(server_url: str, merchant: dict[str, Any]) -> None:
    """Sales at the second shop's till (never this till's device: its seq numbers are its own): new
    cards, purchases, stamps, a reward, and a fourth stamp in a day that the server refuses."""
    device = merchant["devices"][1]
    staff = next(s for s in merchant["staff"] if s["store_id"] == device["store_id"] and s["role"] == "staff")
    today = datetime.now(UTC).date()
    now = datetime.now(UTC).isoformat()
    items: list[dict[str, Any]] = []
    for index, name in enumerate(("Greta", "Hans", "Ines"), start=1):
        card = f"BT-D{today:%m%d}-{index}"
        items += [
            {"type": "card_created", "card_number": card, "customer": {"name": name}},
            {"type": "welcome_bonus", "card_number": card, "points_delta": 50},
            {
                "type": "points_earned",
                "card_number": card,
                "points_delta": 45 * index,
                "purchase_amount_cents": 450 * index,
                "order_reference": f"demo-{uuid.uuid4().hex[:10]}",
            },
        ]
    stamped = f"BT-D{today:%m%d}-1"
    items += [{"type": "stamp_earned", "card_number": stamped, "stamps_delta": 1} for _ in range(4)]
    base = _seq_base(today)
    body = [
        {"id": str(uuid.uuid4()), "seq": base + seq, "staff_id": staff["id"], "transaction_at": now, **item}
        for seq, item in enumerate(items, start=1)
    ]
    response = httpx.post(
        f"{server_url}/v1/sync/push",
        json={"transactions": body},
        headers={"Authorization": f"Bearer {device['token']}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=TIMEOUT_S,
    )
    response.raise_for_status()
    refused = [r["reason"] for r in response.json()["results"] if r["status"] == "rejected"]
    log.info("demo activity pushed: %d transactions, refused: %s", len(body), refused)


def _seq_base(day: date) -> int:
    """Increasing from one day to the next (a till's seq numbers are never reused)."""
    return (day - date(2020, 1, 1)).days * 1000
