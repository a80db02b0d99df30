"""The loyalty rules, once: pure checks both the till (provisionally) and the server (finally) call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sync.protocol import (
    MAX_ADJUSTMENT,
    ProgramFields,
    ProgramType,
    Reason,
    Role,
    TransactionType,
    Tx,
)

T = TransactionType
# The members the per-item checks compare with, read once (reading a member from its enum
# class is a lookup of its own, a third of a check's cost).
_CARD_CREATED, _CARD_REACTIVATED = T.CARD_CREATED, T.CARD_REACTIVATED
_WELCOME_BONUS, _POINTS_EXPIRED = T.WELCOME_BONUS, T.POINTS_EXPIRED

STAMP_TYPES = frozenset({T.STAMP_EARNED, T.STAMP_REDEEMED, T.STAMP_VOIDED, T.STAMP_ADJUSTMENT})
POINTS_TYPES = frozenset(
    {
        T.POINTS_EARNED,
        T.POINTS_REDEEMED,
        T.POINTS_VOIDED,
        T.POINTS_ADJUSTMENT,
        T.WELCOME_BONUS,
        T.POINTS_EXPIRED,
    }
)
LIFECYCLE_TYPES = frozenset({T.CARD_CREATED, T.CARD_DEACTIVATED, T.CARD_REACTIVATED})
ADJUSTMENT_TYPES = frozenset({T.STAMP_ADJUSTMENT, T.POINTS_ADJUSTMENT})
VOID_TYPES = frozenset({T.STAMP_VOIDED, T.POINTS_VOIDED})
# What each void type may void.
VOIDABLE = {T.STAMP_VOIDED: T.STAMP_EARNED, T.POINTS_VOIDED: T.POINTS_EARNED}

# What a cashier reads when the till or the server refuses something.
REASON_TEXT: dict[Reason, str] = {
    Reason.DUPLICATE_ID: "This transaction was already recorded by another till.",
    Reason.SEQUENCE_REUSED: "The till reused a sequence number; ask IT to check this till.",
    Reason.UNKNOWN_CARD: "This card is not known. Check the number or enrol the card first.",
    Reason.CARD_NUMBER_TAKEN: "A card with this number already exists.",
    Reason.UNKNOWN_STAFF: "This staff member cannot work at this shop.",
    Reason.NOT_PERMITTED: "Your role does not allow this. Ask a manager or the owner.",
    Reason.NOT_IN_PROGRAM: "The loyalty programme does not offer this.",
    Reason.CARD_INACTIVE: "This card is deactivated.",
    Reason.CARD_ACTIVE: "This card is already active.",
    Reason.INVALID_DELTA: "That amount is not allowed for this action.",
    Reason.REASON_REQUIRED: "Please give a reason for the adjustment.",
    Reason.UNKNOWN_REWARD: "That reward is not in the programme (or its cost changed).",
    Reason.INVALID_POINTS: "The points do not match the purchase (or it is below the minimum).",
    Reason.DUPLICATE_ORDER_REFERENCE: "Points were already given for this order.",
    Reason.DAILY_STAMP_LIMIT: "This card has had all the stamps allowed today.",
    Reason.INVALID_WELCOME_BONUS: "The welcome bonus was already given or is not offered.",
    Reason.UNKNOWN_RELATED_TRANSACTION: "The purchase to void was not found on this card.",
    Reason.ALREADY_VOIDED: "That purchase has already been voided (in full or in part).",
    Reason.INSUFFICIENT_POINTS: "Not enough points on the card.",
    Reason.INSUFFICIENT_STAMPS: "Not enough stamps on the card.",
    Reason.INVALID_TRANSACTION_AT: "The till's clock was wrong when this was recorded; ask IT to set it.",
}


class CardState(NamedTuple):
    """What the rules need to know of a card (a named tuple: one is made per accepted transaction)."""

    card_number: str
    stamp_count: int = 0
    points_balance: int = 0
    is_active: bool = True
    welcome_bonus_granted: bool = False


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    role: Role
    store_id: int | None
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class Original:
    """The transaction a void points at, as its owner's ledger knows it."""

    card_number: str
    type: TransactionType
    accepted: bool
    stamps_delta: int
    points_delta: int
    voided_so_far: int  # absolute amount already voided by accepted voids

    @property
    def amount(self) -> int:
        return abs(self.stamps_delta) if self.type == T.STAMP_EARNED else abs(self.points_delta)


