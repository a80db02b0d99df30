"""Applying a batch of transactions: set-based facts, the shared rules in request order, bulk writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, insert, update
from sqlalchemy.orm import Session

from server_stub.models import Card, Device
from server_stub.service import facts as gather
from server_stub.service.bulk import (
    CardUpdate,
    LedgerRow,
    LedgerWriter,
    Query,
    cards_update,
    check_cards_updated,
    is_postgres,
    ledger_rows,
    run_each,
    update_cards_sqlite,
)
from server_stub.service.facts import CardWork, OriginalWork, SeenTransaction
from server_stub.service.programs import current_program_lookup, programs_by_version
from sync import rules
from sync.protocol import CardState, Program, PushResult, Reason, TransactionType, Tx, TxStatus, uuid_texts

T = TransactionType
ACCEPTED, REJECTED = TxStatus.ACCEPTED, TxStatus.REJECTED


# One item's result: (id, status, reason, replayed, the card's state after it or None).
# A plain tuple while judging; `answer_json` makes the JSON-ready dict (the push makes them
# while the database stores the batch's last rows).
Answer = tuple[str, TxStatus, Reason | None, bool, rules.CardState | None]


class CardAnswer(TypedDict):
    card_number: str
    stamp_count: int
    points_balance: int
    is_active: bool


class AnswerJson(TypedDict):
    """One item's result as JSON-ready values, in the field order of `PushResult`."""

    id: str
    status: TxStatus
    reason: Reason | None
    replayed: bool
    card: CardAnswer | None


def answer_json(answers: Sequence[Answer]) -> list[AnswerJson]:
    return [
        {
            "id": tx_id,
            "status": status,
            "reason": reason,
            "replayed": replayed,
            "card": None
            if card is None
            else {
                "card_number": card.card_number,
                "stamp_count": card.stamp_count,
                "points_balance": card.points_balance,
                "is_active": card.is_active,
            },
        }
        for tx_id, status, reason, replayed, card in answers
    ]


@dataclass(frozen=True, slots=True)
class BatchContext:
    """Who submits: a device (its store and timezone), or the server itself (device_id None)."""

    merchant_id: int
    store_id: int | None
    timezone: str
    device_id: str | None
    made_by_server: bool = False


@dataclass(frozen=True, slots=True)
class Gate:
    """A lookup sent first, with the batch's facts (one round trip), and what its answer decides:
    `admit` raises to stop the batch before anything is judged (the push's Idempotency-Key)."""

    lookup: gather.Lookup[Any]
    admit: Callable[[Any], None]


class UnknownProgramVersion(Exception):
    def __init__(self, index: int, version: int) -> None:
        super().__init__(f"program version {version} is unknown")
        self.index = index
        self.version = version


def apply_batch(session: Session, ctx: BatchContext, txs: Sequence[Tx], *, now: datetime) -> list[PushResult]:
    """Judge and store `txs` in the caller's transaction; the caller commits (or rolls back)."""
    return [push_result(answer) for answer in judge_batch(session, ctx, txs, now=now)]


def push_result(answer: Answer) -> PushResult:
    tx_id, status, reason, replayed, card = answer
    return PushResult.model_construct(  # our own values: no need to validate them again
        id=tx_id,
        status=status,
        reason=reason,
        replayed=replayed,
        card=None
        if card is None
        else CardState.model_construct(
            card_number=card.card_number,
            stamp_count=card.stamp_count,
            points_balance=card.points_balance,
            is_active=card.is_active,
        ),
    )


