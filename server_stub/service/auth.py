"""Who is calling: a device token or an admin token, looked up by its SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server_stub.models import AdminToken, Device, Store
from server_stub.security import token_hash

LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class DeviceContext:
    device_id: str
    merchant_id: int
    store_id: int
    store_name: str
    store_timezone: str


@dataclass(frozen=True, slots=True)
class AdminContext:
    token_id: int
    merchant_id: int
    name: str  # the actor in the audit log


class TokenRejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_DEVICE_BY_TOKEN = (
    select(Device.id, Device.merchant_id, Device.revoked_at, Store.id, Store.name, Store.timezone)
    .join(Store, Store.id == Device.store_id)
    .where(Device.token_hash == bindparam("token_hash"))
)


def authenticate_device(session: Session, token: str) -> DeviceContext:
    """The calling device (read only: safe in a read session)."""
    row = session.connection().execute(_DEVICE_BY_TOKEN, {"token_hash": token_hash(token)}).one_or_none()
    if row is None:
        raise TokenRejected("invalid_token")
    device_id, merchant_id, revoked_at, store_id, store_name, store_timezone = row
    if revoked_at is not None:
        raise TokenRejected("device_revoked")
    return DeviceContext(
        device_id=device_id,
        merchant_id=merchant_id,
        store_id=store_id,
        store_name=store_name,
        store_timezone=store_timezone,
    )


def touch_last_seen(session: Session, device_id: str, *, now: datetime) -> None:
    """Record that the device called (at most once a minute, to spare writes)."""
    session.execute(
        update(Device)
        .where(
            Device.id == device_id,
            (Device.last_seen_at.is_(None)) | (Device.last_seen_at < now - LAST_SEEN_RESOLUTION),
        )
        .values(last_seen_at=now)
    )


def authenticate_admin(session: Session, token: str) -> AdminContext:
    row = session.execute(
        select(AdminToken).where(AdminToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        raise TokenRejected("invalid_token")
    return AdminContext(token_id=row.id, merchant_id=row.merchant_id, name=row.name)
