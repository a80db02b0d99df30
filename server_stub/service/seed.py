"""The demo world: two merchants with stores, tills, staff and cards whose balances the ledger backs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.models import Merchant, Store
from server_stub.service.backend import Backend
from server_stub.service.judging import Submitter, new_tx_id
from server_stub.service.programs import save_program_version
from server_stub.service.push import apply_server_batch
from server_stub.service.world import (
    create_admin_token,
    create_device,
    create_merchant,
    create_staff,
    create_store,
)
from sync.protocol import Customer, ProgramFields, ProgramType, Reward, Role, TransactionType, Tx

T = TransactionType
OPENING = "opening balance"


class WorldExists(Exception):
    """seed-demo was run on this database before."""


@dataclass(frozen=True, slots=True)
class MerchantPlan:
    name: str
    program: ProgramFields
    stores: tuple[tuple[str, str], ...]
    card_prefix: str
    pins: dict[str, str] = field(default_factory=dict)


PLANS = (
    MerchantPlan(
        name="Bean There Coffee",
        program=ProgramFields(
            type=ProgramType.HYBRID,
            stamps_target=10,
            stamps_reward_description="A free coffee",
            points_per_currency_unit=10,
            minimum_purchase_cents=100,
            rewards=[
                Reward(id="free-coffee", name="Free coffee", points_cost=300),
                Reward(id="tote-bag", name="Tote bag", points_cost=1500),
            ],
            welcome_bonus_points=50,
            points_expiration_days=365,
            max_daily_stamps=3,
        ),
        stores=(("Bean There Dublin", "Europe/Dublin"), ("Bean There Berlin", "Europe/Berlin")),
        card_prefix="BT",
    ),
    MerchantPlan(
        name="Page Turner Books",
        program=ProgramFields(
            type=ProgramType.POINTS,
            points_per_currency_unit=5,
            minimum_purchase_cents=500,
            rewards=[Reward(id="voucher-5", name="5 euro voucher", points_cost=500)],
            welcome_bonus_points=0,
            points_expiration_days=730,
            pin_max_attempts=3,
            pin_lockout_minutes=30,
        ),
        stores=(
            ("Page Turner New York", "America/New_York"),
            ("Page Turner Los Angeles", "America/Los_Angeles"),
        ),
        card_prefix="PT",
    ),
)
# (name, role, index of the store or None for merchant-wide, PIN)
STAFF_PLAN = (
    ("Olive Owner", Role.MERCHANT_OWNER, None, "9000"),
    ("Max Manager", Role.STORE_MANAGER, 0, "5000"),
    ("Sam Staff", Role.STAFF, 0, "1000"),
    ("Mia Manager", Role.STORE_MANAGER, 1, "5001"),
    ("Tom Staff", Role.STAFF, 1, "1001"),
)
CARD_COUNT = 6


def seed_demo(session: Session, backend: Backend, *, now: datetime) -> dict[str, Any]:
    """Create the world in the caller's transaction and return the seed-demo document."""
    if session.execute(select(Merchant.id).limit(1)).first() is not None:
        raise WorldExists("this database already holds data; seed-demo runs only on an empty database")
    return {"merchants": [_seed_merchant(session, backend, plan, now) for plan in PLANS]}


def _seed_merchant(session: Session, backend: Backend, plan: MerchantPlan, now: datetime) -> dict[str, Any]:
    merchant = create_merchant(session, name=plan.name, now=now)
    program = save_program_version(session, merchant_id=merchant.id, fields=plan.program, now=now)
    stores = [create_store(session, merchant_id=merchant.id, name=n, timezone=tz) for n, tz in plan.stores]
    devices = [create_device(session, store=store, name=f"{store.name} till 1", now=now) for store in stores]
    staff_out = []
    for name, role, store_index, pin in STAFF_PLAN:
        store_id = stores[store_index].id if store_index is not None else None
        member = create_staff(
            session, merchant_id=merchant.id, name=name, role=role, store_id=store_id, pin=pin, now=now
        )
        staff_out.append(
            {"id": member.id, "name": name, "role": role.value, "store_id": store_id, "pin": pin}
        )
    admin = create_admin_token(session, merchant_id=merchant.id, name=f"{plan.name} head office", now=now)
    cards = _seed_cards(session, backend, plan, stores[0], owner_id=int(str(staff_out[0]["id"])), now=now)
    return {
        "id": merchant.id,
        "name": merchant.name,
        "admin_token": admin.token,
        "program": program.model_dump(mode="json"),
        "stores": [{"id": s.id, "name": s.name, "timezone": s.timezone} for s in stores],
        "devices": [
            {"device_id": d.id, "store_id": s.id, "token": d.token}
            for d, s in zip(devices, stores, strict=True)
        ],
        "staff": staff_out,
        "cards": cards,
    }


def _seed_cards(
    session: Session, backend: Backend, plan: MerchantPlan, store: Store, *, owner_id: int, now: datetime
) -> list[dict[str, Any]]:
    """card_created plus opening-balance adjustments by the owner: server-made rows, no device."""
    txs: list[Tx] = []
    for number in range(1, CARD_COUNT + 1):
        card_number = f"{plan.card_prefix}-{number:04d}"
        stamps = number if plan.program.has_stamps else 0
        points = number * 100 if plan.program.has_points else 0
        kinds = [(T.CARD_CREATED, 0, 0)]
        kinds += [(T.STAMP_ADJUSTMENT, stamps, 0)] if stamps else []
        kinds += [(T.POINTS_ADJUSTMENT, 0, points)] if points else []
        for kind, stamps_delta, points_delta in kinds:
            txs.append(
                Tx.model_construct(
                    id=new_tx_id(),
                    seq=len(txs) + 1,
                    type=kind,
                    card_number=card_number,
                    staff_id=owner_id,
                    transaction_at=now,
                    stamps_delta=stamps_delta,
                    points_delta=points_delta,
                    notes=OPENING if kind != T.CARD_CREATED else None,
                    customer=Customer(name=f"Demo Customer {number}") if kind == T.CARD_CREATED else None,
                    purchase_amount_cents=None,
                    order_reference=None,
                    reward_id=None,
                    related_transaction_id=None,
                    program_version=None,
                )
            )
    submitter = Submitter(
        merchant_id=store.merchant_id, store_id=store.id, timezone=store.timezone, device_id=None
    )
    verdicts = apply_server_batch(session, backend, submitter, txs, now=now)
    if any(verdict.reason is not None for verdict in verdicts):
        raise RuntimeError("the demo seed violates the loyalty rules")
    latest = {verdict.card.card_number: verdict.card for verdict in verdicts if verdict.card is not None}
    return [
        {
            "card_number": card.card_number,
            "stamp_count": card.stamp_count,
            "points_balance": card.points_balance,
            "is_active": card.is_active,
        }
        for card in (latest[number] for number in sorted(latest))
    ]
