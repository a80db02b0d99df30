"""Head office changes a card: every change is a transaction through the server's one ledger path.

`apply_office_transactions` is the single place the console applies transactions (the
compensation of a rejection, and the card page's deactivate, reactivate and adjust). It runs
the server's own batch (`apply_batch`, as a server-made batch like the points expiry) inside a
savepoint: a refused item rolls the savepoint back, so nothing is stored and the person reads
the reason; an accepted one commits with the caller's audit entry.

Attribution: no staff member made them. They are the server's own transactions with no staff
(`rules.NO_STAFF`: the staff and permission rules pass them, because the console has checked
its user's admin role), stored without a staff id; the acting office user is named in the
transaction's notes and in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.console.accounts import OfficeUserView
from server_stub.console.formatting import reason_text
from server_stub.db import is_postgres
from server_stub.models import Card
from server_stub.office import audit
from server_stub.service.backend import backend_for
from server_stub.service.judging import Submitter, Verdict, server_tx
from server_stub.service.push import apply_server_batch
from sync.protocol import MAX_ADJUSTMENT, TransactionType, Tx, TxStatus

T = TransactionType
# Office transaction ids are made from the form's one-time id, the merchant and the user, so a
# form sent twice (a double click, a reload) is the same transaction: replayed, never applied twice.
OFFICE_IDS = uuid.UUID("6f9b5a52-3c1e-4b8e-9d55-0f0ce0000000")
MAX_NOTE = 500


class ActionRefused(Exception):
    """The change was not made: `message` says why in words for head office."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Applied:
    transaction_ids: list[str]
    replayed: bool  # the same form was sent before: nothing new was applied


def office_transaction_id(user: OfficeUserView, form_id: str, part: str = "") -> uuid.UUID:
    return uuid.uuid5(OFFICE_IDS, f"{user.merchant_id}:{user.id}:{form_id}:{part}")


def apply_office_transactions(
    session: Session, user: OfficeUserView, txs: list[Tx], *, now: datetime
) -> list[Verdict]:
    """Apply `txs` as one server-made batch: all accepted (or replayed), else ActionRefused (none stored)."""
    submitter = Submitter(
        merchant_id=user.merchant_id, store_id=None, timezone="UTC", device_id=None, made_by_server=True
    )
    savepoint = session.begin_nested()
    backend = backend_for(postgres=is_postgres(session))
    results = apply_server_batch(session, backend, submitter, txs, now=now)
    refused = next((result for result in results if result.status != TxStatus.ACCEPTED), None)
    if refused is not None:
        savepoint.rollback()
        why = reason_text(refused.reason.value if refused.reason else None) or "no reason given"
        raise ActionRefused(f"The server refused it: {why}")
    savepoint.commit()
    return results


def office_tx(
    session: Session,
    user: OfficeUserView,
    *,
    kind: TransactionType,
    card_number: str,
    tx_id: uuid.UUID,
    now: datetime,
    stamps: int = 0,
    points: int = 0,
    notes: str | None = None,
) -> Tx:
    return server_tx(
        tx_id=tx_id,
        kind=kind,
        card_number=card_number,
        at=now,
        stamps_delta=stamps,
        points_delta=points,
        notes=notes,
    )


def adjustment_txs(
    session: Session,
    user: OfficeUserView,
    card_number: str,
    *,
    stamps: int,
    points: int,
    notes: str,
    form_id: str,
    now: datetime,
) -> list[Tx]:
    """One adjustment per non-zero amount (stamps, points), each with the notes."""
    for value in (stamps, points):
        if abs(value) > MAX_ADJUSTMENT:
            raise ActionRefused(f"An adjustment is at most {MAX_ADJUSTMENT:,} either way.")
    if not stamps and not points:
        raise ActionRefused("Give a number of stamps or points to adjust by (not zero).")
    txs = []
    for kind, value, part in ((T.STAMP_ADJUSTMENT, stamps, "s"), (T.POINTS_ADJUSTMENT, points, "p")):
        if value:
            txs.append(
                office_tx(
                    session,
                    user,
                    kind=kind,
                    card_number=card_number,
                    tx_id=office_transaction_id(user, form_id, part),
                    now=now,
                    stamps=value if kind == T.STAMP_ADJUSTMENT else 0,
                    points=value if kind == T.POINTS_ADJUSTMENT else 0,
                    notes=notes,
                )
            )
    return txs


def clean_note(text: str | None, *, required: bool) -> str:
    note = " ".join((text or "").split())[:MAX_NOTE]
    if required and not note:
        raise ActionRefused("Please give a reason.")
    return note


def card_state(session: Session, merchant_id: int, card_number: str) -> dict[str, object] | None:
    card = session.execute(
        select(Card).where(Card.merchant_id == merchant_id, Card.card_number == card_number)
    ).scalar_one_or_none()
    if card is None:
        return None
    return {"stamps": card.stamp_count, "points": card.points_balance, "active": card.is_active}


def change_card(
    session: Session,
    user: OfficeUserView,
    card_number: str,
    *,
    action: str,
    form_id: str,
    reason: str | None,
    stamps: int = 0,
    points: int = 0,
    now: datetime,
) -> Applied:
    """The card page's admin actions: deactivate, reactivate, or adjust with a reason; audited."""
    before = card_state(session, user.merchant_id, card_number)
    if before is None:
        raise ActionRefused("No such card.")
    note = clean_note(reason, required=action == "adjust")
    by = f"by {user.username} (head office)"
    if action == "adjust":
        txs = adjustment_txs(
            session,
            user,
            card_number,
            stamps=stamps,
            points=points,
            notes=f"{note} — {by}",
            form_id=form_id,
            now=now,
        )
    elif action in ("deactivate", "reactivate"):
        kind = T.CARD_DEACTIVATED if action == "deactivate" else T.CARD_REACTIVATED
        tx_id = office_transaction_id(user, form_id)
        notes = f"{note} — {by}" if note else by
        txs = [
            office_tx(session, user, kind=kind, card_number=card_number, tx_id=tx_id, now=now, notes=notes)
        ]
    else:
        raise ActionRefused("Unknown action.")
    results = apply_office_transactions(session, user, txs, now=now)
    replayed = all(result.replayed for result in results)
    if not replayed:
        audit.record(
            session,
            user.actor,
            action=f"card.{action}",
            target=f"card:{card_number}",
            old=before,
            new={
                **(card_state(session, user.merchant_id, card_number) or {}),
                "reason": note or None,
                "transactions": [result.id for result in results],
            },
            now=now,
        )
    return Applied(transaction_ids=[result.id for result in results], replayed=replayed)
