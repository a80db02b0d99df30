"""Stored answers of Idempotency-Keys are dropped once no till can send their key again.

A till sends its batches in seq order and sends the next one only once it has the answer of
the one before (an item leaves its outbox only when the answer is committed there). So once
the server has stored a later seq of that till, the earlier batch's key will not come again.
A stored answer goes when it is older than the contract's 24 hours and its till has stored a
higher seq since, or has been revoked (it can push nothing). The last answer of a till that
never pushes again stays: at most one a till. (Even a key dropped too early would change no
outcome: every transaction id is applied once, and a resend is answered from the ledger.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from server_stub.models import Device, IdempotencyKey

MINIMUM_AGE = timedelta(hours=24)  # PROTOCOL.md: keys are kept at least 24 hours


def forget_answered_keys(session: Session, *, now: datetime) -> int:
    """Drop the stored answers the rule above lets go; how many."""
    key = IdempotencyKey
    moved_on = exists(
        select(Device.id).where(
            Device.id == key.device_id,
            or_(Device.revoked_at.is_not(None), key.top_seq.is_(None), Device.last_seq > key.top_seq),
        )
    )
    result = session.execute(delete(key).where(key.created_at < now - MINIMUM_AGE, moved_on))
    return int(result.rowcount)  # type: ignore[attr-defined]
