"""Creating merchants, stores, staff, devices and admin tokens (seed, office and test factories)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server_stub.models import AdminToken, ChangeCounter, Device, Merchant, Staff, Store
from server_stub.security import new_token, token_hash
from server_stub.service.changes import next_change_number
from sync.pins import hash_pin
from sync.protocol import Role


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: shown once to whoever asked, stored only as its hash."""

    id: str
    token: str


def create_merchant(session: Session, *, name: str, now: datetime) -> Merchant:
    merchant = Merchant(name=name, created_at=now)
    session.add(merchant)
    session.flush()
    session.add(ChangeCounter(merchant_id=merchant.id, value=0))
    session.flush()
    return merchant


def create_store(session: Session, *, merchant_id: int, name: str, timezone: str) -> Store:
    ZoneInfo(timezone)  # raises for an unknown IANA name
    store = Store(merchant_id=merchant_id, name=name, timezone=timezone)
    session.add(store)
    session.flush()
    return store


def create_staff(
    session: Session,
    *,
    merchant_id: int,
    name: str,
    role: Role,
    store_id: int | None,
    pin: str,
    now: datetime,
) -> Staff:
    staff = Staff(
        merchant_id=merchant_id,
        store_id=store_id,
        name=name,
        role=role.value,
        pin_hash=hash_pin(pin),
        is_active=True,
        change_no=next_change_number(session, merchant_id),
        created_at=now,
        updated_at=now,
    )
    session.add(staff)
    session.flush()
    return staff


def create_device(session: Session, *, store: Store, name: str, now: datetime) -> IssuedToken:
    token = new_token()
    device = Device(
        id=str(uuid.uuid4()),
        merchant_id=store.merchant_id,
        store_id=store.id,
        name=name,
        token_hash=token_hash(token),
        created_at=now,
    )
    session.add(device)
    session.flush()
    return IssuedToken(id=device.id, token=token)


def create_admin_token(session: Session, *, merchant_id: int, name: str, now: datetime) -> IssuedToken:
    token = new_token()
    row = AdminToken(merchant_id=merchant_id, name=name, token_hash=token_hash(token), created_at=now)
    session.add(row)
    session.flush()
    return IssuedToken(id=str(row.id), token=token)