def judge_batch(
    session: Session,
    ctx: BatchContext,
    txs: Sequence[Tx],
    *,
    now: datetime,
    presume_new_ids: bool = False,
    then: Callable[[list[Answer]], Sequence[Query]] | None = None,
    gate: Gate | None = None,
) -> list[Answer]:
    """As `apply_batch`, answering plain tuples (`answer_json` makes the push's JSON of them).

    `presume_new_ids` (a device's batch): look up only the ids sent at seqs the device already
    used (its replays and reused seqs), not all of them. Any other id already stored then fails
    the ledger's unique key on insert, and the caller must run the batch again without
    presuming (handle_push does), so the answers are the same either way.

    `then` gives statements to run after the batch's own writes, given the answers (the push
    stores its response): on PostgreSQL they go in the same round trip. `gate`'s lookup goes
    before the facts' (the cards' locks), in their round trip.
    """
    batch_ids: list[str] = []
    work = _gather(session, ctx, txs, batch_ids, presume_new_ids=presume_new_ids, now=now, gate=gate)
    postgres = is_postgres(session)
    with ledger_rows(session) as ledger:  # each row goes to the database as soon as it is judged
        work.start_ledger(ledger)
        answers = [work.process(tx, tx_id) for tx, tx_id in zip(txs, batch_ids, strict=True)]
        # Made while the database stores the last rows (it is behind the judging by then).
        later = then(answers) if then is not None else ()
        ready = _card_writes(work, now=now) if postgres and not _new_cards(work) else None
    _write(session, work, now=now, then=later, ready=ready)
    return answers


def _gather(
    session: Session,
    ctx: BatchContext,
    txs: Sequence[Tx],
    batch_ids: list[str],
    *,
    presume_new_ids: bool,
    now: datetime,
    gate: Gate | None = None,
) -> _Batch:
    """The facts the batch is judged against: one round trip for all on PostgreSQL, the cards locked.

    `batch_ids` (empty) is filled with the items' ids as text, in order: while the database
    works on the facts when presuming new ids (they are not among the lookups then).

    Ids already stored are found as follows. Presuming new ids, only those sent at a seq the
    device already used (replays, reused seqs); otherwise all, and also those a concurrent
    batch committed at our used seqs between the two reads. A replay answers its card's
    state, so a stored card not among the batch's is locked too (after the others: rare).
    """
    postgres = is_postgres(session)
    merchant = ctx.merchant_id
    numbers = {tx.card_number for tx in txs}
    related = [str(tx.related_transaction_id) for tx in txs if tx.related_transaction_id is not None]
    zone = ZoneInfo(ctx.timezone)
    days = {rules.day_in(tx.transaction_at, zone) for tx in txs if tx.type == T.STAMP_EARNED}
    device = ctx.device_id
    presume = presume_new_ids and device is not None

    def list_ids() -> None:
        batch_ids.extend(uuid_texts([tx.id for tx in txs]))

    if not presume:
        list_ids()
    first = gather.Prefetch()
    gated = first.add(gate.lookup) if gate is not None else None
    current = first.add(current_program_lookup(merchant))
    used = first.add(gather.used_sequences(device_id=device, seqs=[tx.seq for tx in txs]))
    # Presuming new ids, only the ids sent at used seqs are looked up, once those are known.
    looked_up = first.add(gather.seen([] if presume else batch_ids, postgres=postgres))
    staff = first.add(
        gather.staff_members(merchant_id=merchant, ids={tx.staff_id for tx in txs}, postgres=postgres)
    )
    references = {tx.order_reference for tx in txs if tx.order_reference is not None}
    order_refs = first.add(
        gather.used_order_references(merchant_id=merchant, references=references, postgres=postgres)
    )
    stamp_days = first.add(
        gather.stamps_per_day(merchant_id=merchant, numbers=numbers, days=days, postgres=postgres)
    )
    originals = first.add(gather.originals(merchant_id=merchant, ids=related, postgres=postgres))
    cards = first.add(gather.locked_cards(merchant_id=merchant, numbers=numbers, postgres=postgres))
    first.run(session, meanwhile=list_ids if presume else None)
    if gate is not None and gated is not None:
        gate.admit(gated.value)

    seen = _with_replays(session, txs, batch_ids, looked_up.value, used.value, presume=presume)
    locked = cards.value
    missing = {prior.card_number for prior in seen.values()} - numbers
    if missing:
        locked.update(gather.lock_cards(session, merchant_id=merchant, numbers=missing))
    programs = _programs(session, merchant, txs, current.value)
    return _Batch(
        ctx=ctx,
        programs=programs,
        current=current.value,
        cards=locked,
        seen=seen,
        used_seqs=set(used.value),
        staff=staff.value,
        order_refs=order_refs.value,
        stamp_days=stamp_days.value,
        originals=originals.value,
        now=now,
        referenced=set(related),
    )


