"""The repair loop of a rejected transaction: acknowledge, compensate the customer, or record what they owe.

A rejection is `open` until head office acts. Each action locks the rejected ledger row
first (so two people acting at once are served one after the other, and the second is told it
was done), stores the new state with the merchant's next change number (so the till that made
the transaction pulls it: service/pull.py), and writes an audit entry, all in one transaction.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.console.accounts import OfficeUserView
from server_stub.console.actions import (
    OFFICE_IDS,
    ActionRefused,
    apply_office_transactions,
    clean_note,
    office_tx,
)
from server_stub.models import LedgerTransaction, RejectionReview
from server_stub.office import audit
from server_stub.service.changes import next_change_number
from sync.protocol import MAX_ADJUSTMENT, TransactionType, TxStatus

T = TransactionType
Tx = LedgerTransaction


class ReviewState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    COMPENSATED = "compensated"
    CUSTOMER_OWES = "customer_owes"


# Where each state may go: compensated and customer_owes close the case.
NEXT_STATES = {
    ReviewState.OPEN: {ReviewState.ACKNOWLEDGED, ReviewState.COMPENSATED, ReviewState.CUSTOMER_OWES},
    ReviewState.ACKNOWLEDGED: {ReviewState.COMPENSATED, ReviewState.CUSTOMER_OWES},
    ReviewState.COMPENSATED: set(),
    ReviewState.CUSTOMER_OWES: set(),
}


@dataclass(frozen=True, slots=True)
class Repair:
    """What undoes a rejection's effect on the customer: the amounts the till gave and the server refused
    (stamps or points earned: compensate them), or took and could not (a reward paid with points or
    stamps the card did not have: the customer owes them)."""

    compensate_stamps: int
    compensate_points: int
    owed_stamps: int
    owed_points: int


def repair_of(tx: Tx) -> Repair:
    stamps, points = tx.stamps_delta, tx.points_delta
    return Repair(
        compensate_stamps=max(stamps, 0),
        compensate_points=max(points, 0),
        owed_stamps=max(-stamps, 0),
        owed_points=max(-points, 0),
    )


def find_rejection(session: Session, merchant_id: int, tx_id: str, *, lock: bool = False) -> Tx | None:
    """The merchant's rejected transaction (another merchant's answers as a missing one)."""
    try:
        key = str(uuid.UUID(tx_id))
    except ValueError:
        return None
    query = select(Tx).where(
        Tx.id == key, Tx.merchant_id == merchant_id, Tx.status == TxStatus.REJECTED.value
    )
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def state_of(review: RejectionReview | None) -> ReviewState:
    return ReviewState(review.state) if review is not None else ReviewState.OPEN


def _locked(
    session: Session, user: OfficeUserView, tx_id: str, to: ReviewState
) -> tuple[Tx, RejectionReview | None]:
    tx = find_rejection(session, user.merchant_id, tx_id, lock=True)
    if tx is None:
        raise ActionRefused("No such rejected transaction.")
    review = session.get(RejectionReview, tx.id)
    state = state_of(review)
    if to not in NEXT_STATES[state]:
        raise ActionRefused(
            f"This rejection is already {state.value.replace('_', ' ')}; nothing was changed."
        )
    return tx, review


def _store(
    session: Session,
    user: OfficeUserView,
    tx: Tx,
    review: RejectionReview | None,
    *,
    state: ReviewState,
    note: str,
    now: datetime,
    extra: dict[str, Any],
) -> None:
    before = {"state": state_of(review).value, "note": review.note if review else None}
    if review is None:
        review = RejectionReview(
            transaction_id=tx.id,
            merchant_id=tx.merchant_id,
            device_id=tx.device_id,
            owed_points=0,
            owed_stamps=0,
        )
        session.add(review)
    review.state = state.value
    review.note = note or None
    review.updated_at = now
    review.updated_by = user.actor.name
    for key, value in extra.items():
        setattr(review, key, value)
    review.change_no = next_change_number(session, user.merchant_id)  # last: the counter's lock is brief
    session.flush()
    audit.record(
        session,
        user.actor,
        action=f"rejection.{state.value}",
        target=f"transaction:{tx.id}",
        old=before,
        new={"state": state.value, "note": note or None, **extra},
        now=now,
    )


def acknowledge(
    session: Session, user: OfficeUserView, tx_id: str, *, note: str | None, now: datetime
) -> None:
    tx, review = _locked(session, user, tx_id, ReviewState.ACKNOWLEDGED)
    _store(
        session,
        user,
        tx,
        review,
        state=ReviewState.ACKNOWLEDGED,
        note=clean_note(note, required=True),
        now=now,
        extra={},
    )


def compensate(
    session: Session,
    user: OfficeUserView,
    tx_id: str,
    *,
    stamps: int,
    points: int,
    note: str | None,
    now: datetime,
) -> list[str]:
    """An owner adjustment giving the customer what the rejection took; its notes cite the rejected id."""
    tx, review = _locked(session, user, tx_id, ReviewState.COMPENSATED)
    if stamps < 0 or points < 0 or (not stamps and not points):
        raise ActionRefused("A compensation gives the customer stamps or points: enter a positive number.")
    if stamps > MAX_ADJUSTMENT or points > MAX_ADJUSTMENT:
        raise ActionRefused(f"An adjustment is at most {MAX_ADJUSTMENT:,}.")
    text = clean_note(note, required=False)
    notes = f"Compensation for rejected transaction {tx.id} — by {user.username} (head office)"
    notes += f": {text}" if text else ""
    txs = [
        office_tx(
            session,
            user,
            kind=kind,
            card_number=tx.card_number,
            now=now,
            notes=notes,
            tx_id=uuid.uuid5(OFFICE_IDS, f"{user.merchant_id}:compensate:{tx.id}:{kind.value}"),
            stamps=value if kind == T.STAMP_ADJUSTMENT else 0,
            points=value if kind == T.POINTS_ADJUSTMENT else 0,
        )
        for kind, value in ((T.STAMP_ADJUSTMENT, stamps), (T.POINTS_ADJUSTMENT, points))
        if value
    ]
    results = apply_office_transactions(session, user, txs, now=now)
    ids = [result.id for result in results]
    _store(
        session,
        user,
        tx,
        review,
        state=ReviewState.COMPENSATED,
        note=text,
        now=now,
        extra={"compensation_id": ids[0]},
    )
    return ids


def record_owed(
    session: Session,
    user: OfficeUserView,
    tx_id: str,
    *,
    stamps: int,
    points: int,
    note: str | None,
    now: datetime,
) -> None:
    """The customer got something the card could not pay for: what they owe is noted (no ledger change)."""
    tx, review = _locked(session, user, tx_id, ReviewState.CUSTOMER_OWES)
    if stamps < 0 or points < 0 or stamps > MAX_ADJUSTMENT or points > MAX_ADJUSTMENT:
        raise ActionRefused(f"What is owed is between 0 and {MAX_ADJUSTMENT:,}.")
    _store(
        session,
        user,
        tx,
        review,
        state=ReviewState.CUSTOMER_OWES,
        note=clean_note(note, required=True),
        now=now,
        extra={"owed_stamps": stamps, "owed_points": points},
    )
