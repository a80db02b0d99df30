"""The batch's database steps on SQLite: the write lock taken at BEGIN IMMEDIATE is every lock.

One writer at a time: once the transaction has begun, nothing changes under it, so the facts
are read plainly, statement by statement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server_stub.models import (
    Allowance,
    Base,
    Card,
    CardChange,
    DailyTotal,
    Device,
    IdempotencyKey,
    LedgerTransaction,
    ProgramVersion,
    Staff,
    StoreRegular,
    UtcDateTime,
)
from server_stub.service.backend.base import (
    LEDGER_COLUMNS,
    AllowanceAmounts,
    AnswerRow,
    CardHolds,
    FactRows,
    KeyClaim,
    StoredAnswer,
    Wanted,
    Writes,
    card_rows,
    cards_to_answer,
    facts_of,
    ledger_rows,
    locked_cards,
    store_visits,
)
from server_stub.service.changes import next_change_number
from server_stub.service.judging import BatchFacts, DayKey, Judgement, Submitter, Totals, Verdict
from sync.protocol import TransactionType, Tx, TxStatus

T = TransactionType
tx = LedgerTransaction
ACCEPTED = TxStatus.ACCEPTED.value

_CARD_COLUMNS = (Card.id, Card.card_number, Card.stamp_count, Card.points_balance, Card.is_active)
_CARDS = select(
    *_CARD_COLUMNS,
    Card.welcome_bonus_granted,
    Card.last_activity_at,
    Card.held_points,
    Card.held_stamps,
    Card.points_active_on,
).where(Card.merchant_id == bindparam("merchant"), Card.card_number.in_(bindparam("numbers", expanding=True)))
_STAFF = select(Staff.id, Staff.role, Staff.store_id, Staff.is_active).where(
    Staff.merchant_id == bindparam("merchant"), Staff.id.in_(bindparam("ids", expanding=True))
)
_CURRENT_VERSION = (
    select(func.max(ProgramVersion.version))
    .where(ProgramVersion.merchant_id == bindparam("merchant"))
    .scalar_subquery()
)
_PROGRAMS = select(ProgramVersion.version, ProgramVersion.settings).where(
    ProgramVersion.merchant_id == bindparam("merchant"),
    ProgramVersion.version.in_(bindparam("versions", expanding=True))
    | (ProgramVersion.version == _CURRENT_VERSION),
)
_USED_SEQS = select(tx.seq).where(
    tx.device_id == bindparam("device"), tx.seq >= bindparam("low"), tx.seq <= bindparam("high")
)
_STORED = select(tx.id, tx.device_id, tx.card_number, tx.status, tx.reason).where(
    tx.id.in_(bindparam("ids", expanding=True))
)
_ORDER_REFERENCES = select(tx.order_reference).where(
    tx.merchant_id == bindparam("merchant"),
    tx.type == T.POINTS_EARNED.value,
    tx.status == ACCEPTED,
    tx.order_reference.in_(bindparam("references", expanding=True)),
)
_STAMPS_PER_DAY = (
    select(tx.card_number, tx.local_date, func.count())
    .where(
        tx.merchant_id == bindparam("merchant"),
        tx.card_number.in_(bindparam("numbers", expanding=True)),
        tx.type == T.STAMP_EARNED.value,
        tx.status == ACCEPTED,
        tx.local_date.in_(bindparam("days", expanding=True)),
    )
    .group_by(tx.card_number, tx.local_date)
)
_ORIGINALS = select(tx.id, tx.card_number, tx.type, tx.status, tx.stamps_delta, tx.points_delta).where(
    tx.merchant_id == bindparam("merchant"), tx.id.in_(bindparam("ids", expanding=True))
)
_VOIDED = (
    select(tx.related_transaction_id, func.sum(func.abs(tx.stamps_delta + tx.points_delta)))
    .where(
        tx.merchant_id == bindparam("merchant"),
        tx.related_transaction_id.in_(bindparam("ids", expanding=True)),
        tx.status == ACCEPTED,
    )
    .group_by(tx.related_transaction_id)
)
_KEY = select(IdempotencyKey.request_hash, IdempotencyKey.response).where(
    IdempotencyKey.device_id == bindparam("device"), IdempotencyKey.key == bindparam("key")
)
_TOUCH_DEVICE = (
    update(Device)
    .where(Device.id == bindparam("device"))
    .values(last_seq=func.max(func.coalesce(Device.last_seq, 0), bindparam("top")))
)


# Core statements on the tables (an ORM update with a list of rows would be a bulk update by key).
_CARD_TABLE = Base.metadata.tables["cards"]
_ALLOWANCE_TABLE = Base.metadata.tables["allowances"]
_SET_HOLDS = (
    update(_CARD_TABLE)
    .where(_CARD_TABLE.c.id == bindparam("b_id"))
    .values(held_points=bindparam("b_p"), held_stamps=bindparam("b_s"))
)
_SET_ALLOWANCES = (
    update(_ALLOWANCE_TABLE)
    .where(_ALLOWANCE_TABLE.c.id == bindparam("b_id"))
    .values(
        points=bindparam("b_p"), stamps=bindparam("b_s"), valid_until=bindparam("b_until", type_=UtcDateTime)
    )
)


class SqliteBackend:
    def lock_device(self, session: Session, device_id: str) -> None:
        """The write lock taken at BEGIN IMMEDIATE holds everything already."""

    def write_holds(self, session: Session, holds: Sequence[CardHolds]) -> None:
        if holds:
            session.execute(
                _SET_HOLDS, [{"b_id": h.card_id, "b_p": h.held_points, "b_s": h.held_stamps} for h in holds]
            )

    def write_allowances(self, session: Session, allowances: Sequence[AllowanceAmounts]) -> None:
        if allowances:
            rows = [
                {"b_id": a.id, "b_p": a.points, "b_s": a.stamps, "b_until": a.valid_until} for a in allowances
            ]
            session.execute(_SET_ALLOWANCES, rows)

    def claim_key(self, session: Session, *, device_id: str, key: str) -> KeyClaim:
        """The write lock is the claim (the server process keeps the in-flight keys itself)."""
        found = session.execute(_KEY, {"device": device_id, "key": key}).first()
        return KeyClaim(held_elsewhere=False, stored=StoredAnswer(*found) if found else None)

    def lock_and_gather(
        self, session: Session, submitter: Submitter, txs: Sequence[Tx], ids: Sequence[str]
    ) -> BatchFacts:
        wanted = Wanted.of(submitter, txs, ids)
        merchant = wanted.merchant_id
        related = {"merchant": merchant, "ids": wanted.related}
        seqs = wanted.seqs

        def rows(statement: Any, params: dict[str, Any], *, when: bool = True) -> list[Any]:
            return list(session.execute(statement, params).all()) if when else []

        found = FactRows(
            programs=rows(_PROGRAMS, {"merchant": merchant, "versions": wanted.versions}),
            cards=rows(_CARDS, {"merchant": merchant, "numbers": wanted.numbers}),
            staff=rows(_STAFF, {"merchant": merchant, "ids": wanted.staff_ids}),
            used_seqs=rows(
                _USED_SEQS,
                {"device": wanted.device_id, "low": min(seqs or {0}), "high": max(seqs or {0})},
                when=bool(seqs),
            ),
            stored=rows(_STORED, {"ids": wanted.ids}),
            order_references=rows(
                _ORDER_REFERENCES,
                {"merchant": merchant, "references": wanted.order_references},
                when=bool(wanted.order_references),
            ),
            stamps_per_day=rows(
                _STAMPS_PER_DAY,
                {"merchant": merchant, "numbers": wanted.numbers, "days": wanted.stamp_days},
                when=bool(wanted.stamp_days),
            ),
            originals=rows(_ORIGINALS, related, when=bool(wanted.related)),
            voided=rows(_VOIDED, related, when=bool(wanted.related)),
            own_allowances=rows(
                _OWN_ALLOWANCES,
                {"device": wanted.device_id, "merchant": merchant, "numbers": wanted.numbers},
                when=wanted.device_id is not None,
            ),
        )
        facts = facts_of(found, wanted)
        others = cards_to_answer(facts)
        if others:
            answers = locked_cards(rows(_CARDS, {"merchant": merchant, "numbers": sorted(others)}))
            facts.answer_cards.update({number: card.state for number, card in answers.items()})
        return facts

    @contextmanager
    def ledger(
        self, session: Session, submitter: Submitter, *, received_at: datetime
    ) -> Iterator[LedgerRows]:
        rows = LedgerRows(submitter, received_at)
        yield rows
        if rows.values:
            session.execute(insert(LedgerTransaction), rows.values)

    def writes(
        self, submitter: Submitter, judgement: Judgement, *, now: datetime, answer: AnswerRow | None = None
    ) -> Writes:
        return Writes(submitter, judgement, now, answer)

    def write(self, session: Session, writes: Writes) -> None:
        submitter, judgement, now, answer, _ = writes
        new_ids = _insert_cards(session, submitter, judgement, now=now)
        if answer is not None:
            session.execute(insert(IdempotencyKey).values(**answer._asdict()))
        if submitter.device_id is not None and judgement.max_seq is not None:
            values: dict[str, Any] = {"last_seen_at": now} if submitter.calling else {}
            session.execute(
                _TOUCH_DEVICE.values(**values), {"device": submitter.device_id, "top": judgement.max_seq}
            )
        cards = card_rows(judgement, new_ids)
        if cards:
            change_no = next_change_number(session, submitter.merchant_id)
            session.execute(
                insert(CardChange).values(
                    merchant_id=submitter.merchant_id,
                    change_no=change_no,
                    card_ids=[card.id for card in cards],
                )
            )
            session.execute(
                update(Card),
                [{**card._asdict(), "updated_at": now, "change_no": change_no} for card in cards],
            )
        if judgement.allowances_left:
            session.execute(
                update(Allowance),
                [
                    {"id": allowance, "points": left.points, "stamps": left.stamps}
                    for allowance, left in sorted(judgement.allowances_left.items())
                ],
            )
        visits = store_visits(submitter, judgement, new_ids)
        if visits:
            session.execute(
                _VISIT,
                [
                    {
                        "store_id": submitter.store_id,
                        "card_id": card,
                        "merchant_id": submitter.merchant_id,
                        "last_at": at,
                    }
                    for card, at in sorted(visits.items())
                ],
            )
        if judgement.totals:
            session.execute(
                _ADD_TOTALS,
                [
                    _totals_row(submitter.merchant_id, key, value)
                    for key, value in sorted(judgement.totals.items())
                ],
            )


_NEW_VISIT = sqlite_insert(StoreRegular)
_VISIT = _NEW_VISIT.on_conflict_do_update(
    index_elements=[StoreRegular.store_id, StoreRegular.card_id],
    set_={"last_at": _NEW_VISIT.excluded.last_at},
    where=func.date(StoreRegular.last_at) < func.date(_NEW_VISIT.excluded.last_at),  # once a day at most
)
_OWN_ALLOWANCES = (
    select(Allowance.id, Card.card_number, Allowance.points, Allowance.stamps, Allowance.valid_until)
    .join(Card, Card.id == Allowance.card_id)
    .where(
        Allowance.device_id == bindparam("device"),
        Allowance.released_at.is_(None),
        Card.merchant_id == bindparam("merchant"),
        Card.card_number.in_(bindparam("numbers", expanding=True)),
    )
)
_NEW_TOTALS = sqlite_insert(DailyTotal)
_ADD_TOTALS = _NEW_TOTALS.on_conflict_do_update(
    index_elements=[DailyTotal.merchant_id, DailyTotal.day, DailyTotal.store_id, DailyTotal.type],
    set_={
        "count": DailyTotal.count + _NEW_TOTALS.excluded.count,
        "stamps_delta": DailyTotal.stamps_delta + _NEW_TOTALS.excluded.stamps_delta,
        "points_delta": DailyTotal.points_delta + _NEW_TOTALS.excluded.points_delta,
    },
)


def _totals_row(merchant_id: int, key: DayKey, value: Totals) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "store_id": key.store_id,
        "day": key.day,
        "type": key.type.value,
        "count": value.transactions,
        "stamps_delta": value.stamps_delta,
        "points_delta": value.points_delta,
    }


class LedgerRows:
    """The ledger rows of a batch, inserted together when its `ledger` block ends."""

    def __init__(self, submitter: Submitter, received_at: datetime) -> None:
        self.submitter = submitter
        self.received_at = received_at
        self.values: list[dict[str, Any]] = []

    def append(self, verdicts: Sequence[Verdict]) -> None:
        rows = ledger_rows(self.submitter, verdicts, received_at=self.received_at)
        self.values += [_ledger_values(row) for row in rows]


def _ledger_values(row: tuple[Any, ...]) -> dict[str, Any]:
    """A ledger row as the table's insert takes it (its time columns want aware UTC)."""
    values = dict(zip(LEDGER_COLUMNS, row, strict=True))
    for column in ("transaction_at", "received_at"):
        values[column] = values[column].replace(tzinfo=UTC)
    return values


def _insert_cards(
    session: Session, submitter: Submitter, judgement: Judgement, *, now: datetime
) -> dict[str, int]:
    if not judgement.created:
        return {}
    rows = [
        {
            "merchant_id": submitter.merchant_id,
            "card_number": number,
            "customer_name": customer.name if customer else None,
            "customer_email": customer.email if customer else None,
            "customer_phone": customer.phone if customer else None,
            "stamp_count": 0,
            "points_balance": 0,
            "is_active": True,
            "welcome_bonus_granted": False,
            "change_no": 0,
            "created_at": now,
            "updated_at": now,
        }
        for number, customer in sorted(judgement.created.items())
    ]
    inserted = session.execute(insert(Card).returning(Card.id, Card.card_number), rows).all()
    return {number: card_id for card_id, number in inserted}
