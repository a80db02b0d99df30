"""What a batch asks of the database, whichever it is: the interface, and the parts both backends share."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from server_stub.service.escrow import Held, OwnAllowance
from server_stub.service.judging import (
    BatchFacts,
    Judgement,
    LockedCard,
    StoredTransaction,
    Submitter,
    Verdict,
)
from server_stub.service.programs import parsed_program
from sync import rules
from sync.protocol import Reason, Role, TransactionType, Tx, TxStatus

T = TransactionType


class StoredAnswer(NamedTuple):
    request_hash: str
    response: str  # the JSON answered the first time


class KeyClaim(NamedTuple):
    """An Idempotency-Key as this transaction found it."""

    held_elsewhere: bool  # another server process is running a request with this key
    stored: StoredAnswer | None  # the answer of an earlier request with this key


class AnswerRow(NamedTuple):
    device_id: str
    key: str
    merchant_id: int
    request_hash: str
    response: str
    created_at: datetime
    top_seq: int  # the batch's highest seq (the retention rule, service/retention.py)


class Backend(Protocol):
    """The database steps of a push, each in the caller's transaction (the caller commits)."""

    def claim_key(self, session: Session, *, device_id: str, key: str) -> KeyClaim:
        """Claim the Idempotency-Key for this transaction and read its stored answer."""

    def lock_and_gather(
        self, session: Session, submitter: Submitter, txs: Sequence[Tx], ids: Sequence[str]
    ) -> BatchFacts:
        """Lock the batch's cards (and what else its rules read), then read its facts."""

    def ledger(
        self, session: Session, submitter: Submitter, *, received_at: datetime
    ) -> AbstractContextManager[LedgerWriter]:
        """A writer of the batch's ledger rows, open until the block ends: the rows appended are
        on their way to the database (on PostgreSQL, inserted while the batch's next items are
        judged); all are written when the block ends."""

    def writes(
        self, submitter: Submitter, judgement: Judgement, *, now: datetime, answer: AnswerRow | None = None
    ) -> Writes:
        """The batch's other writes made ready, no I/O (the push makes them while the database
        inserts the ledger's last rows): new cards, the device's seq, the answer for the
        Idempotency-Key (a replay answers it), and last the cards' states with the merchant's change
        number and the day totals."""

    def write(self, session: Session, writes: Writes) -> None:
        """(After `ledger`:) the writes made ready."""

    def lock_device(self, session: Session, device_id: str) -> None:
        """The till's own lock, held until commit (its pushes take it first too)."""

    def write_holds(self, session: Session, holds: Sequence[CardHolds]) -> None:
        """The cards' held points and stamps (the cards locked by the caller), set-wise."""

    def write_allowances(self, session: Session, allowances: Sequence[AllowanceAmounts]) -> None:
        """The allowances' amounts and ends (their cards locked by the caller), set-wise."""


Statement = tuple[str, dict[str, Any]]  # SQL and its parameters


class Writes(NamedTuple):
    """A batch's other writes, made ready: what they write, and on PostgreSQL the statements that
    write it in their order, parameters and all (SQLite's write makes its statements itself)."""

    submitter: Submitter
    judgement: Judgement
    now: datetime
    answer: AnswerRow | None
    statements: dict[str, Statement | None] | None = None


class LedgerWriter(Protocol):
    def append(self, verdicts: Sequence[Verdict]) -> None:
        """The verdicts' ledger rows (the ones stored: not replays or duplicates)."""


class CardHolds(NamedTuple):
    card_id: int
    held_points: int
    held_stamps: int


class AllowanceAmounts(NamedTuple):
    id: str
    points: int
    stamps: int
    valid_until: datetime


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a batch's facts are about: the values to look up, each list sorted."""

    merchant_id: int
    device_id: str | None
    numbers: list[str]
    new_numbers: list[str]  # numbers the batch creates cards with
    staff_ids: list[int]
    ids: list[str]
    seqs: frozenset[int]
    order_references: list[str]
    stamp_days: list[date]
    related: list[str]
    versions: list[int]

    @staticmethod
    def of(submitter: Submitter, txs: Sequence[Tx], ids: Sequence[str]) -> Wanted:
        zone = ZoneInfo(submitter.timezone)
        stamped = (tx.transaction_at for tx in txs if tx.type == T.STAMP_EARNED)
        return Wanted(
            merchant_id=submitter.merchant_id,
            device_id=submitter.device_id,
            numbers=sorted({tx.card_number for tx in txs}),
            new_numbers=sorted({tx.card_number for tx in txs if tx.type == T.CARD_CREATED}),
            staff_ids=sorted({tx.staff_id for tx in txs}),
            ids=list(ids),
            seqs=frozenset(tx.seq for tx in txs) if submitter.device_id is not None else frozenset(),
            order_references=sorted({tx.order_reference for tx in txs if tx.order_reference is not None}),
            stamp_days=sorted({rules.day_in(at, zone) for at in stamped if _has_local_day(at)}),
            related=sorted({str(tx.related_transaction_id) for tx in txs if tx.related_transaction_id}),
            versions=sorted({tx.program_version for tx in txs if tx.program_version is not None}),
        )


