"""A batch judged in request order against the facts read under its locks: pure, no I/O.

The facts are what the ledger and the cards said once the batch held its locks; each accepted
item updates them, so later items of the same batch see it (a stamp counts towards the day's
limit, a void uses up its original, an order reference is taken). The rules themselves are
`sync.rules`, the same the till runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import uuid6

from server_stub.service.escrow import Escrow, Held, OwnAllowance
from sync import rules
from sync.protocol import Customer, Program, Reason, TransactionType, Tx, TxStatus

T = TransactionType


@dataclass(frozen=True, slots=True)
class Submitter:
    """Who submits a batch: a device (its store and timezone), or the server itself (no device)."""

    merchant_id: int
    store_id: int | None
    timezone: str
    device_id: str | None
    made_by_server: bool = False
    calling: bool = True  # the device itself called (a push), not head office importing its file


def new_tx_id() -> uuid.UUID:
    """An id for a transaction the server makes itself: time-ordered (UUID version 7, as tills make
    theirs), so its row lands at the right-hand edge of the ledger's primary key, not at a random
    page of it (at ten million rows, a page seldom in memory)."""
    return uuid.UUID(int=uuid6.uuid7().int)


def server_tx(
    *,
    tx_id: uuid.UUID,
    kind: TransactionType,
    card_number: str,
    at: datetime,
    stamps_delta: int = 0,
    points_delta: int = 0,
    notes: str | None = None,
) -> Tx:
    """A transaction the server makes itself that no staff member made (expiry, head office's
    changes): staff `rules.NO_STAFF`, which the wire never carries, so it is built unvalidated
    (its other values are the server's own); its row stores no staff, device or seq."""
    return Tx.model_construct(
        id=tx_id,
        seq=1,
        type=kind,
        card_number=card_number,
        staff_id=rules.NO_STAFF,
        transaction_at=at,
        stamps_delta=stamps_delta,
        points_delta=points_delta,
        notes=notes,
    )


@dataclass(frozen=True, slots=True)
class StoredTransaction:
    """A transaction id the ledger holds already (ids are global: any device, any merchant)."""

    device_id: str | None
    card_number: str
    status: TxStatus
    reason: Reason | None


@dataclass(frozen=True, slots=True)
class LockedCard:
    id: int
    state: rules.CardState
    last_activity_at: datetime | None = None  # UTC
    held: Held = Held()  # what the card holds for tills' offline use
    points_active_on: date | None = None  # the expiry index's day (Card.points_active_on)


@dataclass(frozen=True, slots=True)
class BatchFacts:
    """What the batch is judged against, read after its locks were taken."""

    programs: dict[int, Program]  # the current version and every version the batch cites
    current: Program
    cards: dict[str, LockedCard]  # by number: the batch's cards, locked
    staff: dict[int, rules.StaffMember]
    stored: dict[str, StoredTransaction]  # the batch's ids already in the ledger
    used_seqs: frozenset[int]  # the batch's seqs this device used already
    order_references: frozenset[str]  # the batch's order references accepted already
    stamps_per_day: dict[tuple[str, date], int]  # accepted stamp_earned per (card, local day)
    originals: dict[str, rules.Original]  # what the batch's voids point at
    own_allowances: dict[str, OwnAllowance] = field(default_factory=dict)  # this till's, by card
    answer_cards: dict[str, rules.CardState] = field(default_factory=dict)  # replays' other cards
    # Ids taken for the cards the batch may create, by number: PostgreSQL takes them from the cards'
    # sequence with the facts, so that every write is ready before the ledger's COPY ends (a number
    # whose card_created is refused leaves a gap). Empty on SQLite: its write inserts and reads them.
    new_card_ids: dict[str, int] = field(default_factory=dict)

    def unknown_version(self, txs: Sequence[Tx]) -> tuple[int, int] | None:
        """(index, version) of the first item citing a program version that does not exist."""
        for index, tx in enumerate(txs):
            if tx.program_version is not None and tx.program_version not in self.programs:
                return index, tx.program_version
        return None


class Verdict(NamedTuple):
    """One item's outcome. `stored`: it goes into the ledger (all but duplicates and replays)."""

    tx: Tx
    id: str
    status: TxStatus
    reason: Reason | None
    replayed: bool
    card: rules.CardState | None  # the card's state after the item (None: no such card)
    stored: bool
    local_date: date  # the store-local day of transaction_at (its UTC day when out of range)
    transaction_at: datetime  # transaction_at in UTC (clamped into the datetime range)


@dataclass(frozen=True, slots=True)
class Judgement:
    verdicts: list[Verdict]
    changed: dict[str, rules.CardState]  # every card the batch changed, in its final state
    created: dict[str, Customer | None]  # the cards the batch created (their rows come first)
    locked: dict[str, LockedCard]  # the cards' rows (for their ids)
    max_seq: int | None  # the highest seq this device stored
    last_activity: dict[str, datetime]  # the changed cards' newest activity (UTC), as it now is
    totals: dict[DayKey, Totals]  # the accepted items per store, UTC day and type
    held: dict[str, Held]  # what the cards hold now, for the cards whose holds changed
    allowances_left: dict[str, Held]  # what is left of this till's allowances that items spent
    keeps_regulars: bool = False  # the program grants allowances: the store's visits are recorded
    new_card_ids: dict[str, int] = field(default_factory=dict)  # BatchFacts.new_card_ids


class DayKey(NamedTuple):
    store_id: int  # 0: the server's own rows
    day: date  # the UTC day of transaction_at
    type: TransactionType


class Totals(NamedTuple):
    transactions: int
    stamps_delta: int
    points_delta: int


class Judge:
    """A batch judged item by item in request order, each against the facts as the batch's earlier
    items left them. `verdicts` may be called for consecutive parts of the batch (the push sends
    each part's ledger rows while the next is judged); `judgement` sums up all of them."""

    def __init__(self, txs: Sequence[Tx], facts: BatchFacts, *, submitter: Submitter, now: datetime) -> None:
        self.facts = facts
        self.now = now
        self.referenced = {  # the ids this batch's voids name
            str(tx.related_transaction_id) for tx in txs if tx.related_transaction_id is not None
        }
        self.submitter = submitter
        self.zone = ZoneInfo(submitter.timezone)
        self.states = {number: card.state for number, card in facts.cards.items()}
        self.used_seqs = set(facts.used_seqs)
        self.order_references = set(facts.order_references)
        self.stamps_per_day = dict(facts.stamps_per_day)
        self.originals = dict(facts.originals)
        self.changed: set[str] = set()
        self.created: dict[str, Customer | None] = {}
        self.max_seq: int | None = None
        self.activity = {
            number: card.last_activity_at for number, card in facts.cards.items() if card.last_activity_at
        }
        self.counts: dict[tuple[date, TransactionType], list[int]] = {}  # per (UTC day, type)
        self.escrow = Escrow(
            {number: card.held for number, card in facts.cards.items()}, facts.own_allowances
        )

    def verdicts(self, txs: Sequence[Tx], ids: Sequence[str]) -> list[Verdict]:
        """The next items' verdicts, in order."""
        return [self.judge(tx, tx_id) for tx, tx_id in zip(txs, ids, strict=True)]

    def judgement(self, verdicts: list[Verdict]) -> Judgement:
        """The batch's outcome, given every item's verdict."""
        store_id = self.submitter.store_id or 0
        return Judgement(
            verdicts=verdicts,
            changed={number: self.states[number] for number in self.changed},
            created=self.created,
            locked=self.facts.cards,
            max_seq=self.max_seq,
            last_activity={
                number: self.activity[number] for number in self.changed if number in self.activity
            },
            totals={
                DayKey(store_id, day, kind): Totals(*totals) for (day, kind), totals in self.counts.items()
            },
            held={number: self.escrow.held[number] for number in self.escrow.changed_cards},
            allowances_left={
                allowance: self.escrow.left[allowance] for allowance in self.escrow.changed_allowances
            },
            keeps_regulars=self.facts.current.grants_allowances,
            new_card_ids=self.facts.new_card_ids,
        )

    def judge(self, tx: Tx, tx_id: str) -> Verdict:
        """The next item: idempotency, then the time, then the rules (PROTOCOL.md's table)."""
        at, day = self._when(tx)
        prior = self.facts.stored.get(tx_id)
        if prior is not None:
            return self._replay_or_duplicate(tx, tx_id, prior, at, day)
        if self.submitter.device_id is not None and tx.seq in self.used_seqs:
            return self._verdict(tx, tx_id, Reason.SEQUENCE_REUSED, at, day, stored=False)
        reason = None if self.submitter.made_by_server else rules.transaction_time_reason(at, now=self.now)
        if reason is None:
            covered = self.escrow.covers(tx, at)
            decision = rules.evaluate(tx, self._facts(tx, day, covered=covered))
            reason = decision.reason
            if reason is None:
                assert decision.card is not None
                self._accept(tx, decision.card, day)
                self._count(tx, at)
                self.escrow.settle(tx, decision.card, covered=covered)
        if tx_id in self.referenced:  # a later item of this batch voids it
            self.originals[tx_id] = _as_original(tx, accepted=reason is None)
        self.used_seqs.add(tx.seq)
        if self.submitter.device_id is not None and (self.max_seq is None or tx.seq > self.max_seq):
            self.max_seq = tx.seq
        return self._verdict(tx, tx_id, reason, at, day, stored=True)

    def _replay_or_duplicate(
        self, tx: Tx, tx_id: str, prior: StoredTransaction, at: datetime, day: date
    ) -> Verdict:
        if prior.device_id != self.submitter.device_id:
            return self._verdict(tx, tx_id, Reason.DUPLICATE_ID, at, day, stored=False)
        card = self.states.get(prior.card_number) or self.facts.answer_cards.get(prior.card_number)
        return Verdict(tx, tx_id, prior.status, prior.reason, True, card, False, day, at)

    def _verdict(
        self, tx: Tx, tx_id: str, reason: Reason | None, at: datetime, day: date, *, stored: bool
    ) -> Verdict:
        status = TxStatus.ACCEPTED if reason is None else TxStatus.REJECTED
        return Verdict(tx, tx_id, status, reason, False, self.states.get(tx.card_number), stored, day, at)

    def _when(self, tx: Tx) -> tuple[datetime, date]:
        """transaction_at in UTC and its store-local day; a time at the ends of what can be stored
        (refused as invalid_transaction_at anyway) is clamped, and its day is the clamped UTC day."""
        moment = tx.transaction_at
        if 1 < moment.year < 9999:  # nearly always: its UTC time and its day in any zone exist
            at = moment.astimezone(UTC)  # compared with UTC times from here on: no offsets to ask
            return at, rules.day_in(at, self.zone)
        if moment < _FIRST:
            return _FIRST, _FIRST.date()
        if moment > _LAST:
            return _LAST, _LAST.date()
        return moment.astimezone(UTC), rules.day_in(moment, self.zone)

    def _facts(self, tx: Tx, day: date, *, covered: bool) -> rules.Facts:
        facts = self.facts
        version = tx.program_version
        related = tx.related_transaction_id
        elsewhere = self.escrow.elsewhere(tx.card_number)
        return rules.Facts(
            program=facts.current if version is None else facts.programs[version],
            store_id=self.submitter.store_id or 0,
            card=self.states.get(tx.card_number),
            staff=facts.staff.get(tx.staff_id),
            order_reference_used=tx.order_reference in self.order_references,
            stamps_earned_that_day=self.stamps_per_day.get((tx.card_number, day), 0),
            original=None if related is None else self.originals.get(str(related)),
            made_by_server=self.submitter.made_by_server,
            held_elsewhere_points=elsewhere.points,
            held_elsewhere_stamps=elsewhere.stamps,
            covered=covered,
        )

    def _accept(self, tx: Tx, state: rules.CardState, day: date) -> None:
        number = tx.card_number
        self.states[number] = state
        self.changed.add(number)
        if tx.type == T.CARD_CREATED:
            self.created[number] = tx.customer
        elif tx.type == T.POINTS_EARNED and tx.order_reference is not None:
            self.order_references.add(tx.order_reference)
        elif tx.type == T.STAMP_EARNED:
            self.stamps_per_day[(number, day)] = self.stamps_per_day.get((number, day), 0) + 1
        elif tx.type in rules.VOID_TYPES and tx.related_transaction_id is not None:
            related = str(tx.related_transaction_id)
            original = self.originals[related]
            self.originals[related] = replace(
                original, voided_so_far=original.voided_so_far + rules.void_amount(tx)
            )

    def _count(self, tx: Tx, at: datetime) -> None:
        """An accepted item in the day's totals, and (but an expiry) as its card's activity."""
        key = (at.date(), tx.type)
        totals = self.counts.get(key)
        if totals is None:
            totals = self.counts[key] = [0, 0, 0]
        totals[0] += 1
        totals[1] += tx.stamps_delta
        totals[2] += tx.points_delta
        if tx.type != T.POINTS_EXPIRED:
            last = self.activity.get(tx.card_number)
            if last is None or at > last:
                self.activity[tx.card_number] = at


def _as_original(tx: Tx, *, accepted: bool) -> rules.Original:
    return rules.Original(
        card_number=tx.card_number,
        type=tx.type,
        accepted=accepted,
        stamps_delta=tx.stamps_delta,
        points_delta=tx.points_delta,
        voided_so_far=0,
    )


# The instants whose UTC time and day in any zone Python can represent (a day inside its range).
_FIRST = datetime(1, 1, 2, tzinfo=UTC)
_LAST = datetime(9999, 12, 30, tzinfo=UTC)