def _with_replays(
    session: Session,
    txs: Sequence[Tx],
    batch_ids: list[str],
    seen: dict[str, SeenTransaction],
    used: dict[int, str],
    *,
    presume: bool,
) -> dict[str, SeenTransaction]:
    """`seen` and the stored rows of the batch's ids found at seqs the device already used."""
    if presume:
        suspects = [tx_id for tx, tx_id in zip(txs, batch_ids, strict=True) if tx.seq in used]
    else:  # a concurrent batch may have committed one of our ids between the two reads: a replay
        suspects = list(set(used.values()).intersection(batch_ids).difference(seen))
    if not suspects:
        return seen
    stored = gather.fetch(session, gather.seen(suspects, postgres=is_postgres(session)))
    return {**seen, **stored}


def _programs(session: Session, merchant_id: int, txs: Sequence[Tx], current: Program) -> dict[int, Program]:
    """The current program and every older version the batch cites (an unknown one is invalid input)."""
    cited = {tx.program_version for tx in txs if tx.program_version is not None} - {current.version}
    programs = programs_by_version(session, merchant_id, cited)
    programs[current.version] = current
    for index, tx in enumerate(txs):
        if tx.program_version is not None and tx.program_version not in programs:
            raise UnknownProgramVersion(index, tx.program_version)
    return programs