def _has_local_day(moment: datetime) -> bool:
    """A local day exists for it in every zone (anything else is refused as invalid_transaction_at)."""
    return rules.EARLIEST_TRANSACTION_AT <= moment <= _LAST_WITH_A_DAY


_LAST_WITH_A_DAY = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


class FactRows(NamedTuple):
    """The rows each fact's query answered, in the columns `facts_of` reads."""

    programs: Sequence[Sequence[Any]]  # version, settings: the current one and the cited ones
    cards: Sequence[Sequence[Any]]  # id, number, stamps, points, active, bonus, last activity, held
    staff: Sequence[Sequence[Any]]  # id, role, store id, active
    used_seqs: Sequence[Sequence[Any]]  # seq
    stored: Sequence[Sequence[Any]]  # id, device id, card number, status, reason
    order_references: Sequence[Sequence[Any]]  # reference
    stamps_per_day: Sequence[Sequence[Any]]  # card number, local date, count
    originals: Sequence[Sequence[Any]]  # id, card number, type, status, stamps, points
    voided: Sequence[Sequence[Any]]  # original's id, amount voided by accepted voids
    own_allowances: Sequence[Sequence[Any]]  # id, card number, points, stamps, valid until
    new_card_ids: Sequence[Sequence[Any]] = ()  # ids taken for the new numbers (PostgreSQL)


def facts_of(rows: FactRows, wanted: Wanted) -> BatchFacts:
    """The rows as the judge's facts."""
    programs = {int(version): parsed_program(int(version), settings) for version, settings in rows.programs}
    voided = {related: int(amount) for related, amount in rows.voided}
    return BatchFacts(
        programs=programs,
        current=programs[max(programs)],
        cards=locked_cards(rows.cards),
        staff={
            staff_id: rules.StaffMember(
                id=staff_id, role=Role(role), store_id=store_id, is_active=bool(active)
            )
            for staff_id, role, store_id, active in rows.staff
        },
        stored={
            tx_id: StoredTransaction(device_id, number, TxStatus(status), Reason(reason) if reason else None)
            for tx_id, device_id, number, status, reason in rows.stored
        },
        used_seqs=frozenset(int(seq) for (seq,) in rows.used_seqs if seq in wanted.seqs),
        order_references=frozenset(reference for (reference,) in rows.order_references),
        stamps_per_day={(number, day): int(count) for number, day, count in rows.stamps_per_day},
        originals={
            tx_id: rules.Original(
                card_number=number,
                type=T(kind),
                accepted=status == TxStatus.ACCEPTED,
                stamps_delta=stamps,
                points_delta=points,
                voided_so_far=voided.get(tx_id, 0),
            )
            for tx_id, number, kind, status, stamps, points in rows.originals
        },
        own_allowances={
            number: OwnAllowance(str(allowance_id), Held(int(points), int(stamps)), _as_utc(valid_until))
            for allowance_id, number, points, stamps, valid_until in rows.own_allowances
        },
        # SQLite takes none: its new cards' ids are read back when they are inserted.
        new_card_ids=dict(
            zip(wanted.new_numbers, sorted(int(card_id) for (card_id,) in rows.new_card_ids), strict=False)
        ),
    )


def locked_cards(rows: Sequence[Sequence[Any]]) -> dict[str, LockedCard]:
    """Card rows (id, number, stamps, points, active, bonus, last activity, held points and
    stamps, the expiry index's day) by number."""
    return {str(row[1]): _locked_card(*row) for row in rows}


def _locked_card(
    card_id: int,
    number: str,
    stamps: int,
    points: int,
    active: bool,
    bonus: bool,
    last_activity: datetime | None,
    held_points: int,
    held_stamps: int,
    active_on: date | str | None,
) -> LockedCard:
    state = rules.CardState(
        card_number=number,
        stamp_count=stamps,
        points_balance=points,
        is_active=bool(active),
        welcome_bonus_granted=bool(bonus),
    )
    return LockedCard(
        card_id, state, _utc(last_activity), Held(int(held_points), int(held_stamps)), _as_date(active_on)
    )


