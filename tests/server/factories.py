"""Server test worlds: a fresh merchant per test (stores, tills, staff, admin token) and a till client."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from server_stub.db import Database
from server_stub.service.programs import save_program_version
from server_stub.service.world import (
    create_admin_token,
    create_device,
    create_merchant,
    create_staff,
    create_store,
)
from sync.protocol import ProgramFields, ProgramType, Reward, Role

_card_numbers = itertools.count(1)

DEFAULT_PROGRAM = ProgramFields(
    type=ProgramType.HYBRID,
    stamps_target=5,
    points_per_currency_unit=10,
    minimum_purchase_cents=100,
    rewards=[Reward(id="coffee", name="Coffee", points_cost=100)],
    welcome_bonus_points=50,
    points_expiration_days=30,
    max_daily_stamps=2,
)
PINS = {"owner": "9000", "manager0": "5000", "staff0": "1000", "manager1": "5001", "staff1": "1001"}


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Till:
    """A device as a test drives it: its own seq counter and an httpx client with its token."""

    client: httpx.Client
    device_id: str
    store_id: int
    token: str
    seq: int = 0

    def tx(self, kind: str, card: str, staff_id: int, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        body: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "seq": self.seq,
            "type": kind,
            "card_number": card,
            "staff_id": staff_id,
            "transaction_at": fields.pop("transaction_at", now_iso()),
        }
        body.update(fields)
        return body

    def push(self, txs: list[dict[str, Any]], *, key: str | None = None) -> httpx.Response:
        return self.client.post(
            "/v1/sync/push", json={"transactions": txs}, headers={"Idempotency-Key": key or str(uuid.uuid4())}
        )

    def push_ok(self, txs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = self.push(txs)
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def card(self, number: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/cards/{number}")
        assert response.status_code == 200, response.text
        detail: dict[str, Any] = response.json()
        return detail


@dataclass
class World:
    url: str
    database: Database
    merchant_id: int
    store_ids: list[int]
    tills: list[Till]
    staff: dict[str, int]
    admin_token: str
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=60)
        self.clients.append(client)
        return client

    def new_card(self, *, stamps: int = 0, points: int = 0, number: str | None = None) -> str:
        """A card created at till 0, with opening balances adjusted by the owner."""
        number = number or f"C{uuid.uuid4().hex[:8]}-{next(_card_numbers)}"
        till, owner = self.tills[0], self.staff["owner"]
        txs = [
            till.tx("card_created", number, self.staff["staff0"], customer={"name": "Ann", "email": "a@x.ie"})
        ]
        if stamps:
            txs.append(till.tx("stamp_adjustment", number, owner, stamps_delta=stamps, notes="opening"))
        if points:
            txs.append(till.tx("points_adjustment", number, owner, points_delta=points, notes="opening"))
        assert all(r["status"] == "accepted" for r in till.push_ok(txs))
        return number

    def close(self) -> None:
        for client in self.clients:
            client.close()


def make_world(url: str, database: Database, *, program: ProgramFields = DEFAULT_PROGRAM) -> World:
    now = datetime.now(UTC)
    with database.session() as session, session.begin():
        merchant = create_merchant(session, name=f"Merchant {uuid.uuid4().hex[:6]}", now=now)
        save_program_version(session, merchant_id=merchant.id, fields=program, now=now)
        stores = [
            create_store(session, merchant_id=merchant.id, name="North", timezone="Europe/Dublin"),
            create_store(session, merchant_id=merchant.id, name="West", timezone="America/Los_Angeles"),
        ]
        devices = [
            create_device(session, store=store, name=f"{store.name} till", now=now) for store in stores
        ]
        plan = [
            ("owner", Role.MERCHANT_OWNER, None),
            ("manager0", Role.STORE_MANAGER, stores[0].id),
            ("staff0", Role.STAFF, stores[0].id),
            ("manager1", Role.STORE_MANAGER, stores[1].id),
            ("staff1", Role.STAFF, stores[1].id),
        ]
        staff = {
            key: create_staff(
                session,
                merchant_id=merchant.id,
                name=key,
                role=role,
                store_id=store_id,
                pin=PINS[key],
                now=now,
            ).id
            for key, role, store_id in plan
        }
        admin = create_admin_token(session, merchant_id=merchant.id, name="head office", now=now)
        store_ids = [store.id for store in stores]
        merchant_id = merchant.id
    world = World(
        url=url,
        database=database,
        merchant_id=merchant_id,
        store_ids=store_ids,
        tills=[],
        staff=staff,
        admin_token=admin.token,
    )
    for device, store_id in zip(devices, store_ids, strict=True):
        world.tills.append(Till(world.client(device.token), device.id, store_id, device.token))
    return world
