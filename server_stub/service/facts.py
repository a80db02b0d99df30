"""Set-based gathering of what a batch is judged against: one query per kind of fact."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server_stub.models import Card, LedgerTransaction, Staff
from server_stub.service.bulk import one_of
from sync import rules
from sync.protocol import Role, TransactionType, TxStatus

T = TransactionType
ACCEPTED = TxStatus.ACCEPTED.value


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


def lock_cards(session: Session, *, merchant_id: int, numbers: Collection[str]) -> dict[str, CardWork]:
    """Lock the batch's cards in id order (no deadlocks between batches); SQLite has one writer anyway."""
    if not numbers:
        return {}
    rows = session.execute(
        select(
            Card.id,
            Card.card_number,
            Card.stamp_count,
            Card.points_balance,
            Card.is_active,
            Card.welcome_bonus_granted,
        )
        .where(Card.merchant_id == merchant_id, one_of(session, Card.card_number, numbers))
        .order_by(Card.id)
        .with_for_update()
    ).all()
    return {
        row.card_number: CardWork(
            id=row.id,
            state=rules.CardState(
                card_number=row.card_number,
                stamp_count=int(row.stamp_count),
                points_balance=int(row.points_balance),
                is_active=bool(row.is_active),
                welcome_bonus_granted=bool(row.welcome_bonus_granted),
            ),
        )
        for row in rows
    }


def seen_transactions(session: Session, ids: Collection[str]) -> dict[str, SeenTransaction]:
    """Ids already stored, for any device or merchant (an id is global)."""
    rows = session.execute(
        select(
            LedgerTransaction.id,
            LedgerTransaction.device_id,
            LedgerTransaction.card_number,
            LedgerTransaction.status,
            LedgerTransaction.reason,
        ).where(one_of(session, LedgerTransaction.id, ids))
    ).all()
    return {
        row.id: SeenTransaction(row.id, row.device_id, row.card_number, row.status, row.reason)
        for row in rows
    }


def used_sequences(session: Session, *, device_id: str, seqs: Collection[int]) -> dict[int, str]:
    """The seqs of `seqs` this device already used, with the id stored at each."""
    if not seqs:
        return {}
    # A till's seqs only grow, so a range scan of the (device_id, seq) index finds few rows.
    rows = session.execute(
        select(LedgerTransaction.seq, LedgerTransaction.id).where(
            LedgerTransaction.device_id == device_id,
            LedgerTransaction.seq >= min(seqs),
            LedgerTransaction.seq <= max(seqs),
        )
    ).all()
    wanted = set(seqs)
    return {int(row.seq): row.id for row in rows if row.seq is not None and row.seq in wanted}


def staff_members(
    session: Session, *, merchant_id: int, ids: Collection[int]
) -> dict[int, rules.StaffMember]:
    if not ids:
        return {}
    rows = session.execute(
        select(Staff.id, Staff.role, Staff.store_id, Staff.is_active).where(
            Staff.merchant_id == merchant_id, one_of(session, Staff.id, ids)
        )
    ).all()
    return {
        row.id: rules.StaffMember(
            id=row.id, role=Role(row.role), store_id=row.store_id, is_active=row.is_active
        )
        for row in rows
    }


def used_order_references(session: Session, *, merchant_id: int, references: Collection[str]) -> set[str]:
    if not references:
        return set()
    rows = session.execute(
        select(LedgerTransaction.order_reference).where(
            LedgerTransaction.merchant_id == merchant_id,
            LedgerTransaction.type == T.POINTS_EARNED.value,
            LedgerTransaction.status == ACCEPTED,
            one_of(session, LedgerTransaction.order_reference, references),
        )
    ).scalars()
    return {ref for ref in rows if ref is not None}


def stamps_per_day(
    session: Session, *, merchant_id: int, numbers: Collection[str], days: Collection[date]
) -> dict[tuple[str, date], int]:
    """Accepted stamp_earned per (card, store-local day) — voided ones count too."""
    if not numbers or not days:
        return {}
    rows = session.execute(
        select(LedgerTransaction.card_number, LedgerTransaction.local_date, func.count())
        .where(
            LedgerTransaction.merchant_id == merchant_id,
            one_of(session, LedgerTransaction.card_number, numbers),
            LedgerTransaction.type == T.STAMP_EARNED.value,
            LedgerTransaction.status == ACCEPTED,
            one_of(session, LedgerTransaction.local_date, days),
        )
        .group_by(LedgerTransaction.card_number, LedgerTransaction.local_date)
    ).all()
    return {(row[0], row[1]): int(row[2]) for row in rows}


def originals(session: Session, *, merchant_id: int, ids: Sequence[str]) -> dict[str, OriginalWork]:
    """The transactions voids point at (this merchant's only), with what accepted voids took already."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            LedgerTransaction.id,
            LedgerTransaction.card_number,
            LedgerTransaction.type,
            LedgerTransaction.status,
            LedgerTransaction.stamps_delta,
            LedgerTransaction.points_delta,
        ).where(LedgerTransaction.merchant_id == merchant_id, one_of(session, LedgerTransaction.id, ids))
    ).all()
    voided: dict[str | None, int | None] = dict(
        session.execute(
            select(
                LedgerTransaction.related_transaction_id,
                func.sum(func.abs(LedgerTransaction.stamps_delta + LedgerTransaction.points_delta)),
            )
            .where(
                LedgerTransaction.merchant_id == merchant_id,
                one_of(session, LedgerTransaction.related_transaction_id, ids),
                LedgerTransaction.status == ACCEPTED,
            )
            .group_by(LedgerTransaction.related_transaction_id)
        )
        .tuples()
        .all()
    )
    return {
        row.id: OriginalWork(
            card_number=row.card_number,
            type=T(row.type),
            accepted=row.status == ACCEPTED,
            stamps_delta=int(row.stamps_delta),
            points_delta=int(row.points_delta),
            voided_so_far=int(voided.get(row.id) or 0),
        )
        for row in rows
    }
