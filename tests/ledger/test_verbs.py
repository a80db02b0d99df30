"""The till's verbs: each judged against the card's view, committed whole, refused with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.ledger import InvalidInput, Ledger, NotFound, Refused
from sync.protocol import ProgramType, Reason, TransactionType
from tests.ledger.conftest import (
    CASHIER,
    ELSEWHERE,
    INACTIVE,
    MANAGER,
    OWNER,
    FakeClock,
    make_program,
)
from tests.ledger.helpers import counts, stored_vs_recomputed

T = TransactionType


def refused(action: Callable[[], object]) -> Reason:
    with pytest.raises(Refused) as caught:
        action()
    return caught.value.reason


def test_enrolment_records_the_card_and_its_welcome_bonus_in_one_transaction(
    ledger: Ledger, ledger_path: Path
) -> None:
    recorded = ledger.enrol_card(CASHIER, " C-100 ", customer_name="Ada Lovelace", email="ada@example.org")
    assert recorded.transaction.type == T.WELCOME_BONUS
    assert recorded.transaction.points_delta == 20
    assert recorded.card.card_number == "C-100"
    assert (recorded.card.points_balance, recorded.card.stamp_count, recorded.card.pending_count) == (
        20,
        0,
        2,
    )
    history = ledger.card_history("C-100")
    assert [tx.type for tx in history] == [T.WELCOME_BONUS, T.CARD_CREATED]
    assert [tx.seq for tx in history] == [2, 1]
    assert ledger.find_card("C-100") == recorded.card
    assert stored_vs_recomputed(ledger_path) == []


def test_enrolment_on_a_stamps_only_program_records_no_welcome_bonus(
    open_seeded: Callable[..., Ledger],
) -> None:
    ledger = open_seeded(make_program(type=ProgramType.STAMPS))
    recorded = ledger.enrol_card(CASHIER, "C-1")
    assert recorded.transaction.type == T.CARD_CREATED
    assert recorded.card.points_balance == 0


def test_enrolling_a_number_the_till_knows_is_refused_card_number_taken(
    ledger: Ledger, ledger_path: Path
) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    before = counts(ledger_path)
    assert refused(lambda: ledger.enrol_card(CASHIER, "C-1")) == Reason.CARD_NUMBER_TAKEN
    assert counts(ledger_path) == before


def test_a_malformed_card_number_or_overlong_contact_is_invalid_input(
    ledger: Ledger, ledger_path: Path
) -> None:
    before = counts(ledger_path)
    with pytest.raises(InvalidInput):
        ledger.enrol_card(CASHIER, "no spaces allowed")
    with pytest.raises(InvalidInput):
        ledger.enrol_card(CASHIER, "C-2", customer_name="x" * 201)
    assert counts(ledger_path) == before


@pytest.mark.parametrize(
    ("email", "phone", "words"),
    [
        ("not-an-email", None, "email"),
        ("ada@", None, "email"),
        ("ada @example.org", None, "email"),
        (None, "call me maybe", "phone"),
        (None, "12", "phone"),
    ],
)
def test_an_email_or_phone_that_is_not_one_is_refused_with_nothing_written(
    ledger: Ledger, ledger_path: Path, email: str | None, phone: str | None, words: str
) -> None:
    before = counts(ledger_path)
    with pytest.raises(InvalidInput) as caught:
        ledger.enrol_card(CASHIER, "C-3", customer_name="Ada", email=email, phone=phone)
    assert words in caught.value.message
    assert counts(ledger_path) == before


def test_an_email_and_a_phone_as_people_write_them_are_kept(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-4", email="Ada.L+shop@example.co.uk", phone="+49 (30) 123-456 78")
    ledger.enrol_card(CASHIER, "C-5", phone="087 123 4567")


def test_a_stamp_is_added_to_the_view_and_stays_pending(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    recorded = ledger.add_stamp(CASHIER, "C-1")
    assert recorded.transaction.type == T.STAMP_EARNED
    assert recorded.transaction.sync_state == "pending"
    assert recorded.transaction.remaining_voidable == 1
    assert recorded.transaction.seq == 3
    assert (recorded.card.stamp_count, recorded.card.confirmed_stamp_count) == (1, 0)
    assert recorded.card.has_pending


def test_verbs_on_an_unknown_card_are_refused_unknown_card(ledger: Ledger, ledger_path: Path) -> None:
    before = counts(ledger_path)
    assert refused(lambda: ledger.add_stamp(CASHIER, "NOPE")) == Reason.UNKNOWN_CARD
    assert refused(lambda: ledger.redeem_reward(CASHIER, "NOPE", "mug")) == Reason.UNKNOWN_CARD
    assert counts(ledger_path) == before


def test_the_daily_stamp_limit_counts_the_store_local_day(ledger: Ledger, clock: FakeClock) -> None:
    clock.now = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    ledger.enrol_card(CASHIER, "C-1")
    for _ in range(3):
        ledger.add_stamp(CASHIER, "C-1")
    assert refused(lambda: ledger.add_stamp(CASHIER, "C-1")) == Reason.DAILY_STAMP_LIMIT
    clock.advance(minutes=59)  # 23:59 Berlin: still the same day
    assert refused(lambda: ledger.add_stamp(CASHIER, "C-1")) == Reason.DAILY_STAMP_LIMIT
    clock.advance(minutes=2)  # 00:01 Berlin, the next day (UTC is still on the 2nd)
    assert ledger.add_stamp(CASHIER, "C-1").card.stamp_count == 4


def test_voided_stamps_still_count_towards_the_daily_limit(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    stamps = [ledger.add_stamp(CASHIER, "C-1") for _ in range(3)]
    ledger.void(MANAGER, stamps[0].transaction.id)
    assert refused(lambda: ledger.add_stamp(CASHIER, "C-1")) == Reason.DAILY_STAMP_LIMIT


def test_stamps_are_not_in_a_points_only_program(open_seeded: Callable[..., Ledger]) -> None:
    ledger = open_seeded(make_program(type=ProgramType.POINTS))
    ledger.enrol_card(CASHIER, "C-1")
    assert refused(lambda: ledger.add_stamp(CASHIER, "C-1")) == Reason.NOT_IN_PROGRAM


def test_staff_of_another_store_inactive_or_unknown_are_refused_unknown_staff(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    assert refused(lambda: ledger.add_stamp(ELSEWHERE, "C-1")) == Reason.UNKNOWN_STAFF
    assert refused(lambda: ledger.add_stamp(INACTIVE, "C-1")) == Reason.UNKNOWN_STAFF
    stranger = CASHIER.__class__(id=99, name="?", role=CASHIER.role, store_id=None, is_active=True)
    assert refused(lambda: ledger.add_stamp(stranger, "C-1")) == Reason.UNKNOWN_STAFF


def test_redeeming_stamps_takes_the_target_and_needs_enough(ledger: Ledger, clock: FakeClock) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    assert refused(lambda: ledger.redeem_stamps(CASHIER, "C-1")) == Reason.INSUFFICIENT_STAMPS
    for _day in range(2):
        for _ in range(3):
            ledger.add_stamp(CASHIER, "C-1")
        clock.advance(days=1)
    recorded = ledger.redeem_stamps(CASHIER, "C-1")
    assert recorded.transaction.stamps_delta == -5
    assert recorded.card.stamp_count == 1


def test_points_follow_the_program_rule_for_the_purchase(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    recorded = ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=1234, order_reference="A-1")
    assert recorded.transaction.points_delta == 123
    assert recorded.transaction.purchase_amount_cents == 1234
    assert recorded.transaction.order_reference == "A-1"
    assert recorded.card.points_balance == 143


def test_a_purchase_below_the_minimum_is_refused_invalid_points(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    reason = refused(
        lambda: ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=99, order_reference=None)
    )
    assert reason == Reason.INVALID_POINTS


def test_an_order_reference_earns_points_once(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.enrol_card(CASHIER, "C-2")
    ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=500, order_reference="A-1")
    again = refused(
        lambda: ledger.earn_points(CASHIER, "C-2", purchase_amount_cents=500, order_reference="A-1")
    )
    assert again == Reason.DUPLICATE_ORDER_REFERENCE
    ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=500, order_reference=None)
    ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=500, order_reference="  ")
    assert ledger.find_card("C-1") is not None


def test_a_reward_costs_its_points_and_needs_enough(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    assert refused(lambda: ledger.redeem_reward(CASHIER, "C-1", "mug")) == Reason.INSUFFICIENT_POINTS
    assert refused(lambda: ledger.redeem_reward(CASHIER, "C-1", "yacht")) == Reason.UNKNOWN_REWARD
    ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=300, order_reference=None)
    recorded = ledger.redeem_reward(CASHIER, "C-1", "mug")
    assert recorded.transaction.points_delta == -50
    assert recorded.transaction.reward_id == "mug"
    assert recorded.card.points_balance == 0


def test_a_points_void_takes_the_rest_by_default_and_parts_on_request(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    earned = ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=1000, order_reference=None).transaction
    part = ledger.void(MANAGER, earned.id, points=30)
    assert part.transaction.points_delta == -30
    assert part.transaction.related_transaction_id == earned.id
    assert [tx.remaining_voidable for tx in ledger.voidable("C-1")] == [70]
    rest = ledger.void(MANAGER, earned.id)
    assert rest.transaction.points_delta == -70
    assert rest.card.points_balance == 20
    assert ledger.voidable("C-1") == []
    assert refused(lambda: ledger.void(MANAGER, earned.id)) == Reason.ALREADY_VOIDED


def test_a_void_larger_than_its_purchase_is_refused_invalid_delta(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    earned = ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=1000, order_reference=None).transaction
    assert refused(lambda: ledger.void(MANAGER, earned.id, points=101)) == Reason.INVALID_DELTA
    assert refused(lambda: ledger.void(MANAGER, earned.id, points=0)) == Reason.INVALID_DELTA


def test_a_stamp_void_takes_exactly_one_stamp(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    stamp = ledger.add_stamp(CASHIER, "C-1").transaction
    recorded = ledger.void(MANAGER, stamp.id, points=7)
    assert (recorded.transaction.type, recorded.transaction.stamps_delta) == (T.STAMP_VOIDED, -1)
    assert recorded.card.stamp_count == 0
    assert refused(lambda: ledger.void(MANAGER, stamp.id)) == Reason.ALREADY_VOIDED


def test_voiding_what_cannot_be_voided_is_refused_or_not_found(ledger: Ledger) -> None:
    welcome = ledger.enrol_card(CASHIER, "C-1").transaction
    assert refused(lambda: ledger.void(MANAGER, welcome.id)) == Reason.UNKNOWN_RELATED_TRANSACTION
    with pytest.raises(NotFound):
        ledger.void(MANAGER, "00000000-0000-4000-8000-000000000000")
    with pytest.raises(NotFound):
        ledger.void(MANAGER, "not-a-uuid")


def test_only_the_owner_adjusts_and_must_give_a_reason(ledger: Ledger, ledger_path: Path) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    before = counts(ledger_path)
    assert (
        refused(lambda: ledger.adjust(MANAGER, "C-1", points_delta=5, reason="gift")) == Reason.NOT_PERMITTED
    )
    assert refused(lambda: ledger.adjust(OWNER, "C-1", points_delta=5, reason="  ")) == Reason.REASON_REQUIRED
    too_big = refused(lambda: ledger.adjust(OWNER, "C-1", points_delta=100_001, reason="typo"))
    assert too_big == Reason.INVALID_DELTA
    assert refused(lambda: ledger.adjust(OWNER, "C-1", reason="nothing")) == Reason.INVALID_DELTA
    assert counts(ledger_path) == before
    recorded = ledger.adjust(OWNER, "C-1", points_delta=-20, reason="welcome given twice")
    assert (recorded.transaction.type, recorded.transaction.notes) == (
        T.POINTS_ADJUSTMENT,
        "welcome given twice",
    )
    assert recorded.card.points_balance == 0


def test_an_adjustment_of_both_balances_records_two_transactions_at_once(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    recorded = ledger.adjust(OWNER, "C-1", stamps_delta=2, points_delta=5, reason="lost card moved")
    assert (recorded.card.stamp_count, recorded.card.points_balance) == (2, 25)
    assert [tx.type for tx in ledger.card_history("C-1", limit=2)] == [
        T.POINTS_ADJUSTMENT,
        T.STAMP_ADJUSTMENT,
    ]


def test_an_adjustment_below_zero_is_refused_insufficient(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    assert (
        refused(lambda: ledger.adjust(OWNER, "C-1", stamps_delta=-1, reason="x"))
        == Reason.INSUFFICIENT_STAMPS
    )


def test_deactivation_needs_a_manager_and_blocks_the_card_until_reactivated(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    assert refused(lambda: ledger.deactivate(CASHIER, "C-1")) == Reason.NOT_PERMITTED
    assert ledger.deactivate(MANAGER, "C-1").card.is_active is False
    assert refused(lambda: ledger.add_stamp(CASHIER, "C-1")) == Reason.CARD_INACTIVE
    assert refused(lambda: ledger.deactivate(MANAGER, "C-1")) == Reason.CARD_INACTIVE
    assert refused(lambda: ledger.reactivate(CASHIER, "C-1")) == Reason.NOT_PERMITTED
    assert ledger.reactivate(MANAGER, "C-1").card.is_active is True
    assert refused(lambda: ledger.reactivate(MANAGER, "C-1")) == Reason.CARD_ACTIVE
    assert ledger.add_stamp(CASHIER, "C-1").card.stamp_count == 1


def test_a_refusal_carries_the_cashier_wording(ledger: Ledger) -> None:
    with pytest.raises(Refused) as caught:
        ledger.add_stamp(CASHIER, "NOPE")
    assert caught.value.message.startswith("This card is not known")
    assert caught.value.title


def test_transactions_carry_the_clock_the_program_version_and_this_device(
    ledger: Ledger, clock: FakeClock
) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    clock.advance(minutes=5)
    recorded = ledger.add_stamp(CASHIER, "C-1")
    assert recorded.transaction.transaction_at == clock.now
    assert recorded.transaction.recorded_at == clock.now
    wire = ledger.pending_transactions(10)[-1]
    assert wire.program_version == 1
    assert wire.transaction_at == clock.now


def test_seq_numbers_increase_and_are_never_reused_after_a_refusal(ledger: Ledger, ledger_path: Path) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    refused(lambda: ledger.redeem_stamps(CASHIER, "C-1"))
    assert ledger.add_stamp(CASHIER, "C-1").transaction.seq == 3
    assert counts(ledger_path) == (3, 1, 3)


def test_points_are_not_in_a_stamps_only_program(open_seeded: Callable[..., Ledger]) -> None:
    ledger = open_seeded(make_program(type=ProgramType.STAMPS))
    ledger.enrol_card(CASHIER, "C-1")
    earn = refused(
        lambda: ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=500, order_reference=None)
    )
    assert earn == Reason.NOT_IN_PROGRAM
    assert refused(lambda: ledger.redeem_reward(CASHIER, "C-1", "mug")) == Reason.NOT_IN_PROGRAM


def test_values_outside_the_wire_contract_are_invalid_input(ledger: Ledger, ledger_path: Path) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    before = counts(ledger_path)
    with pytest.raises(InvalidInput):
        ledger.redeem_reward(CASHIER, "C-1", "r" * 51)
    with pytest.raises(InvalidInput):
        ledger.adjust(OWNER, "C-1", points_delta=2**31, reason="overflow")
    with pytest.raises(InvalidInput):
        ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=-5, order_reference=None)
    with pytest.raises(InvalidInput):
        ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=500, order_reference="x" * 101)
    assert counts(ledger_path) == before
