"""The ledger as the sync engine's port: pending out in seq order, answers and pulls in, convergence."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.ledger import Ledger, NotFound, NothingPending, Refused
from sync.protocol import (
    CardOut,
    CardState,
    ImportRequest,
    PushRequest,
    PushResult,
    Reason,
    TransactionType,
    Tx,
    TxStatus,
)
from tests.ledger.conftest import CASHIER, IDENTITY, MANAGER, make_program, pull_page
from tests.ledger.helpers import stored_vs_recomputed

T = TransactionType


def accept(tx: Tx, stamps: int, points: int, *, active: bool = True) -> PushResult:
    card = CardState(card_number=tx.card_number, stamp_count=stamps, points_balance=points, is_active=active)
    return PushResult(id=str(tx.id), status=TxStatus.ACCEPTED, card=card)


def reject(tx: Tx, reason: Reason, card: CardState | None) -> PushResult:
    return PushResult(id=str(tx.id), status=TxStatus.REJECTED, reason=reason, card=card)


def card_out(
    number: str, stamps: int, points: int, *, name: str | None = None, active: bool = True
) -> CardOut:
    return CardOut(
        card_number=number,
        customer_name=name,
        stamp_count=stamps,
        points_balance=points,
        is_active=active,
        updated_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_pending_transactions_come_in_seq_order_in_the_strict_wire_form(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1", customer_name="Ada", phone="+49 30 1")
    ledger.add_stamp(CASHIER, "C-1")
    pending = ledger.pending_transactions(10)
    assert [tx.seq for tx in pending] == [1, 2, 3]
    assert [tx.type for tx in pending] == [T.CARD_CREATED, T.WELCOME_BONUS, T.STAMP_EARNED]
    assert pending[0].customer is not None and pending[0].customer.phone == "+49 30 1"
    body = PushRequest(transactions=pending).model_dump_json()
    assert PushRequest.model_validate_json(body).transactions == pending
    assert ledger.pending_transactions(2) == pending[:2]
    for tx in pending:  # built from trusted values: every field of the model, each as validation makes it
        assert tx.model_fields_set == set(Tx.model_fields)
        assert Tx.model_validate_json(tx.model_dump_json()).model_dump() == tx.model_dump()


def test_pending_transactions_after_a_seq_skip_those_already_sent(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    pending = ledger.pending_transactions(10)
    assert ledger.pending_transactions(10, after_seq=pending[1].seq) == pending[2:]
    assert ledger.pending_transactions(1, after_seq=pending[0].seq) == [pending[1]]
    assert ledger.pending_transactions(10, after_seq=pending[-1].seq) == []
    ledger.apply_push_results(pending[:1], [accept(pending[0], 0, 0)])
    assert ledger.pending_transactions(10, after_seq=0) == pending[1:]


def test_accepted_results_confirm_the_card_and_leave_the_rest_pending(
    ledger: Ledger, ledger_path: Path
) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    sent = ledger.pending_transactions(2)
    ledger.apply_push_results(sent, [accept(sent[0], 0, 0), accept(sent[1], 0, 20)])
    card = ledger.find_card("C-1")
    assert card is not None
    assert (card.confirmed_stamp_count, card.confirmed_points_balance) == (0, 20)
    assert (card.stamp_count, card.points_balance, card.pending_count) == (1, 20, 1)
    assert [tx.sync_state for tx in ledger.card_history("C-1")] == ["pending", "accepted", "accepted"]
    assert ledger.pending_summary().count == 1
    assert stored_vs_recomputed(ledger_path) == []


def test_a_rejected_transaction_leaves_the_view_and_shows_in_the_rejection_list(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    sent = ledger.pending_transactions(10)
    ledger.apply_push_results(sent, [accept(sent[0], 0, 0), accept(sent[1], 0, 20)])
    ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=1000, order_reference="A-1")
    [earned] = ledger.pending_transactions(10)
    server_card = CardState(card_number="C-1", stamp_count=0, points_balance=20, is_active=True)
    ledger.apply_push_results([earned], [reject(earned, Reason.DUPLICATE_ORDER_REFERENCE, server_card)])
    card = ledger.find_card("C-1")
    assert card is not None and (card.points_balance, card.has_pending) == (20, False)
    [rejection] = ledger.rejections()
    assert (rejection.id, rejection.reason) == (str(earned.id), Reason.DUPLICATE_ORDER_REFERENCE)
    assert rejection.reason_text == "Points were already given for this order."
    assert ledger.voidable("C-1") == []
    # a rejected order reference does not use it up
    ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=1000, order_reference="A-1")


def test_rejections_are_acknowledged_by_a_manager_only(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    sent = ledger.pending_transactions(10)
    ledger.apply_push_results(sent, [reject(tx, Reason.UNKNOWN_STAFF, None) for tx in sent])
    first = ledger.rejections()[0]
    with pytest.raises(Refused):
        ledger.acknowledge_rejection(first.id, CASHIER)
    ledger.acknowledge_rejection(first.id, MANAGER)
    assert [tx.id for tx in ledger.rejections()] == [ledger.rejections(include_acknowledged=True)[1].id]
    assert ledger.rejections(include_acknowledged=True)[0].acknowledged is True
    with pytest.raises(NotFound):
        ledger.acknowledge_rejection("00000000-0000-4000-8000-000000000000", MANAGER)


def test_a_rejected_enrolment_of_a_card_the_server_lacks_makes_the_card_unknown(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    sent = ledger.pending_transactions(2)
    ledger.apply_push_results(sent, [reject(tx, Reason.UNKNOWN_STAFF, None) for tx in sent])
    assert ledger.find_card("C-1") is None
    assert ledger.pending_summary().count == 1
    with pytest.raises(Refused):
        ledger.add_stamp(CASHIER, "C-1")
    assert ledger.enrol_card(CASHIER, "C-1").card.points_balance == 20  # it may be enrolled again


def test_the_last_answer_for_a_card_in_a_batch_is_its_newest_state(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    sent = ledger.pending_transactions(10)
    results = [accept(sent[0], 0, 0), accept(sent[1], 0, 20), accept(sent[2], 1, 20)]
    ledger.apply_push_results(sent, results)
    card = ledger.find_card("C-1")
    assert card is not None and (card.confirmed_stamp_count, card.stamp_count, card.pending_count) == (
        1,
        1,
        0,
    )


def test_a_batch_of_accepted_and_rejected_answers_marks_each_transaction_as_answered(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    sent = ledger.pending_transactions(10)
    server_card = CardState(card_number="C-1", stamp_count=1, points_balance=20, is_active=True)
    results = [
        accept(sent[0], 0, 0),
        accept(sent[1], 0, 20),
        reject(sent[2], Reason.DAILY_STAMP_LIMIT, server_card),
        accept(sent[3], 1, 20),
    ]
    # A server may answer ids in upper case: the till's rows are found all the same.
    results = [r.model_copy(update={"id": r.id.upper()}) for r in results]
    ledger.apply_push_results(sent, results)
    states = {view.id: (view.sync_state, view.reason) for view in ledger.card_history("C-1")}
    assert states == {
        str(sent[0].id): ("accepted", None),
        str(sent[1].id): ("accepted", None),
        str(sent[2].id): ("rejected", Reason.DAILY_STAMP_LIMIT),
        str(sent[3].id): ("accepted", None),
    }
    assert ledger.pending_summary().count == 0
    assert [view.id for view in ledger.rejections()] == [str(sent[2].id)]


def test_a_replayed_answer_is_applied_like_a_fresh_one(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    sent = ledger.pending_transactions(10)
    results = [
        r.model_copy(update={"replayed": True}) for r in (accept(sent[0], 0, 0), accept(sent[1], 0, 20))
    ]
    ledger.apply_push_results(sent, results)
    assert ledger.pending_summary().count == 0


def test_results_that_do_not_match_what_was_sent_change_nothing(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    sent = ledger.pending_transactions(10)
    with pytest.raises(ValueError):
        ledger.apply_push_results(sent, [accept(sent[0], 0, 0)])
    with pytest.raises(ValueError):
        ledger.apply_push_results(sent, [accept(sent[1], 0, 0), accept(sent[0], 0, 20)])
    assert ledger.pending_summary().count == 2


def test_a_card_the_till_never_saw_is_created_from_a_push_answer(ledger: Ledger) -> None:
    ledger.apply_pull_page(pull_page(cards=[card_out("C-9", 2, 40)], cursor="c2"))
    ledger.add_stamp(CASHIER, "C-9")
    [stamp] = ledger.pending_transactions(1)
    ledger.apply_push_results([stamp], [accept(stamp, 3, 40)])
    card = ledger.find_card("C-9")
    assert card is not None and (card.stamp_count, card.points_balance) == (3, 40)


def test_a_pull_page_stores_program_staff_cards_and_cursor_at_once(ledger: Ledger) -> None:
    program = make_program(version=2, welcome_bonus_points=0)
    page = pull_page(program=program, cards=[card_out("C-5", 1, 7, name="Grace Hopper")], cursor="c9")
    ledger.apply_pull_page(page)
    assert ledger.program() == program
    assert ledger.pull_cursor() == "c9"
    card = ledger.find_card("C-5")
    assert card is not None and (card.customer_name, card.stamp_count, card.points_balance) == (
        "Grace Hopper",
        1,
        7,
    )
    assert ledger.enrol_card(CASHIER, "C-6").transaction.type == T.CARD_CREATED  # no welcome bonus in v2
    assert ledger.pending_transactions(1)[0].program_version == 2


def test_a_pulled_card_keeps_the_tills_pending_transactions_on_top(ledger: Ledger, ledger_path: Path) -> None:
    ledger.apply_pull_page(pull_page(cards=[card_out("C-5", 1, 7)], cursor="c2"))
    ledger.add_stamp(CASHIER, "C-5")
    ledger.apply_pull_page(pull_page(cards=[card_out("C-5", 2, 100)], cursor="c3"))
    card = ledger.find_card("C-5")
    assert card is not None and (card.stamp_count, card.points_balance, card.pending_count) == (3, 100, 1)
    assert stored_vs_recomputed(ledger_path) == []


def test_a_page_without_program_or_staff_keeps_the_ones_stored(ledger: Ledger) -> None:
    before = (ledger.program(), ledger.staff_members())
    ledger.apply_pull_page(pull_page(cursor="c5"))
    assert (ledger.program(), ledger.staff_members()) == before


def test_reconcile_repairs_a_diverged_card_and_reports_it(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    ledger.apply_pull_page(pull_page(cards=[card_out("C-5", 1, 7), card_out("C-6", 0, 0)], cursor="c2"))
    ledger.apply_pull_page(pull_page(cards=[card_out("C-7", 0, 0)], cursor="c3"))
    ledger.add_stamp(CASHIER, "C-7")
    server = [
        CardState(card_number="C-5", stamp_count=4, points_balance=7, is_active=True),
        CardState(card_number="C-6", stamp_count=0, points_balance=0, is_active=True),
        CardState(card_number="C-7", stamp_count=9, points_balance=9, is_active=True),
    ]
    with caplog.at_level(logging.WARNING):
        mismatches = ledger.reconcile(server)
    assert [m.card_number for m in mismatches] == ["C-5"]
    assert (mismatches[0].local.stamp_count, mismatches[0].server.stamp_count) == (1, 4)
    assert "C-5" in caplog.text
    card = ledger.find_card("C-5")
    assert card is not None and (card.stamp_count, card.confirmed_stamp_count) == (4, 4)
    pending_card = ledger.find_card("C-7")
    assert pending_card is not None and pending_card.stamp_count == 1  # pending: not compared
    assert ledger.reconcile(server[:2]) == []


def test_sync_outcomes_are_remembered_for_the_status_line(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    ledger.record_sync(at=at, succeeded=False, message="server unreachable")
    status = ledger.sync_status()
    assert (status.pending_count, status.last_sync_at, status.last_sync_error) == (
        2,
        None,
        "server unreachable",
    )
    assert status.oldest_pending_at is not None and status.cursor == "c1"
    ledger.record_sync(at=at, succeeded=True)
    status = ledger.sync_status()
    assert (status.last_sync_at, status.last_sync_error) == (at, None)


def test_pending_transactions_export_as_an_import_file(ledger: Ledger) -> None:
    with pytest.raises(NothingPending):
        ledger.export_pending()
    ledger.enrol_card(CASHIER, "C-1")
    exported = ledger.export_pending()
    again = ImportRequest.model_validate_json(exported.model_dump_json())
    assert again.device_id == IDENTITY.device_id
    assert [tx.seq for tx in again.transactions] == [1, 2]


def test_reconcile_takes_in_a_card_the_till_did_not_know_without_calling_it_a_mismatch(
    ledger: Ledger,
) -> None:
    server = [CardState(card_number="C-8", stamp_count=2, points_balance=5, is_active=False)]
    assert ledger.reconcile(server) == []
    card = ledger.find_card("C-8")
    assert card is not None and (card.stamp_count, card.points_balance, card.is_active) == (2, 5, False)


def test_the_ledger_is_the_sync_engines_port(ledger: Ledger) -> None:
    from sync.ports import LedgerPort

    port: LedgerPort = ledger
    assert port.pull_cursor() == "c1"


def test_an_empty_answer_to_an_empty_push_changes_nothing(ledger: Ledger) -> None:
    ledger.apply_push_results([], [])
    assert ledger.pending_summary().count == 0
