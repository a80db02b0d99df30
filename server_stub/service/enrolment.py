"""One-time enrolment codes and device registration."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server_stub.models import EnrolmentCode, Merchant, Store
from server_stub.security import new_enrolment_code, token_hash
from server_stub.service.world import create_device
from sync.protocol import MerchantOut, RegisterResponse, StoreOut

DEFAULT_CODE_LIFETIME = timedelta(hours=24)


class InvalidEnrolmentCode(Exception):
    """Used, expired or unknown."""


def create_enrolment_code(
    session: Session,
    merchant_id: int,
    store_id: int,
    *,
    now: datetime,
    lifetime: timedelta = DEFAULT_CODE_LIFETIME,
) -> tuple[str, datetime]:
    """A one-time code for a new till at `store_id` (the caller checked the store is the merchant's)."""
    code = new_enrolment_code()
    expires_at = now + lifetime
    session.add(
        EnrolmentCode(
            merchant_id=merchant_id,
            store_id=store_id,
            code_hash=token_hash(code),
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return code, expires_at


def register_device(session: Session, *, code: str, device_name: str, now: datetime) -> RegisterResponse:
    row = session.execute(
        select(EnrolmentCode).where(EnrolmentCode.code_hash == token_hash(code.strip().upper()))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidEnrolmentCode
    store = session.get_one(Store, row.store_id)
    merchant = session.get_one(Merchant, row.merchant_id)
    issued = create_device(session, store=store, name=device_name, now=now)
    claimed = session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.id == row.id, EnrolmentCode.used_at.is_(None))
        .values(used_at=now, device_id=issued.id)
    ).rowcount  # type: ignore[attr-defined]
    if claimed != 1:  # another request used it a moment ago
        raise InvalidEnrolmentCode
    return RegisterResponse(
        device_id=issued.id,
        token=issued.token,
        store=StoreOut(id=store.id, name=store.name, timezone=store.timezone),
        merchant=MerchantOut(id=merchant.id, name=merchant.name),
    )
