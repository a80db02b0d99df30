"""Unit tests of the loyalty rules: every reason of PROTOCOL.md's table, in its order."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from sync.protocol import Program, ProgramType, Reason, Reward, Role, TransactionType, Tx
from sync.rules import (
    NO_STAFF,
    CardState,
    Facts,
    Original,
    StaffMember,
    evaluate,
    local_day,
    points_for_purchase,
)

T = TransactionType
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STORE = 7
PROGRAM = Program(
    version=1,
    type=ProgramType.HYBRID,
    stamps_target=10,
    points_per_currency_unit=2,
    minimum_purchase_cents=500,
    rewards=[Reward(id="coffee", name="Free coffee", points_cost=100)],
    welcome_bonus_points=50,
    max_daily_stamps=3,
)
CASHIER = StaffMember(id=1, role=Role.STAFF, store_id=STORE)
MANAGER = StaffMember(id=2, role=Role.STORE_MANAGER, store_id=STORE)
OWNER = StaffMember(id=3, role=Role.MERCHANT_OWNER, store_id=None)
CARD = CardState(card_number="C-1", stamp_count=4, points_balance=300)


def tx(kind: TransactionType, **fields: Any) -> Tx:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "seq": 1,
        "type": kind,
        "card_number": "C-1",
        "staff_id": fields.pop("staff_id", 1),
        "transaction_at": NOW,
    }
    values.update(fields)
    return Tx.model_validate(values, strict=False)


def facts(**overrides: Any) -> Facts:
    values: dict[str, Any] = {"program": PROGRAM, "store_id": STORE, "card": CARD, "staff": CASHIER}
    values.update(overrides)
    return Facts(**values)


def earned_points(**extra: Any) -> Tx:
    return tx(T.POINTS_EARNED, purchase_amount_cents=1234, points_delta=24, **extra)


def points_original(**overrides: Any) -> Original:
    values: dict[str, Any] = {
        "card_number": "C-1",
        "type": T.POINTS_EARNED,
        "accepted": True,
        "stamps_delta": 0,
        "points_delta": 40,
        "voided_so_far": 0,
    }
    values.update(overrides)
    return Original(**values)


def reason_of(transaction: Tx, world: Facts) -> Reason | None:
    return evaluate(transaction, world).reason


def test_a_stamp_is_accepted_and_adds_one_stamp() -> None:
    decision = evaluate(tx(T.STAMP_EARNED, stamps_delta=1), facts())
    assert decision.accepted
    assert decision.card == CARD._replace(stamp_count=5)


def test_points_earned_follow_the_purchase_rule() -> None:
    assert points_for_purchase(PROGRAM, 1234) == 24
    decision = evaluate(earned_points(), facts())
    assert decision.accepted and decision.card is not None
    assert decision.card.points_balance == 324


def test_zero_points_are_valid_where_the_rule_gives_zero() -> None:
    program = PROGRAM.model_copy(update={"minimum_purchase_cents": 0, "points_per_currency_unit": 1})
    transaction = tx(T.POINTS_EARNED, purchase_amount_cents=99, points_delta=0)
    assert reason_of(transaction, facts(program=program)) is None


def test_a_card_created_grants_nothing_and_is_active() -> None:
    decision = evaluate(tx(T.CARD_CREATED, card_number="NEW-1"), facts(card=None))
    assert decision.card == CardState(card_number="NEW-1", stamp_count=0, points_balance=0)


def test_a_transaction_on_an_unknown_card_is_rejected() -> None:
    assert reason_of(tx(T.STAMP_EARNED, stamps_delta=1), facts(card=None)) == Reason.UNKNOWN_CARD


def test_creating_a_card_whose_number_is_taken_is_rejected() -> None:
    assert reason_of(tx(T.CARD_CREATED), facts()) == Reason.CARD_NUMBER_TAKEN
    assert reason_of(tx(T.CARD_CREATED), facts(card=None, card_number_taken=True)) == (
        Reason.CARD_NUMBER_TAKEN
    )


@pytest.mark.parametrize(
    "staff",
    [
        None,
        replace(CASHIER, is_active=False),
        replace(CASHIER, store_id=STORE + 1),
        replace(CASHIER, id=99),
    ],
    ids=["unknown", "inactive", "other-store", "other-id"],
)
def test_staff_who_cannot_work_here_is_rejected(staff: StaffMember | None) -> None:
    assert reason_of(tx(T.STAMP_EARNED, stamps_delta=1), facts(staff=staff)) == Reason.UNKNOWN_STAFF


def test_merchant_wide_staff_work_in_every_store() -> None:
    transaction = tx(T.STAMP_EARNED, stamps_delta=1, staff_id=3)
    assert reason_of(transaction, facts(staff=OWNER)) is None


@pytest.mark.parametrize("staff", [CASHIER, MANAGER], ids=["staff", "manager"])
@pytest.mark.parametrize("kind", [T.POINTS_ADJUSTMENT, T.STAMP_ADJUSTMENT])
def test_only_the_merchant_owner_may_adjust(kind: TransactionType, staff: StaffMember) -> None:
    field = "points_delta" if kind == T.POINTS_ADJUSTMENT else "stamps_delta"
    transaction = tx(kind, staff_id=staff.id, notes="goodwill", **{field: 5})
    assert reason_of(transaction, facts(staff=staff)) == Reason.NOT_PERMITTED
    owner_tx = tx(kind, staff_id=3, notes="goodwill", **{field: 5})
    assert reason_of(owner_tx, facts(staff=OWNER)) is None


def test_deactivation_needs_a_store_manager_or_above() -> None:
    assert reason_of(tx(T.CARD_DEACTIVATED), facts()) == Reason.NOT_PERMITTED
    decision = evaluate(tx(T.CARD_DEACTIVATED, staff_id=2), facts(staff=MANAGER))
    assert decision.card is not None and not decision.card.is_active


def test_reactivation_needs_a_store_manager_or_above() -> None:
    inactive = CARD._replace(is_active=False)
    assert reason_of(tx(T.CARD_REACTIVATED), facts(card=inactive)) == Reason.NOT_PERMITTED
    decision = evaluate(tx(T.CARD_REACTIVATED, staff_id=3), facts(card=inactive, staff=OWNER))
    assert decision.card is not None and decision.card.is_active


def test_points_expired_is_refused_from_a_till_and_allowed_for_the_server() -> None:
    transaction = tx(T.POINTS_EXPIRED, staff_id=3, points_delta=-300)
    assert reason_of(transaction, facts(staff=OWNER)) == Reason.NOT_PERMITTED
    decision = evaluate(transaction, facts(staff=None, made_by_server=True))
    assert decision.card is not None and decision.card.points_balance == 0


def test_stamp_types_are_not_in_a_points_only_program() -> None:
    program = PROGRAM.model_copy(update={"type": ProgramType.POINTS})
    assert reason_of(tx(T.STAMP_EARNED, stamps_delta=1), facts(program=program)) == Reason.NOT_IN_PROGRAM


@pytest.mark.parametrize("kind", [T.POINTS_EARNED, T.WELCOME_BONUS])
def test_points_types_are_not_in_a_stamps_only_program(kind: TransactionType) -> None:
    program = PROGRAM.model_copy(update={"type": ProgramType.STAMPS})
    transaction = tx(kind, points_delta=50, purchase_amount_cents=2500)
    assert reason_of(transaction, facts(program=program)) == Reason.NOT_IN_PROGRAM


def test_nothing_but_reactivation_works_on_an_inactive_card() -> None:
    inactive = CARD._replace(is_active=False)
    assert reason_of(tx(T.STAMP_EARNED, stamps_delta=1), facts(card=inactive)) == Reason.CARD_INACTIVE
    manager_tx = tx(T.CARD_DEACTIVATED, staff_id=2)
    assert reason_of(manager_tx, facts(card=inactive, staff=MANAGER)) == Reason.CARD_INACTIVE


def test_reactivating_an_active_card_is_rejected() -> None:
    assert reason_of(tx(T.CARD_REACTIVATED, staff_id=2), facts(staff=MANAGER)) == Reason.CARD_ACTIVE


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (T.STAMP_EARNED, {"stamps_delta": 2}),
        (T.STAMP_EARNED, {"stamps_delta": 1, "points_delta": 1}),
        (T.STAMP_REDEEMED, {"stamps_delta": -9}),
        (T.STAMP_REDEEMED, {"stamps_delta": -11}),
        (T.STAMP_REDEEMED, {"stamps_delta": -10, "points_delta": -1}),
        (T.STAMP_VOIDED, {"stamps_delta": -2}),
        (T.POINTS_EARNED, {"points_delta": -5, "purchase_amount_cents": 1000}),
        (T.POINTS_EARNED, {"points_delta": 20, "stamps_delta": 1, "purchase_amount_cents": 1000}),
        (T.POINTS_REDEEMED, {"points_delta": 100, "reward_id": "coffee"}),
        (T.WELCOME_BONUS, {"points_delta": -50}),
        (T.CARD_CREATED, {"points_delta": 10}),
        (T.CARD_DEACTIVATED, {"stamps_delta": 1}),
        (T.CARD_DEACTIVATED, {"points_delta": -1}),
        (T.POINTS_EXPIRED, {"points_delta": 5}),
        (T.POINTS_VOIDED, {"points_delta": 5}),
        (T.POINTS_REDEEMED, {"points_delta": -100, "stamps_delta": -1, "reward_id": "coffee"}),
        (T.WELCOME_BONUS, {"points_delta": 0}),
        (T.POINTS_ADJUSTMENT, {"points_delta": 0, "notes": "x"}),
        (T.POINTS_ADJUSTMENT, {"points_delta": 100_001, "notes": "x"}),
        (T.STAMP_ADJUSTMENT, {"stamps_delta": -100_001, "notes": "x"}),
        (T.STAMP_ADJUSTMENT, {"points_delta": 5, "notes": "x"}),
        (T.STAMP_ADJUSTMENT, {"stamps_delta": 2, "points_delta": 5, "notes": "x"}),
        (T.POINTS_ADJUSTMENT, {"stamps_delta": 2, "points_delta": 5, "notes": "x"}),
    ],
)
def test_a_delta_other_than_the_types_is_invalid(kind: TransactionType, fields: dict[str, Any]) -> None:
    world = facts(
        staff=OWNER, card=None if kind == T.CARD_CREATED else CARD, made_by_server=kind == T.POINTS_EXPIRED
    )
    assert reason_of(tx(kind, staff_id=3, **fields), world) == Reason.INVALID_DELTA


def test_an_adjustment_at_the_bound_is_accepted() -> None:
    transaction = tx(T.POINTS_ADJUSTMENT, staff_id=3, points_delta=100_000, notes="migration")
    assert reason_of(transaction, facts(staff=OWNER)) is None


@pytest.mark.parametrize("notes", [None, "", "   "])
def test_an_adjustment_needs_a_reason(notes: str | None) -> None:
    transaction = tx(T.POINTS_ADJUSTMENT, staff_id=3, points_delta=10, notes=notes)
    assert reason_of(transaction, facts(staff=OWNER)) == Reason.REASON_REQUIRED


def test_redeeming_needs_a_known_reward_at_its_cost() -> None:
    world = facts()
    assert reason_of(tx(T.POINTS_REDEEMED, points_delta=-100, reward_id="tea"), world) == (
        Reason.UNKNOWN_REWARD
    )
    assert reason_of(tx(T.POINTS_REDEEMED, points_delta=-90, reward_id="coffee"), world) == (
        Reason.UNKNOWN_REWARD
    )
    assert reason_of(tx(T.POINTS_REDEEMED, points_delta=-100), world) == Reason.UNKNOWN_REWARD
    assert reason_of(tx(T.POINTS_REDEEMED, points_delta=-100, reward_id="coffee"), world) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"points_delta": 25, "purchase_amount_cents": 1234},
        {"points_delta": 8, "purchase_amount_cents": 400},
        {"points_delta": 10},
    ],
    ids=["wrong-points", "below-minimum", "no-amount"],
)
def test_points_that_do_not_follow_the_rule_are_invalid(fields: dict[str, Any]) -> None:
    assert reason_of(tx(T.POINTS_EARNED, **fields), facts()) == Reason.INVALID_POINTS


def test_an_order_reference_earns_points_once() -> None:
    assert reason_of(earned_points(order_reference="S-1"), facts(order_reference_used=True)) == (
        Reason.DUPLICATE_ORDER_REFERENCE
    )
    assert reason_of(earned_points(order_reference="S-1"), facts()) is None
    assert reason_of(earned_points(), facts(order_reference_used=True)) is None


def test_the_daily_stamp_limit_counts_stamps_already_earned_that_day() -> None:
    assert reason_of(tx(T.STAMP_EARNED, stamps_delta=1), facts(stamps_earned_that_day=2)) is None
    assert reason_of(tx(T.STAMP_EARNED, stamps_delta=1), facts(stamps_earned_that_day=3)) == (
        Reason.DAILY_STAMP_LIMIT
    )


def test_no_daily_limit_when_the_program_sets_none() -> None:
    program = PROGRAM.model_copy(update={"max_daily_stamps": None})
    world = facts(program=program, stamps_earned_that_day=500)
    assert reason_of(tx(T.STAMP_EARNED, stamps_delta=1), world) is None


def test_the_store_local_day_uses_the_stores_timezone() -> None:
    late_evening_utc = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert local_day(late_evening_utc, "Europe/Berlin").isoformat() == "2026-11-26"
    assert local_day(late_evening_utc, "America/New_York").isoformat() == "2026-11-25"


def test_the_welcome_bonus_is_given_once_at_the_programs_amount() -> None:
    bonus = tx(T.WELCOME_BONUS, points_delta=50)
    decision = evaluate(bonus, facts())
    assert decision.card is not None and decision.card.welcome_bonus_granted
    assert reason_of(bonus, facts(card=decision.card)) == Reason.INVALID_WELCOME_BONUS
    assert reason_of(tx(T.WELCOME_BONUS, points_delta=40), facts()) == Reason.INVALID_WELCOME_BONUS
    none_offered = PROGRAM.model_copy(update={"welcome_bonus_points": 0})
    assert reason_of(bonus, facts(program=none_offered)) == Reason.INVALID_WELCOME_BONUS


def test_a_partial_points_void_is_accepted() -> None:
    void = tx(T.POINTS_VOIDED, points_delta=-15, related_transaction_id=uuid.uuid4())
    decision = evaluate(void, facts(original=points_original()))
    assert decision.card is not None and decision.card.points_balance == 285


@pytest.mark.parametrize(
    "original",
    [
        None,
        points_original(card_number="C-2"),
        points_original(type=T.POINTS_REDEEMED),
        points_original(accepted=False),
    ],
    ids=["missing", "other-card", "wrong-kind", "not-accepted"],
)
def test_a_void_needs_an_accepted_original_of_the_card(original: Original | None) -> None:
    void = tx(T.POINTS_VOIDED, points_delta=-10, related_transaction_id=uuid.uuid4())
    assert reason_of(void, facts(original=original)) == Reason.UNKNOWN_RELATED_TRANSACTION


def test_a_void_without_a_related_transaction_is_unknown() -> None:
    void = tx(T.POINTS_VOIDED, points_delta=-10)
    assert reason_of(void, facts(original=points_original())) == Reason.UNKNOWN_RELATED_TRANSACTION


def test_a_void_larger_than_its_original_is_an_invalid_delta() -> None:
    void = tx(T.POINTS_VOIDED, points_delta=-41, related_transaction_id=uuid.uuid4())
    assert reason_of(void, facts(original=points_original())) == Reason.INVALID_DELTA


def test_a_void_larger_than_what_remains_is_already_voided() -> None:
    void = tx(T.POINTS_VOIDED, points_delta=-30, related_transaction_id=uuid.uuid4())
    original = points_original(voided_so_far=20)
    assert reason_of(void, facts(original=original)) == Reason.ALREADY_VOIDED
    assert reason_of(replace_points(void, -20), facts(original=original)) is None


def replace_points(transaction: Tx, points: int) -> Tx:
    return transaction.model_copy(update={"points_delta": points})


def test_a_stamp_void_takes_exactly_one_stamp() -> None:
    original = Original("C-1", T.STAMP_EARNED, True, stamps_delta=1, points_delta=0, voided_so_far=0)
    void = tx(T.STAMP_VOIDED, stamps_delta=-1, related_transaction_id=uuid.uuid4())
    assert reason_of(void, facts(original=original)) is None
    done = replace(original, voided_so_far=1)
    assert reason_of(void, facts(original=done)) == Reason.ALREADY_VOIDED


def test_a_balance_never_goes_negative() -> None:
    poor = CARD._replace(points_balance=99, stamp_count=9)
    assert reason_of(tx(T.POINTS_REDEEMED, points_delta=-100, reward_id="coffee"), facts(card=poor)) == (
        Reason.INSUFFICIENT_POINTS
    )
    assert reason_of(tx(T.STAMP_REDEEMED, stamps_delta=-10), facts(card=poor)) == Reason.INSUFFICIENT_STAMPS
    adjustment = tx(T.POINTS_ADJUSTMENT, staff_id=3, points_delta=-100, notes="fix")
    assert reason_of(adjustment, facts(card=poor, staff=OWNER)) == Reason.INSUFFICIENT_POINTS


def test_voiding_points_already_spent_is_insufficient_points() -> None:
    spent = CARD._replace(points_balance=10)
    void = tx(T.POINTS_VOIDED, points_delta=-40, related_transaction_id=uuid.uuid4())
    assert reason_of(void, facts(card=spent, original=points_original())) == Reason.INSUFFICIENT_POINTS


def test_the_first_reason_in_the_tables_order_wins() -> None:
    inactive_poor = CARD._replace(is_active=False, points_balance=0)
    redeem = tx(T.POINTS_REDEEMED, points_delta=-100, reward_id="tea", staff_id=99)
    assert reason_of(redeem, facts(card=inactive_poor, staff=None)) == Reason.UNKNOWN_STAFF
    assert reason_of(redeem.model_copy(update={"staff_id": 1}), facts(card=inactive_poor)) == (
        Reason.CARD_INACTIVE
    )


def test_a_rejected_transaction_leaves_the_card_unchanged() -> None:
    decision = evaluate(tx(T.STAMP_REDEEMED, stamps_delta=-10), facts())
    assert not decision.accepted
    assert decision.card == CARD


def test_a_card_whose_view_went_negative_can_still_earn() -> None:
    overdrawn = CARD._replace(points_balance=-40)
    assert reason_of(tx(T.STAMP_EARNED, stamps_delta=1), facts(card=overdrawn)) is None
    assert reason_of(earned_points(), facts(card=overdrawn)) is None
    spend = tx(T.POINTS_REDEEMED, points_delta=-100, reward_id="coffee")
    assert reason_of(spend, facts(card=overdrawn)) == Reason.INSUFFICIENT_POINTS


def test_the_servers_own_change_with_no_staff_member_passes_the_staff_and_role_rules() -> None:
    """Head office's adjustments and (de)activations: the console checked its user's role."""
    adjustment = tx(T.POINTS_ADJUSTMENT, points_delta=50, notes="compensation").model_copy(
        update={"staff_id": NO_STAFF}  # never valid on the wire: only the server makes it
    )
    assert evaluate(adjustment, facts(staff=None, made_by_server=True)).reason is None
    assert reason_of(adjustment, facts(staff=None)) == Reason.UNKNOWN_STAFF  # never from a till
    deactivation = tx(T.CARD_DEACTIVATED).model_copy(update={"staff_id": NO_STAFF})
    assert evaluate(deactivation, facts(staff=None, made_by_server=True)).reason is None
