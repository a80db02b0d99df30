"""Set-based gathering of what a batch is judged against: one query per kind of fact.

Each query is a Core statement built once per backend (`postgres` True or False) and run
with `bulk.run`, so a push pays for its SQL, not for building and compiling statements.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Executable, bindparam, func, select
from sqlalchemy.orm import Session

from server_stub.models import Card, LedgerTransaction, Staff
from server_stub.service.bulk import is_postgres, listed, rows_of
from sync import rules
from sync.protocol import Role, TransactionType, TxStatus

T = TransactionType
ACCEPTED = TxStatus.ACCEPTED.value
_ROLES = {role.value: role for role in Role}


@dataclass(slots=True)
class CardWork:
    """A card as the batch sees it: the locked row's id (None for a card made in this batch)."""

    id: int | None
    state: rules.CardState
    dirty: bool = False
    customer: tuple[str | None, str | None, str | None] = (None, None, None)


@dataclass(frozen=True, slots=True)
class SeenTransaction:
    id: str
    device_id: str | None
    card_number: str
    status: str
    reason: str | None


@dataclass(slots=True)
class OriginalWork:
    card_number: str
    type: TransactionType
    accepted: bool
    stamps_delta: int
    points_delta: int
    voided_so_far: int

    def frozen(self) -> rules.Original:
        return rules.Original(
            card_number=self.card_number,
            type=self.type,
            accepted=self.accepted,
            stamps_delta=self.stamps_delta,
            points_delta=self.points_delta,
            voided_so_far=self.voided_so_far,
        )


@cache
def _lock_cards(postgres: bool) -> Executable:
    return (
        select(
            Card.id,
            Card.card_number,
            Card.stamp_count,
            Card.points_balance,
            Card.is_active,
            Card.welcome_bonus_granted,
        )
        .where(
            Card.merchant_id == bindparam("merchant_id"),
            listed(Card.card_number, "numbers", postgres=postgres),
        )
        .order_by(Card.id)
        .with_for_update()
    )


def lock_cards(session: Session, *, merchant_id: int, numbers: Collection[str]) -> dict[str, CardWork]:
    """Lock the batch's cards in id order (no deadlocks between batches); SQLite has one writer anyway."""
    if not numbers:
        return {}
    rows = rows_of(
        session, _lock_cards(is_postgres(session)), {"merchant_id": merchant_id, "numbers": list(numbers)}
    )
    return {
        number: CardWork(
            id=card_id,
            state=rules.CardState(
                card_number=number,
                stamp_count=stamps,
                points_balance=points,
                is_active=bool(active),
                welcome_bonus_granted=bool(bonus),
            ),
        )
        for card_id, number, stamps, points, active, bonus in rows
    }


@cache
def _seen(postgres: bool) -> Executable:
    tx = LedgerTransaction
    return select(tx.id, tx.device_id, tx.card_number, tx.status, tx.reason).where(
        listed(tx.id, "ids", postgres=postgres)
    )


def seen_transactions(session: Session, ids: Collection[str]) -> dict[str, SeenTransaction]:
    """Ids already stored, for any device or merchant (an id is global)."""
    if not ids:
        return {}
    rows = rows_of(session, _seen(is_postgres(session)), {"ids": list(ids)})
    return {row[0]: SeenTransaction(*row) for row in rows}


@cache
def _used_sequences() -> Executable:
    tx = LedgerTransaction
    # A till's seqs only grow, so a range scan of the (device_id, seq) index finds few rows.
    return select(tx.seq, tx.id).where(
        tx.device_id == bindparam("device_id"), tx.seq >= bindparam("low"), tx.seq <= bindparam("high")
    )


def used_sequences(session: Session, *, device_id: str, seqs: Collection[int]) -> dict[int, str]:
    """The seqs of `seqs` this device already used, with the id stored at each."""
    if not seqs:
        return {}
    rows = rows_of(session, _used_sequences(), {"device_id": device_id, "low": min(seqs), "high": max(seqs)})
    wanted = set(seqs)
    return {int(seq): tx_id for seq, tx_id in rows if seq is not None and seq in wanted}


