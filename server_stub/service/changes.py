"""The merchant's monotonic change sequence: a counter row locked until commit, so numbers appear in order."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from server_stub.models import ChangeCounter

_TAKE_NEXT = (
    update(ChangeCounter)
    .where(ChangeCounter.merchant_id == bindparam("merchant"))
    .values(value=ChangeCounter.value + 1)
    .returning(ChangeCounter.value)
)


def next_change_number(session: Session, merchant_id: int) -> int:
    """Take the next number; the row stays locked until this transaction ends.

    Take it as late as possible (after locking cards), so the lock is held briefly and
    lock order is always cards -> counter.
    """
    result = session.connection().execute(_TAKE_NEXT, {"merchant": merchant_id}).scalar_one_or_none()
    if result is None:
        raise LookupError(f"merchant {merchant_id} has no change counter")
    return int(result)


def current_change_number(session: Session, merchant_id: int) -> int:
    value = session.execute(
        select(ChangeCounter.value).where(ChangeCounter.merchant_id == merchant_id)
    ).scalar_one_or_none()
    return int(value or 0)