class Facts(NamedTuple):
    """Everything about the world one transaction is judged against, gathered by the caller.

    The caller (till ledger or server) looks these up; the rules only decide. `staff` is
    None when the staff id is unknown at this merchant. `stamps_earned_that_day` counts the
    card's accepted stamp_earned on the store-local day of the transaction. (A named tuple,
    not a frozen dataclass: one is made per transaction judged, at a third of the cost.)
    """

    program: ProgramFields
    store_id: int
    card: CardState | None
    staff: StaffMember | None
    card_number_taken: bool = False
    order_reference_used: bool = False
    stamps_earned_that_day: int = 0
    original: Original | None = None
    made_by_server: bool = False


class Decision(NamedTuple):
    reason: Reason | None
    card: CardState | None  # the card after this transaction (unchanged when rejected)

    @property
    def accepted(self) -> bool:
        return self.reason is None


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day of `moment` in a store's IANA timezone."""
    return day_in(moment, ZoneInfo(timezone))


def day_in(moment: datetime, zone: tzinfo) -> date:
    """The calendar day of `moment` in `zone` (for a caller judging many items in one store)."""
    return moment.astimezone(zone).date()


def points_for_purchase(program: ProgramFields, purchase_amount_cents: int) -> int:
    """The points a purchase earns under the program's rule (0 below the minimum)."""
    if purchase_amount_cents < program.minimum_purchase_cents:
        return 0
    return purchase_amount_cents * program.points_per_currency_unit // 100


def evaluate(tx: Tx, facts: Facts) -> Decision:
    """Judge one transaction: the first reason that applies, or accepted with the new state."""
    for check in _CHECKS_BY_TYPE[tx.type]:
        reason = check(tx, facts)
        if reason is not None:
            return Decision(reason, facts.card)
    return Decision(None, apply(tx, facts.card))


def apply(tx: Tx, card: CardState | None) -> CardState:
    """The card after an accepted transaction."""
    kind = tx.type
    if kind == _CARD_CREATED or card is None:
        return CardState(tx.card_number)
    return CardState(  # positional: a named tuple's keywords cost twice as much
        card.card_number,
        card.stamp_count + tx.stamps_delta,
        card.points_balance + tx.points_delta,
        _ACTIVE_AFTER.get(kind, card.is_active),
        card.welcome_bonus_granted or kind == _WELCOME_BONUS,
    )


# Whether a card is active after a transaction of these types (any other type leaves it as it was).
_ACTIVE_AFTER = {T.CARD_DEACTIVATED: False, T.CARD_REACTIVATED: True}


def _check_card(tx: Tx, facts: Facts) -> Reason | None:
    if tx.type == _CARD_CREATED:
        return Reason.CARD_NUMBER_TAKEN if facts.card is not None or facts.card_number_taken else None
    return Reason.UNKNOWN_CARD if facts.card is None else None


def _check_staff(tx: Tx, facts: Facts) -> Reason | None:
    staff = facts.staff
    if facts.made_by_server and tx.type == _POINTS_EXPIRED:
        return None
    if staff is None or staff.id != tx.staff_id or not staff.is_active:
        return Reason.UNKNOWN_STAFF
    if staff.store_id is not None and staff.store_id != facts.store_id:
        return Reason.UNKNOWN_STAFF
    return None


def _check_permission(tx: Tx, facts: Facts) -> Reason | None:
    if tx.type == T.POINTS_EXPIRED:
        return None if facts.made_by_server else Reason.NOT_PERMITTED
    role = facts.staff.role if facts.staff is not None else Role.STAFF
    if tx.type in ADJUSTMENT_TYPES and role != Role.MERCHANT_OWNER:
        return Reason.NOT_PERMITTED
    if tx.type in (T.CARD_DEACTIVATED, T.CARD_REACTIVATED) and not role.at_least(Role.STORE_MANAGER):
        return Reason.NOT_PERMITTED
    return None


def _check_program(tx: Tx, facts: Facts) -> Reason | None:
    return None if tx.type in _OFFERED[facts.program.type] else Reason.NOT_IN_PROGRAM


