"""Test world for the sync engine: a seeded server, tills enrolled by code, and server-side checks."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from desktop.ledger import Ledger, StaffView, open_ledger
from sync.engine import BatchSizer, SyncEngine
from sync.errors import Offline
from sync.protocol import CardState
from sync.report import SyncReport
from sync.transport import SyncClient

TIMEOUT = 10.0


@dataclass
class World:
    """The seed-demo document's first merchant, and where its server answers."""

    server_url: str
    document: dict[str, Any]

    @property
    def merchant(self) -> dict[str, Any]:
        return dict(self.document["merchants"][0])

    @property
    def admin_token(self) -> str:
        return str(self.merchant["admin_token"])

    def store_id(self, index: int = 0) -> int:
        return int(self.merchant["stores"][index]["id"])

    def staff(self, role: str, store_id: int | None) -> dict[str, Any]:
        return next(s for s in self.merchant["staff"] if s["role"] == role and s["store_id"] == store_id)

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server_url, headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=TIMEOUT
        )

    def enrolment_code(self, store_id: int) -> str:
        with self.admin() as admin:
            response = admin.post("/v1/office/enrolment-codes", json={"store_id": store_id})
        response.raise_for_status()
        return str(response.json()["enrolment_code"])


@dataclass
class Till:
    """A till: its ledger file, its logged-in cashier, and an engine factory."""

    ledger: Ledger
    path: Path
    staff: StaffView
    manager: StaffView

    def engine(
        self, *, url: str | None = None, timeout: float = TIMEOUT, batch: int = 250, **options: Any
    ) -> SyncEngine:
        identity = self.ledger.identity()
        assert identity is not None
        client = SyncClient(url or identity.server_url, identity.token, timeout=timeout)
        return SyncEngine(self.ledger, client, sizer=BatchSizer(size=batch), **options)

    def sync(self, **options: Any) -> SyncReport:
        engine = self.engine(**options)
        try:
            return engine.run_once()
        finally:
            engine.close()

    def sync_until_done(self, *, attempts: int = 20, **options: Any) -> SyncReport:
        """Retry through faults (as the worker would, without its waits) until a round succeeds."""
        engine = self.engine(**options)
        try:
            for _ in range(attempts):
                try:
                    return engine.run_once()
                except Offline:
                    continue
        finally:
            engine.close()
        raise AssertionError(f"no successful round in {attempts} attempts")

    def earn(self, card_number: str, cents: int = 1000) -> str:
        recorded = self.ledger.earn_points(
            self.staff, card_number, purchase_amount_cents=cents, order_reference=f"o-{uuid.uuid4().hex[:12]}"
        )
        return recorded.transaction.id


def enrol_till(world: World, directory: Path, *, store_index: int = 0, url: str | None = None) -> Till:
    """A fresh ledger enrolled with a new code (a device of its own), first pull done."""
    from sync.enrolment import enrol

    store_id = world.store_id(store_index)
    path = directory / f"till-{uuid.uuid4().hex[:8]}" / "ledger.db"
    ledger = open_ledger(path)
    enrol(ledger, url or world.server_url, world.enrolment_code(store_id), "Test till", timeout=TIMEOUT)
    cashier = world.staff("staff", store_id)
    manager = world.staff("store_manager", store_id)
    return Till(
        ledger=ledger,
        path=path,
        staff=ledger.login(cashier["id"], cashier["pin"]),
        manager=ledger.login(manager["id"], manager["pin"]),
    )


def new_card(till: Till) -> str:
    number = f"T-{uuid.uuid4().hex[:10]}"
    till.ledger.enrol_card(till.staff, number, customer_name="Test Customer")
    return number


def _pages(client: httpx.Client, path: str) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        response = client.get(path, params=params)
        response.raise_for_status()
        body = response.json()
        yield from body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return


@dataclass(frozen=True)
class ServerLedger:
    """What the server stored for one device: accepted ids (with repeats) and rejections."""

    accepted: list[str]
    rejected: dict[str, str]


def server_ledger(world: World, device_id: str) -> ServerLedger:
    with world.admin() as admin:
        response = admin.get("/v1/office/ledger.csv")
        response.raise_for_status()
        rows = list(csv.DictReader(io.StringIO(response.text)))
        accepted = [row["id"] for row in rows if row["device_id"] == device_id]
        rejections = _pages(admin, "/v1/office/rejections")
        rejected_items = [item for item in rejections if item["device_id"] == device_id]
    rejected = {item["id"]: item["reason"] for item in rejected_items}
    assert len(rejected) == len(rejected_items), "a transaction was rejected twice"
    return ServerLedger(accepted=accepted, rejected=rejected)


def server_card(world: World, till: Till, number: str) -> CardState:
    identity = till.ledger.identity()
    assert identity is not None
    with SyncClient(world.server_url, identity.token, timeout=TIMEOUT) as client:
        detail = client.card(number)
    assert detail is not None
    card = detail.card
    return CardState(
        card_number=card.card_number,
        stamp_count=card.stamp_count,
        points_balance=card.points_balance,
        is_active=card.is_active,
    )


def till_transactions(till: Till) -> dict[str, str]:
    """Every transaction the till recorded -> its sync state (read from the ledger file)."""
    import sqlite3

    with sqlite3.connect(f"file:{till.path}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT id, sync_state FROM transactions").fetchall())


def assert_exactly_once_and_converged(world: World, till: Till, cards: list[str]) -> None:
    """Every till transaction is on the server once (accepted or rejected, as the till says) and
    the till's view of each card equals the server's."""
    identity = till.ledger.identity()
    assert identity is not None
    stored = server_ledger(world, identity.device_id)
    assert len(stored.accepted) == len(set(stored.accepted)), "a transaction was accepted twice"
    assert not set(stored.accepted) & set(stored.rejected), "a transaction is both accepted and rejected"
    states = till_transactions(till)
    assert "pending" not in states.values()
    assert {i for i, s in states.items() if s == "accepted"} == set(stored.accepted)
    assert {i for i, s in states.items() if s == "rejected"} == set(stored.rejected)
    for number in cards:
        view = till.ledger.find_card(number)
        assert view is not None
        server = server_card(world, till, number)
        assert (view.stamp_count, view.points_balance, view.is_active) == (
            server.stamp_count,
            server.points_balance,
            server.is_active,
        ), number
        assert not view.has_pending


Factory = Callable[..., Till]