@dataclass(slots=True)
class _Batch:
    """The batch's working state: facts updated as items are accepted, rows to write."""

    ctx: BatchContext
    programs: dict[int, Program]
    current: Program
    cards: dict[str, CardWork]
    seen: dict[str, SeenTransaction]
    used_seqs: set[int]
    staff: dict[int, rules.StaffMember]
    order_refs: set[str]
    stamp_days: dict[tuple[str, date], int]
    originals: dict[str, OriginalWork]
    now: datetime
    referenced: set[str] = field(default_factory=set)  # ids voids of this batch point at
    max_seq: int | None = None
    # Read once per batch, not per item:
    device_id: str | None = field(init=False)
    store_id: int = field(init=False)  # 0 for the server's own batches (no store)
    made_by_server: bool = field(init=False)
    zone: ZoneInfo = field(init=False)
    ledger: LedgerWriter | None = field(init=False, default=None)
    received_at: Any = field(init=False)  # `now` as the ledger's writer holds it

    def __post_init__(self) -> None:
        ctx = self.ctx
        self.device_id = ctx.device_id
        self.store_id = ctx.store_id or 0
        self.made_by_server = ctx.made_by_server
        self.zone = ZoneInfo(ctx.timezone)

    def start_ledger(self, ledger: LedgerWriter) -> None:
        self.ledger = ledger
        self.received_at = ledger.time(self.now)

    def process(self, tx: Tx, tx_id: str) -> Answer:
        """Judge one item against the batch's state so far; its ledger row (if stored) goes to the ledger."""
        if self.seen:
            prior = self.seen.get(tx_id)
            if prior is not None:
                return self._replayed_or_duplicate(tx, tx_id, prior)
        seq = tx.seq
        device_id = self.device_id
        if device_id is not None and seq in self.used_seqs:
            return self._answer(tx_id, REJECTED, Reason.SEQUENCE_REUSED, self.cards.get(tx.card_number))
        day = rules.day_in(tx.transaction_at, self.zone)
        work = self.cards.get(tx.card_number)
        reason, card = rules.evaluate(tx, self._facts(tx, day, work))
        if reason is None:
            assert card is not None
            work = self._accept(tx, card, day, work)
        if self.referenced and tx_id in self.referenced:  # a later item of this batch voids it
            self._remember_original(tx, tx_id, accepted=reason is None)
        self.used_seqs.add(seq)
        if device_id is not None and (self.max_seq is None or seq > self.max_seq):
            self.max_seq = seq
        self._store_row(tx, tx_id, reason, day)
        return self._answer(tx_id, ACCEPTED if reason is None else REJECTED, reason, work)

    def _replayed_or_duplicate(self, tx: Tx, tx_id: str, prior: SeenTransaction) -> Answer:
        if prior.device_id == self.ctx.device_id:
            reason = Reason(prior.reason) if prior.reason else None
            work = self.cards.get(prior.card_number)
            return self._answer(tx_id, TxStatus(prior.status), reason, work, replayed=True)
        return self._answer(tx_id, REJECTED, Reason.DUPLICATE_ID, self.cards.get(tx.card_number))

    @staticmethod
    def _answer(
        tx_id: str, status: TxStatus, reason: Reason | None, work: CardWork | None, *, replayed: bool = False
    ) -> Answer:
        return (tx_id, status, reason, replayed, None if work is None else work.state)  # states are immutable

    def _facts(self, tx: Tx, day: date, work: CardWork | None) -> rules.Facts:
        original = None
        related = tx.related_transaction_id
        if related is not None:
            found = self.originals.get(str(related))
            original = found.frozen() if found is not None else None
        version = tx.program_version
        reference = tx.order_reference
        return rules.Facts(  # positional, in the fields' order: a named tuple's keywords cost twice as much
            self.current if version is None else self.programs[version],  # program
            self.store_id,
            None if work is None else work.state,  # card
            self.staff.get(tx.staff_id),
            False,  # card_number_taken: the batch locked every stored card it names
            reference is not None and reference in self.order_refs,  # order_reference_used
            self.stamp_days.get((tx.card_number, day), 0) if self.stamp_days else 0,  # stamps_earned_that_day
            original,
            self.made_by_server,
        )

    def _remember_original(self, tx: Tx, tx_id: str, *, accepted: bool) -> None:
        self.originals[tx_id] = OriginalWork(
            card_number=tx.card_number,
            type=tx.type,
            accepted=accepted,
            stamps_delta=tx.stamps_delta,
            points_delta=tx.points_delta,
            voided_so_far=0,
        )

    def _accept(self, tx: Tx, state: rules.CardState, day: date, work: CardWork | None) -> CardWork:
        """Record an accepted item in the batch's facts; the card's work entry after it."""
        kind = tx.type
        if kind == T.CARD_CREATED or work is None:
            customer = tx.customer
            work = self.cards[tx.card_number] = CardWork(
                id=None,
                state=state,
                dirty=True,
                customer=(customer.name, customer.email, customer.phone) if customer else (None, None, None),
            )
        else:
            work.state = state
            work.dirty = True
        if kind == T.POINTS_EARNED:
            if tx.order_reference is not None:
                self.order_refs.add(tx.order_reference)
        elif kind == T.STAMP_EARNED:
            key = (tx.card_number, day)
            self.stamp_days[key] = self.stamp_days.get(key, 0) + 1
        elif kind in rules.VOID_TYPES and tx.related_transaction_id is not None:
            self.originals[str(tx.related_transaction_id)].voided_so_far += abs(
                tx.stamps_delta + tx.points_delta
            )
        return work

    def _store_row(self, tx: Tx, tx_id: str, reason: Reason | None, day: date) -> None:
        """The item's ledger row, to the ledger."""
        ledger = self.ledger
        assert ledger is not None, "start_ledger first"
        device_id = self.device_id
        related = tx.related_transaction_id
        row: LedgerRow = (  # in LEDGER_COLUMNS order
            tx_id,
            self.ctx.merchant_id,
            self.ctx.store_id,
            device_id,
            tx.seq if device_id is not None else None,
            tx.card_number,
            _TYPE_TEXT[tx.type],
            _ACCEPTED_TEXT if reason is None else _REJECTED_TEXT,
            None if reason is None else _REASON_TEXT[reason],
            tx.stamps_delta,
            tx.points_delta,
            tx.purchase_amount_cents,
            tx.order_reference,
            tx.reward_id,
            str(related) if related else None,
            None if self.made_by_server and tx.type == T.POINTS_EXPIRED else tx.staff_id,
            tx.notes,
            tx.program_version,
            ledger.time(tx.transaction_at),
            ledger.day(day),
            self.received_at,
        )
        ledger.write(row)