def _offered(program: ProgramFields) -> frozenset[TransactionType]:
    """The types a program of this kind allows: its stamps' and points' types, and the card's lifecycle."""
    refused = (frozenset() if program.has_stamps else STAMP_TYPES) | (
        frozenset() if program.has_points else POINTS_TYPES
    )
    return frozenset(T) - refused


_OFFERED = {kind: _offered(ProgramFields(type=kind)) for kind in ProgramType}


def _check_activity(tx: Tx, facts: Facts) -> Reason | None:
    card = facts.card
    kind = tx.type
    if card is None or kind == _CARD_CREATED:
        return None
    if kind == _CARD_REACTIVATED:
        return Reason.CARD_ACTIVE if card.is_active else None
    return None if card.is_active else Reason.CARD_INACTIVE


def _check_delta(tx: Tx, facts: Facts) -> Reason | None:
    if not _DELTA_FITS[tx.type](tx.stamps_delta, tx.points_delta, facts.program):
        return Reason.INVALID_DELTA
    if tx.type in VOID_TYPES:
        return _void_fits_original(tx, facts)
    return None


def _void_fits_original(tx: Tx, facts: Facts) -> Reason | None:
    """A void of its own original voids at most the original's amount."""
    if _original_fits(tx, facts):
        assert facts.original is not None
        if abs(tx.stamps_delta + tx.points_delta) > facts.original.amount:
            return Reason.INVALID_DELTA
    return None


def _adjustment(delta: int) -> bool:
    return 0 < abs(delta) <= MAX_ADJUSTMENT


# Per type, whether the (stamps, points) deltas are the ones it may carry.
_DELTA_FITS: dict[TransactionType, Callable[[int, int, ProgramFields], bool]] = {
    T.CARD_CREATED: lambda stamps, points, _program: stamps == 0 and points == 0,
    T.CARD_DEACTIVATED: lambda stamps, points, _program: stamps == 0 and points == 0,
    T.CARD_REACTIVATED: lambda stamps, points, _program: stamps == 0 and points == 0,
    T.STAMP_EARNED: lambda stamps, points, _program: stamps == 1 and points == 0,
    T.STAMP_REDEEMED: lambda stamps, points, program: stamps == -program.stamps_target and points == 0,
    T.STAMP_VOIDED: lambda stamps, points, _program: stamps == -1 and points == 0,
    T.POINTS_EARNED: lambda stamps, points, _program: stamps == 0 and points >= 0,
    T.WELCOME_BONUS: lambda stamps, points, _program: stamps == 0 and points > 0,
    T.POINTS_REDEEMED: lambda stamps, points, _program: stamps == 0 and points < 0,
    T.POINTS_VOIDED: lambda stamps, points, _program: stamps == 0 and points < 0,
    T.POINTS_EXPIRED: lambda stamps, points, _program: stamps == 0 and points < 0,
    T.STAMP_ADJUSTMENT: lambda stamps, points, _program: points == 0 and _adjustment(stamps),
    T.POINTS_ADJUSTMENT: lambda stamps, points, _program: stamps == 0 and _adjustment(points),
}


def _check_notes(tx: Tx, facts: Facts) -> Reason | None:
    if tx.type in ADJUSTMENT_TYPES and not (tx.notes or "").strip():
        return Reason.REASON_REQUIRED
    return None


def _check_specifics(tx: Tx, facts: Facts) -> Reason | None:
    """What only some types ask: the reward, the purchase's points, the day's stamps, the bonus, the void."""
    check = _SPECIFICS.get(tx.type)
    return check(tx, facts) if check is not None else None


def _reward_specifics(tx: Tx, facts: Facts) -> Reason | None:
    reward = facts.program.reward(tx.reward_id) if tx.reward_id is not None else None
    if reward is None or tx.points_delta != -reward.points_cost:
        return Reason.UNKNOWN_REWARD
    return None


def _purchase_specifics(tx: Tx, facts: Facts) -> Reason | None:
    program = facts.program
    amount = tx.purchase_amount_cents
    if (
        amount is None
        or amount < program.minimum_purchase_cents
        or tx.points_delta != points_for_purchase(program, amount)
    ):
        return Reason.INVALID_POINTS
    if tx.order_reference is not None and facts.order_reference_used:
        return Reason.DUPLICATE_ORDER_REFERENCE
    return None


