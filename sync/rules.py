"""The loyalty rules, once: pure checks both the till (provisionally) and the server (finally) call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sync.protocol import (
    MAX_ADJUSTMENT,
    ProgramFields,
    Reason,
    Role,
    TransactionType,
    Tx,
)

T = TransactionType

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
REDEMPTION_TYPES = frozenset({T.STAMP_REDEEMED, T.POINTS_REDEEMED})  # what an allowance may cover
# What each void type may void.
VOIDABLE = {T.STAMP_VOIDED: T.STAMP_EARNED, T.POINTS_VOIDED: T.POINTS_EARNED}

# What a cashier reads when the till or the server refuses something.
REASON_TEXT: dict[Reason, str] = {
    Reason.DUPLICATE_ID: "This transaction was already recorded by another till.",
    Reason.SEQUENCE_REUSED: "The till reused a sequence number; ask IT to check this till.",
    Reason.INVALID_TRANSACTION_AT: "The till's clock was wrong when this was recorded; ask IT to set it.",
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
}


class CardState(NamedTuple):
    """What the rules need to know of a card."""

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
    card's accepted stamp_earned on the store-local day of the transaction. `held_elsewhere_*`
    is what the card holds for other tills' offline use, which nothing here may take; `covered`:
    a redemption within its own till's allowance (docs/allowances.md), which what happened
    elsewhere meanwhile (the card's or the staff member's deactivation) does not refuse.
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
    held_elsewhere_points: int = 0
    held_elsewhere_stamps: int = 0
    covered: bool = False


class Decision(NamedTuple):
    reason: Reason | None
    card: CardState | None  # the card after this transaction (unchanged when rejected)

    @property
    def accepted(self) -> bool:
        return self.reason is None


# The staff id of the server's own transactions that no staff member made: never a valid id on
# the wire (staff ids are positive), so no till can send it.
NO_STAFF = 0

# PROTOCOL.md row 1a: a till's time is plausible from this instant to a day after the server's clock.
EARLIEST_TRANSACTION_AT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(hours=24)


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


def transaction_time_reason(moment: datetime, *, now: datetime) -> Reason | None:
    """`invalid_transaction_at` for a till's time more than a day after `now` (the server's clock
    when the batch arrived) or before 2000-01-01 UTC; None for a plausible time."""
    if moment < EARLIEST_TRANSACTION_AT or moment - now > LATEST_AHEAD:
        return Reason.INVALID_TRANSACTION_AT
    return None


def evaluate(tx: Tx, facts: Facts) -> Decision:
    """Judge one transaction: the first reason that applies, or accepted with the new state."""
    reason = first_reason(tx, facts)
    if reason is not None:
        return Decision(reason, facts.card)
    return Decision(None, apply(tx, facts.card))


def first_reason(tx: Tx, facts: Facts) -> Reason | None:
    """The first of PROTOCOL.md's reasons (in its table's order) that applies to `tx`."""
    for check in CHECKS_FOR[tx.type]:
        reason = check(tx, facts)
        if reason is not None:
            return reason
    return None


def apply(tx: Tx, card: CardState | None) -> CardState:
    """The card after an accepted transaction."""
    if tx.type == T.CARD_CREATED or card is None:
        return CardState(card_number=tx.card_number)
    return CardState(
        card_number=card.card_number,
        stamp_count=card.stamp_count + tx.stamps_delta,
        points_balance=card.points_balance + tx.points_delta,
        is_active=ACTIVE_AFTER.get(tx.type, card.is_active),
        welcome_bonus_granted=card.welcome_bonus_granted or tx.type == T.WELCOME_BONUS,
    )


# Whether a card is active after a transaction of these types (any other type leaves it as it was).
ACTIVE_AFTER = {T.CARD_DEACTIVATED: False, T.CARD_REACTIVATED: True}


def check_card(tx: Tx, facts: Facts) -> Reason | None:
    if tx.type == T.CARD_CREATED:
        return Reason.CARD_NUMBER_TAKEN if facts.card is not None or facts.card_number_taken else None
    return Reason.UNKNOWN_CARD if facts.card is None else None


def check_staff(tx: Tx, facts: Facts) -> Reason | None:
    if is_server_expiry(tx, facts) or made_by_no_staff(tx, facts):
        return None
    staff = facts.staff
    if staff is None or staff.id != tx.staff_id or not (staff.is_active or facts.covered):
        return Reason.UNKNOWN_STAFF
    if staff.store_id is not None and staff.store_id != facts.store_id:
        return Reason.UNKNOWN_STAFF
    return None


def check_permission(tx: Tx, facts: Facts) -> Reason | None:
    if tx.type == T.POINTS_EXPIRED:
        return None if facts.made_by_server else Reason.NOT_PERMITTED
    if made_by_no_staff(tx, facts):
        return None  # head office: the console checked its user's role
    role = facts.staff.role if facts.staff is not None else Role.STAFF
    if tx.type in ADJUSTMENT_TYPES and role != Role.MERCHANT_OWNER:
        return Reason.NOT_PERMITTED
    if tx.type in (T.CARD_DEACTIVATED, T.CARD_REACTIVATED) and not role.at_least(Role.STORE_MANAGER):
        return Reason.NOT_PERMITTED
    return None


def check_program(tx: Tx, facts: Facts) -> Reason | None:
    offered = facts.program.has_stamps if tx.type in STAMP_TYPES else facts.program.has_points
    return None if offered else Reason.NOT_IN_PROGRAM


def check_activity(tx: Tx, facts: Facts) -> Reason | None:
    """A deactivated card takes nothing but its reactivation (and the server's expiry of its points)."""
    card = facts.card
    if card is None or is_server_expiry(tx, facts) or facts.covered:
        return None
    if tx.type == T.CARD_REACTIVATED:
        return Reason.CARD_ACTIVE if card.is_active else None
    return None if card.is_active else Reason.CARD_INACTIVE


def is_server_expiry(tx: Tx, facts: Facts) -> bool:
    return facts.made_by_server and tx.type == T.POINTS_EXPIRED


def made_by_no_staff(tx: Tx, facts: Facts) -> bool:
    """The server's own transaction that no staff member made (expiry, head office's changes)."""
    return facts.made_by_server and tx.staff_id == NO_STAFF


def check_delta(tx: Tx, facts: Facts) -> Reason | None:
    if not delta_fits(tx.type, tx.stamps_delta, tx.points_delta, facts.program):
        return Reason.INVALID_DELTA
    if tx.type in VOID_TYPES and original_fits(tx, facts):
        assert facts.original is not None
        if void_amount(tx) > facts.original.amount:  # a void of its own original: at most its amount
            return Reason.INVALID_DELTA
    return None


def delta_fits(kind: TransactionType, stamps: int, points: int, program: ProgramFields) -> bool:
    """Whether a transaction of this type may carry these (stamps, points) deltas."""
    if kind in LIFECYCLE_TYPES:
        return stamps == 0 and points == 0
    if kind == T.STAMP_EARNED:
        return stamps == 1 and points == 0
    if kind == T.STAMP_REDEEMED:
        return stamps == -program.stamps_target and points == 0
    if kind == T.STAMP_VOIDED:
        return stamps == -1 and points == 0
    if kind == T.STAMP_ADJUSTMENT:
        return points == 0 and 0 < abs(stamps) <= MAX_ADJUSTMENT
    if kind == T.POINTS_ADJUSTMENT:
        return stamps == 0 and 0 < abs(points) <= MAX_ADJUSTMENT
    if kind == T.POINTS_EARNED:
        return stamps == 0 and points >= 0
    if kind == T.WELCOME_BONUS:
        return stamps == 0 and points > 0
    # points_redeemed, points_voided, points_expired: they take points away
    return stamps == 0 and points < 0


def check_notes(tx: Tx, facts: Facts) -> Reason | None:
    return Reason.REASON_REQUIRED if not (tx.notes or "").strip() else None


def check_reward(tx: Tx, facts: Facts) -> Reason | None:
    reward = facts.program.reward(tx.reward_id) if tx.reward_id is not None else None
    if reward is None or tx.points_delta != -reward.points_cost:
        return Reason.UNKNOWN_REWARD
    return None


def check_purchase(tx: Tx, facts: Facts) -> Reason | None:
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


def check_daily_stamps(tx: Tx, facts: Facts) -> Reason | None:
    limit = facts.program.max_daily_stamps
    if limit is not None and facts.stamps_earned_that_day >= limit:
        return Reason.DAILY_STAMP_LIMIT
    return None


def check_welcome_bonus(tx: Tx, facts: Facts) -> Reason | None:
    program = facts.program
    assert facts.card is not None
    if (
        program.welcome_bonus_points <= 0
        or facts.card.welcome_bonus_granted
        or tx.points_delta != program.welcome_bonus_points
    ):
        return Reason.INVALID_WELCOME_BONUS
    return None


def check_void(tx: Tx, facts: Facts) -> Reason | None:
    if not original_fits(tx, facts):
        return Reason.UNKNOWN_RELATED_TRANSACTION
    assert facts.original is not None
    if void_amount(tx) > facts.original.amount - facts.original.voided_so_far:
        return Reason.ALREADY_VOIDED
    return None


def void_amount(tx: Tx) -> int:
    return abs(tx.stamps_delta + tx.points_delta)


def original_fits(tx: Tx, facts: Facts) -> bool:
    """The void names an accepted original of its own card and of the kind it voids."""
    original = facts.original
    return (
        tx.related_transaction_id is not None
        and original is not None
        and original.card_number == tx.card_number
        and original.type == VOIDABLE[tx.type]
        and original.accepted
    )


def check_balance(tx: Tx, facts: Facts) -> Reason | None:
    card = facts.card
    if card is None:
        return None
    # Only a transaction that takes something away can be short of it: a till's provisional
    # view may sit below zero after a server rejection, and a stamp must still be possible.
    # What the card holds for other tills' offline use is not there to take.
    if tx.stamps_delta < 0 and card.stamp_count - facts.held_elsewhere_stamps + tx.stamps_delta < 0:
        return Reason.INSUFFICIENT_STAMPS
    if tx.points_delta < 0 and card.points_balance - facts.held_elsewhere_points + tx.points_delta < 0:
        return Reason.INSUFFICIENT_POINTS
    return None


# The checks in the order of PROTOCOL.md's reason table (after the idempotency and time rows,
# which the server judges before these), each with the types it governs: for each type, the
# first of its checks that answers decides.
EVERY_TYPE = frozenset(T)
TAKES_AWAY = ADJUSTMENT_TYPES | {
    T.STAMP_REDEEMED,
    T.STAMP_VOIDED,
    T.POINTS_REDEEMED,
    T.POINTS_VOIDED,
    T.POINTS_EXPIRED,
}
RULES: tuple[tuple[Callable[[Tx, Facts], Reason | None], frozenset[TransactionType]], ...] = (
    (check_card, EVERY_TYPE),  # 2: unknown_card, card_number_taken
    (check_staff, EVERY_TYPE),  # 3: unknown_staff
    (check_permission, ADJUSTMENT_TYPES | {T.CARD_DEACTIVATED, T.CARD_REACTIVATED, T.POINTS_EXPIRED}),  # 4
    (check_program, STAMP_TYPES | POINTS_TYPES),  # 5: not_in_program (a card's lifecycle is in any)
    (check_activity, EVERY_TYPE - {T.CARD_CREATED}),  # 6: card_inactive, card_active
    (check_delta, EVERY_TYPE),  # 7: invalid_delta
    (check_notes, ADJUSTMENT_TYPES),  # 8: reason_required
    (check_reward, frozenset({T.POINTS_REDEEMED})),  # 9: unknown_reward
    (check_purchase, frozenset({T.POINTS_EARNED})),  # 9: invalid_points, duplicate_order_reference
    (check_daily_stamps, frozenset({T.STAMP_EARNED})),  # 9: daily_stamp_limit
    (check_welcome_bonus, frozenset({T.WELCOME_BONUS})),  # 9: invalid_welcome_bonus
    (check_void, VOID_TYPES),  # 9: unknown_related_transaction, already_voided
    (check_balance, TAKES_AWAY),  # 10: insufficient_points, insufficient_stamps (only a delta below 0)
)
CHECKS_FOR: dict[TransactionType, tuple[Callable[[Tx, Facts], Reason | None], ...]] = {
    kind: tuple(check for check, types in RULES if kind in types) for kind in T
}
