"""Console test helpers: a seeded world with office users, and a form-posting HTTP client."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from typing import Any

import httpx

from tests.support.live_server import LiveServer

PASSWORD = "a long console password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Merchant:
    """One merchant of the seed document, with its console users' names."""

    document: dict[str, Any]
    admin: str
    analyst: str

    @property
    def id(self) -> int:
        return int(self.document["id"])

    def device(self, index: int = 0) -> dict[str, Any]:
        return dict(self.document["devices"][index])

    def staff(self, role: str, store_id: int | None) -> dict[str, Any]:
        return next(s for s in self.document["staff"] if s["role"] == role and s["store_id"] == store_id)

    def store_id(self, index: int = 0) -> int:
        return int(self.document["stores"][index]["id"])


@dataclass
class ConsoleWorld:
    server: LiveServer
    database_url: str
    merchants: list[Merchant]
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, merchant: Merchant) -> httpx.Client:
        """The office JSON API with the merchant's admin token."""
        token = merchant.document["admin_token"]
        return self._client(httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}))

    def till(self, token: str) -> httpx.Client:
        return self._client(httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}))

    def browserless(self) -> Browserless:
        client = Browserless(self.url)
        self.clients.append(client.http)
        return client

    def signed_in(self, username: str) -> Browserless:
        client = self.browserless()
        response = client.sign_in(username, PASSWORD)
        assert response.status_code == 303, response.text
        return client

    def _client(self, client: httpx.Client) -> httpx.Client:
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()


def create_office_user(database_url: str, merchant_id: int, role: str, *, username: str | None = None) -> str:
    """Through the CLI, the password on standard input; returns the user name."""
    name = username or f"{role}-{uuid.uuid4().hex[:8]}"
    result = run_cli_with_input(
        PASSWORD + "\n",
        "create-office-user",
        "--database-url",
        database_url,
        "--merchant-id",
        str(merchant_id),
        "--username",
        name,
        "--role",
        role,
    )
    assert result.returncode == 0, result.stderr
    return name


def run_cli_with_input(stdin: str, *args: str) -> Any:
    import subprocess
    import sys

    from tests.support.live_server import REPO_ROOT, server_env

    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "server_stub.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=server_env(),
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )


class Browserless:
    """The console over plain HTTP: cookies kept, forms posted with the page's CSRF token."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, follow_redirects=False, timeout=30)

    def sign_in(self, username: str, password: str, *, next_path: str = "/office/") -> httpx.Response:
        form = self.http.get("/office/login")
        token = csrf_of(form.text)
        return self.http.post(
            "/office/login",
            data={"username": username, "password": password, "csrf_token": token, "next": next_path},
        )

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def csrf(self) -> str:
        return csrf_of(self.http.get("/office/").text)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, with_csrf: bool = True
    ) -> httpx.Response:
        values = dict(data or {})
        if with_csrf:
            values["csrf_token"] = self.csrf()
        return self.http.post(path, data=values)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "no CSRF field on the page"
    return unescape(found.group(1))


def page_text(html: str) -> str:
    """The page's text without tags (for 'shows' assertions)."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def rejected_push(
    world: ConsoleWorld, merchant: Merchant, *, points: int = 500
) -> tuple[dict[str, Any], str]:
    """A points_earned the server refuses (invalid_points), from a new till of store 0: (device, tx id)."""
    device = enrol_device(world, merchant)
    card = merchant.document["cards"][0]["card_number"]
    staff = merchant.staff("staff", merchant.store_id(0))
    tx_id = str(uuid.uuid4())
    body = {
        "id": tx_id,
        "seq": 1,
        "type": "points_earned",
        "card_number": card,
        "staff_id": staff["id"],
        "transaction_at": "2026-01-01T10:00:00+00:00",
        "points_delta": points,
        "purchase_amount_cents": 1,  # far too little for these points: invalid_points
    }
    response = world.till(device["token"]).post(
        "/v1/sync/push", json={"transactions": [body]}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "rejected"
    return device, tx_id


def push_txs(
    world: ConsoleWorld, merchant: Merchant, device: dict[str, Any], card: str, txs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The till pushes `txs` on one card (seq 1 up, made now by a cashier of its store): the results."""
    cashier = merchant.staff("staff", device["store"]["id"])["id"]
    now = datetime.now(UTC).isoformat()
    body = [
        {
            "id": str(uuid.uuid4()),
            "seq": seq,
            "card_number": card,
            "staff_id": cashier,
            "transaction_at": now,
            **tx,
        }
        for seq, tx in enumerate(txs, start=1)
    ]
    answer = world.till(device["token"]).post(
        "/v1/sync/push", json={"transactions": body}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


def enrol_device(world: ConsoleWorld, merchant: Merchant, store_index: int = 0) -> dict[str, Any]:
    code = world.api(merchant).post(
        "/v1/office/enrolment-codes", json={"store_id": merchant.store_id(store_index)}
    )
    assert code.status_code == 201, code.text
    name = f"Till {uuid.uuid4().hex[:4]}"
    registered = httpx.post(
        f"{world.url}/v1/devices/register",
        json={"enrolment_code": code.json()["enrolment_code"], "device_name": name},
    )
    assert registered.status_code == 201, registered.text
    return {**registered.json(), "device_name": name}
