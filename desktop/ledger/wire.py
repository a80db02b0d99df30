"""Stored transactions in their wire form (sync.protocol.Tx) and back into views."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from desktop.ledger.models import RowLike, from_db_time
from desktop.ledger.views import TransactionView
from sync.protocol import Customer, Reason, TransactionType, Tx
from sync.rules import REASON_TEXT, VOIDABLE

VOIDABLE_TYPES = frozenset(VOIDABLE.values())
# The stored columns a Tx is made of.
WIRE_COLUMNS = (
    "id",
    "seq",
    "type",
    "card_number",
    "staff_id",
    "transaction_at",
    "stamps_delta",
    "points_delta",
    "purchase_amount_cents",
    "order_reference",
    "reward_id",
    "related_transaction_id",
    "notes",
    "customer_name",
    "customer_email",
    "customer_phone",
    "program_version",
    "allowance_id",
)


def wire_tx(row: RowLike) -> Tx:
    """The Tx of a stored row (a mapping), built without re-validation (it was validated when recorded)."""
    return wire_tx_of([row[name] for name in WIRE_COLUMNS])


def wire_tx_of(row: Sequence[Any]) -> Tx:
    """The Tx of a stored row's WIRE_COLUMNS values, in that order, without re-validation."""
    (
        tx_id,
        seq,
        kind,
        card_number,
        staff_id,
        moment,  # as stored (text) when read on the driver
        stamps_delta,
        points_delta,
        purchase_amount_cents,
        order_reference,
        reward_id,
        related,
        notes,
        customer_name,
        customer_email,
        customer_phone,
        program_version,
        allowance_id,
    ) = row
    customer = None
    if kind == _CARD_CREATED and (customer_name or customer_email or customer_phone):
        customer = Customer.model_construct(name=customer_name, email=customer_email, phone=customer_phone)
    return Tx.model_construct(  # the till validated these values when it recorded them
        id=uuid.UUID(tx_id),
        seq=seq,
        type=_TYPES[kind],
        card_number=card_number,
        staff_id=staff_id,
        transaction_at=from_db_time(moment) if isinstance(moment, str) else moment,
        stamps_delta=stamps_delta,
        points_delta=points_delta,
        purchase_amount_cents=purchase_amount_cents,
        order_reference=order_reference,
        reward_id=reward_id,
        related_transaction_id=uuid.UUID(related) if related else None,
        notes=notes,
        customer=customer,
        program_version=program_version,
        allowance_id=uuid.UUID(allowance_id) if allowance_id else None,
    )


_TYPES = {kind.value: kind for kind in TransactionType}
_CARD_CREATED = TransactionType.CARD_CREATED.value


def transaction_view(row: RowLike, *, voided: int = 0) -> TransactionView:
    """A stored transaction as the UI sees it; `voided` is what non-rejected voids took from it."""
    kind = TransactionType(row["type"])
    reason = Reason(row["reason"]) if row["reason"] else None
    remaining: int | None = None
    if kind in VOIDABLE_TYPES:
        amount = abs(row["stamps_delta"]) + abs(row["points_delta"])
        remaining = 0 if row["sync_state"] == "rejected" else max(amount - voided, 0)
    return TransactionView(
        id=row["id"],
        seq=row["seq"],
        type=kind,
        card_number=row["card_number"],
        staff_id=row["staff_id"],
        stamps_delta=row["stamps_delta"],
        points_delta=row["points_delta"],
        purchase_amount_cents=row["purchase_amount_cents"],
        order_reference=row["order_reference"],
        reward_id=row["reward_id"],
        related_transaction_id=row["related_transaction_id"],
        notes=row["notes"],
        transaction_at=row["transaction_at"],
        recorded_at=row["recorded_at"],
        sync_state=row["sync_state"],
        reason=reason,
        reason_text=REASON_TEXT[reason] if reason else None,
        acknowledged=bool(row["acknowledged"]),
        remaining_voidable=remaining,
        reward_name=row.get("reward_description"),
    )