# Plain strings for the ledger rows (an enum's `.value` is a property lookup per access).
_TYPE_TEXT = {kind: kind.value for kind in TransactionType}
_REASON_TEXT = {reason: reason.value for reason in Reason}
_ACCEPTED_TEXT, _REJECTED_TEXT = ACCEPTED.value, REJECTED.value


def _new_cards(work: _Batch) -> list[tuple[str, CardWork]]:
    return sorted((number, card) for number, card in work.cards.items() if card.id is None)


def _write(
    session: Session,
    work: _Batch,
    *,
    now: datetime,
    then: Sequence[Query],
    ready: tuple[list[Query], list[CardUpdate]] | None = None,
) -> None:
    """After the ledger rows, in a fixed lock order: new cards, the device, the change counter
    and cards, then the caller's statements (on PostgreSQL all but the new cards in one round trip).

    `ready`: `_card_writes` made already (PostgreSQL, when the batch made no new card)."""
    new_cards = _new_cards(work) if ready is None else []
    if new_cards:
        inserted = session.execute(
            insert(Card).returning(Card.id, Card.card_number),
            [_new_card_row(work.ctx.merchant_id, number, card, now) for number, card in new_cards],
        ).all()
        ids = {row.card_number: row.id for row in inserted}
        for number, card in new_cards:
            card.id = ids[number]
    postgres = ready is not None or is_postgres(session)
    statements, updates = ready if ready is not None else _card_writes(work, now=now, postgres=postgres)
    if updates and not postgres:  # SQLite has one writer: no lock order to keep
        update_cards_sqlite(session, updates, merchant_id=work.ctx.merchant_id, now=now)
    changed = run_each(session, [*statements, *then])
    if updates and postgres:
        check_cards_updated(changed[len(statements) - 1], updates, merchant_id=work.ctx.merchant_id)


def _card_writes(
    work: _Batch, *, now: datetime, postgres: bool = True
) -> tuple[list[Query], list[CardUpdate]]:
    """The device's touch and (on PostgreSQL) the cards' update, once every card has its id;
    the cards' new states."""
    statements: list[Query] = []
    if work.ctx.device_id is not None and work.max_seq is not None:
        statements.append((_TOUCH_DEVICE, {"device": work.ctx.device_id, "now": now, "top": work.max_seq}))
    updates = []
    for card in work.cards.values():
        if card.dirty:
            assert card.id is not None  # new cards are inserted first
            state = card.state
            updates.append(
                CardUpdate(
                    card.id,
                    state.stamp_count,
                    state.points_balance,
                    state.is_active,
                    state.welcome_bonus_granted,
                )
            )
    if updates and postgres:
        statements.append(cards_update(updates, merchant_id=work.ctx.merchant_id, now=now))
    return statements, updates


_TOUCH_DEVICE = (
    update(Device)
    .where(Device.id == bindparam("device"))
    .values(
        last_seen_at=bindparam("now"),
        last_seq=case(
            (Device.last_seq.is_(None), bindparam("top")),
            (Device.last_seq < bindparam("top"), bindparam("top")),
            else_=Device.last_seq,
        ),
    )
)


def _new_card_row(merchant_id: int, number: str, card: CardWork, now: datetime) -> dict[str, Any]:
    name, email, phone = card.customer
    return {
        "merchant_id": merchant_id,
        "card_number": number,
        "customer_name": name,
        "customer_email": email,
        "customer_phone": phone,
        "stamp_count": 0,
        "points_balance": 0,
        "is_active": True,
        "welcome_bonus_granted": False,
        "change_no": 0,
        "created_at": now,
        "updated_at": now,
    }


def utc_now() -> datetime:
    return datetime.now(UTC)