def _stamp_specifics(tx: Tx, facts: Facts) -> Reason | None:
    limit = facts.program.max_daily_stamps
    if limit is not None and facts.stamps_earned_that_day >= limit:
        return Reason.DAILY_STAMP_LIMIT
    return None


def _welcome_specifics(tx: Tx, facts: Facts) -> Reason | None:
    program = facts.program
    assert facts.card is not None
    if (
        program.welcome_bonus_points <= 0
        or facts.card.welcome_bonus_granted
        or tx.points_delta != program.welcome_bonus_points
    ):
        return Reason.INVALID_WELCOME_BONUS
    return None


def _void_specifics(tx: Tx, facts: Facts) -> Reason | None:
    if not _original_fits(tx, facts):
        return Reason.UNKNOWN_RELATED_TRANSACTION
    assert facts.original is not None
    if abs(tx.stamps_delta + tx.points_delta) > facts.original.amount - facts.original.voided_so_far:
        return Reason.ALREADY_VOIDED
    return None


_SPECIFICS: dict[TransactionType, Callable[[Tx, Facts], Reason | None]] = {
    T.POINTS_REDEEMED: _reward_specifics,
    T.POINTS_EARNED: _purchase_specifics,
    T.STAMP_EARNED: _stamp_specifics,
    T.WELCOME_BONUS: _welcome_specifics,
    T.STAMP_VOIDED: _void_specifics,
    T.POINTS_VOIDED: _void_specifics,
}


def _original_fits(tx: Tx, facts: Facts) -> bool:
    original = facts.original
    return (
        tx.related_transaction_id is not None
        and original is not None
        and original.card_number == tx.card_number
        and original.type == VOIDABLE[tx.type]
        and original.accepted
    )


def _check_balance(tx: Tx, facts: Facts) -> Reason | None:
    card = facts.card
    if card is None:
        return None
    # Only a transaction that takes something away can be short of it: a till's provisional
    # view may sit below zero after a server rejection, and a stamp must still be possible.
    if tx.stamps_delta < 0 and card.stamp_count + tx.stamps_delta < 0:
        return Reason.INSUFFICIENT_STAMPS
    if tx.points_delta < 0 and card.points_balance + tx.points_delta < 0:
        return Reason.INSUFFICIENT_POINTS
    return None


Check = Callable[[Tx, Facts], "Reason | None"]

# The checks in the order of PROTOCOL.md's reason table: the first that answers decides.
_CHECKS: tuple[Check, ...] = (
    _check_card,
    _check_staff,
    _check_permission,
    _check_program,
    _check_activity,
    _check_delta,
    _check_notes,
    _check_specifics,
    _check_balance,
)

# The types a check can refuse at all once the checks before it passed (the others it always
# passes): permissions concern adjustments, (de)activation and expiry; notes, adjustments;
# the balance, the types whose delta the delta check lets be negative.
_ONLY_FOR: dict[Check, frozenset[TransactionType]] = {
    _check_permission: ADJUSTMENT_TYPES | {T.CARD_DEACTIVATED, T.CARD_REACTIVATED, T.POINTS_EXPIRED},
    _check_program: STAMP_TYPES | POINTS_TYPES,
    _check_notes: ADJUSTMENT_TYPES,
    _check_specifics: VOID_TYPES | {T.POINTS_REDEEMED, T.POINTS_EARNED, T.STAMP_EARNED, T.WELCOME_BONUS},
    _check_balance: ADJUSTMENT_TYPES
    | {T.STAMP_REDEEMED, T.STAMP_VOIDED, T.POINTS_REDEEMED, T.POINTS_VOIDED, T.POINTS_EXPIRED},
}
# Per type, the checks that can answer, still in table order (a test checks it answers as
# _CHECKS); the specifics check as the type's own (one call, no dispatch).
_CHECKS_BY_TYPE: dict[TransactionType, tuple[Check, ...]] = {
    kind: tuple(
        _SPECIFICS[kind] if check is _check_specifics else check
        for check in _CHECKS
        if check not in _ONLY_FOR or kind in _ONLY_FOR[check]
    )
    for kind in T
}