@cache
def _staff(postgres: bool) -> Executable:
    return select(Staff.id, Staff.role, Staff.store_id, Staff.is_active).where(
        Staff.merchant_id == bindparam("merchant_id"), listed(Staff.id, "ids", postgres=postgres)
    )


def staff_members(
    session: Session, *, merchant_id: int, ids: Collection[int]
) -> dict[int, rules.StaffMember]:
    if not ids:
        return {}
    rows = rows_of(session, _staff(is_postgres(session)), {"merchant_id": merchant_id, "ids": list(ids)})
    return {
        staff_id: rules.StaffMember(id=staff_id, role=_ROLES[role], store_id=store_id, is_active=bool(active))
        for staff_id, role, store_id, active in rows
    }


@cache
def _order_references(postgres: bool) -> Executable:
    tx = LedgerTransaction
    return select(tx.order_reference).where(
        tx.merchant_id == bindparam("merchant_id"),
        tx.type == T.POINTS_EARNED.value,
        tx.status == ACCEPTED,
        listed(tx.order_reference, "references", postgres=postgres),
    )


def used_order_references(session: Session, *, merchant_id: int, references: Collection[str]) -> set[str]:
    if not references:
        return set()
    rows = rows_of(
        session,
        _order_references(is_postgres(session)),
        {"merchant_id": merchant_id, "references": list(references)},
    )
    return {ref for (ref,) in rows if ref is not None}


@cache
def _stamps_per_day(postgres: bool) -> Executable:
    tx = LedgerTransaction
    return (
        select(tx.card_number, tx.local_date, func.count())
        .where(
            tx.merchant_id == bindparam("merchant_id"),
            listed(tx.card_number, "numbers", postgres=postgres),
            tx.type == T.STAMP_EARNED.value,
            tx.status == ACCEPTED,
            listed(tx.local_date, "days", postgres=postgres),
        )
        .group_by(tx.card_number, tx.local_date)
    )


def stamps_per_day(
    session: Session, *, merchant_id: int, numbers: Collection[str], days: Collection[date]
) -> dict[tuple[str, date], int]:
    """Accepted stamp_earned per (card, store-local day) — voided ones count too."""
    if not numbers or not days:
        return {}
    rows = rows_of(
        session,
        _stamps_per_day(is_postgres(session)),
        {"merchant_id": merchant_id, "numbers": list(numbers), "days": list(days)},
    )
    return {(number, day): int(count) for number, day, count in rows}


@cache
def _originals(postgres: bool) -> Executable:
    tx = LedgerTransaction
    return select(tx.id, tx.card_number, tx.type, tx.status, tx.stamps_delta, tx.points_delta).where(
        tx.merchant_id == bindparam("merchant_id"), listed(tx.id, "ids", postgres=postgres)
    )


@cache
def _voided_so_far(postgres: bool) -> Executable:
    tx = LedgerTransaction
    return (
        select(tx.related_transaction_id, func.sum(func.abs(tx.stamps_delta + tx.points_delta)))
        .where(
            tx.merchant_id == bindparam("merchant_id"),
            listed(tx.related_transaction_id, "ids", postgres=postgres),
            tx.status == ACCEPTED,
        )
        .group_by(tx.related_transaction_id)
    )


def originals(session: Session, *, merchant_id: int, ids: Sequence[str]) -> dict[str, OriginalWork]:
    """The transactions voids point at (this merchant's only), with what accepted voids took already."""
    if not ids:
        return {}
    postgres = is_postgres(session)
    params = {"merchant_id": merchant_id, "ids": list(ids)}
    rows = rows_of(session, _originals(postgres), params)
    voided: dict[str, int] = {
        related: int(amount or 0) for related, amount in rows_of(session, _voided_so_far(postgres), params)
    }
    return {
        tx_id: OriginalWork(
            card_number=number,
            type=T(kind),
            accepted=status == ACCEPTED,
            stamps_delta=int(stamps),
            points_delta=int(points),
            voided_so_far=voided.get(tx_id, 0),
        )
        for tx_id, number, kind, status, stamps, points in rows
    }