def _as_date(value: date | str | None) -> date | None:
    """A date as read (SQLite's driver answers ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _utc(moment: datetime | None) -> datetime | None:
    """A time read from the database as UTC (PostgreSQL's driver answers the columns' naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def cards_to_answer(facts: BatchFacts) -> set[str]:
    """Cards a replay answers whose numbers the batch does not name (a resend that changed its card)."""
    return {prior.card_number for prior in facts.stored.values()} - set(facts.cards)


# The ledger's columns in the order `ledger_rows` makes them.
LEDGER_COLUMNS = (
    "id",
    "merchant_id",
    "store_id",
    "device_id",
    "seq",
    "card_number",
    "type",
    "status",
    "reason",
    "stamps_delta",
    "points_delta",
    "purchase_amount_cents",
    "order_reference",
    "reward_id",
    "related_transaction_id",
    "staff_id",
    "notes",
    "program_version",
    "transaction_at",
    "local_date",
    "received_at",
)


def ledger_rows(
    submitter: Submitter, verdicts: Sequence[Verdict], *, received_at: datetime, times_as_text: bool = False
) -> list[tuple[Any, ...]]:
    """The verdicts' new ledger rows (accepted or rejected) in LEDGER_COLUMNS order, times as the
    naive UTC the columns hold; with `times_as_text`, the times and the day as ISO text, as a text
    COPY takes them (the batch's one `received_at` formatted once, not once a row). The type,
    status and reason are `StrEnum` members: each is the text of its value."""
    merchant_id, store_id, device_id = submitter.merchant_id, submitter.store_id, submitter.device_id
    naive_received = received_at.astimezone(UTC).replace(tzinfo=None)
    received = naive_received.isoformat(sep=" ") if times_as_text else naive_received
    rows = []
    for verdict in verdicts:
        if not verdict.stored:
            continue
        tx = verdict.tx
        at = verdict.transaction_at.replace(tzinfo=None)
        related = tx.related_transaction_id
        rows.append(
            (
                verdict.id,
                merchant_id,
                store_id,
                device_id,
                tx.seq if device_id is not None else None,
                tx.card_number,
                tx.type,
                verdict.status,
                verdict.reason,
                tx.stamps_delta,
                tx.points_delta,
                tx.purchase_amount_cents,
                tx.order_reference,
                tx.reward_id,
                None if related is None else str(related),
                None if tx.staff_id == rules.NO_STAFF else tx.staff_id,
                tx.notes,
                tx.program_version,
                at.isoformat(sep=" ") if times_as_text else at,
                verdict.local_date.isoformat() if times_as_text else verdict.local_date,
                received,
            )
        )
    return rows


class CardRow(NamedTuple):
    """A card's state as the batch leaves it, by its row's id."""

    id: int
    stamp_count: int
    points_balance: int
    is_active: bool
    welcome_bonus_granted: bool
    last_activity_at: datetime | None  # UTC
    points_active_on: date | None  # the expiry index's day, while the card holds points (see active_on)
    held_points: int  # what it holds for tills' offline use
    held_stamps: int


def card_rows(judgement: Judgement, new_ids: dict[str, int]) -> list[CardRow]:
    """The changed cards' final states, in id order (`new_ids`: the ids of the cards just created)."""
    rows = []
    for number, state in judgement.changed.items():
        locked = judgement.locked.get(number)
        card_id = locked.id if locked is not None else new_ids[number]
        last = judgement.last_activity.get(number, locked.last_activity_at if locked is not None else None)
        held = judgement.held.get(number, locked.held if locked is not None else Held())
        rows.append(
            CardRow(
                id=card_id,
                stamp_count=state.stamp_count,
                points_balance=state.points_balance,
                is_active=state.is_active,
                welcome_bonus_granted=state.welcome_bonus_granted,
                last_activity_at=last,
                points_active_on=active_on(locked, last, state.points_balance),
                held_points=held.points,
                held_stamps=held.stamps,
            )
        )
    return sorted(rows)


def active_on(locked: LockedCard | None, last: datetime | None, points: int) -> date | None:
    """The card's day in the expiry index (`Card.points_active_on`): on or before the day of its
    last activity while it holds points, null when it holds none.

    A push moves it only when the card starts or stops holding points: a day that changed with
    every visit would make the balance update a non-HOT update on PostgreSQL (a new entry in each
    of the card's indexes for every card whose last visit was another day: at a million cards,
    nearly every card a push names). The expiry job moves the day of a card it finds used since
    to that use's day (`service/expiry.py`).
    """
    if points <= 0 or last is None:
        return None
    if locked is not None and locked.points_active_on is not None:
        return locked.points_active_on
    return last.date()


def store_visits(submitter: Submitter, judgement: Judgement, new_ids: dict[str, int]) -> dict[int, datetime]:
    """The cards a till's batch saw at its store (accepted items), by card id: the newest time of
    each. Only while the program grants allowances: the store's regulars are what they are for."""
    if submitter.device_id is None or submitter.store_id is None or not judgement.keeps_regulars:
        return {}
    visits: dict[int, datetime] = {}
    for verdict in judgement.verdicts:
        if verdict.stored and verdict.status == TxStatus.ACCEPTED:
            number = verdict.tx.card_number
            locked = judgement.locked.get(number)
            card_id = locked.id if locked is not None else new_ids[number]
            last = visits.get(card_id)
            if last is None or verdict.transaction_at > last:
                visits[card_id] = verdict.transaction_at
    return visits


def advisory_key(*parts: object) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, from the parts' text."""
    digest = hashlib.sha256("\n".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
