"""The till's questions: card lookup, search, history, what can be voided, today's totals."""

from __future__ import annotations

import queue
import threading
from datetime import UTC, datetime
from pathlib import Path

from desktop.ledger import Ledger, Refused
from sync.protocol import CardState, PushResult, Reason, TransactionType, TxStatus
from tests.ledger.conftest import CASHIER, MANAGER, OWNER, FakeClock
from tests.ledger.helpers import non_rejected_sums, stored_vs_recomputed

T = TransactionType


def test_find_card_answers_none_for_an_unknown_number(ledger: Ledger) -> None:
    assert ledger.find_card("C-404") is None


def test_search_matches_names_in_any_case_and_numbers_by_prefix(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "AB-1", customer_name="Ada Lovelace")
    ledger.enrol_card(CASHIER, "AB-2", customer_name="Alan Turing")
    ledger.enrol_card(CASHIER, "CD-1", customer_name="Grace 100% Hopper")
    assert [card.card_number for card in ledger.search_cards("love")] == ["AB-1"]
    assert [card.card_number for card in ledger.search_cards("AB-")] == ["AB-1", "AB-2"]
    assert [card.card_number for card in ledger.search_cards("ab-", limit=1)] == ["AB-1"]
    assert [card.card_number for card in ledger.search_cards("100%")] == ["CD-1"]
    assert [card.card_number for card in ledger.search_cards("%")] == ["CD-1"]  # a literal percent sign
    assert ledger.search_cards("_") == []
    assert ledger.search_cards("   ") == []


def test_history_is_newest_first_with_sync_state_and_limit(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    history = ledger.card_history("C-1")
    assert [tx.type for tx in history] == [T.STAMP_EARNED, T.WELCOME_BONUS, T.CARD_CREATED]
    assert {tx.sync_state for tx in history} == {"pending"}
    assert len(ledger.card_history("C-1", limit=1)) == 1


def test_voidable_lists_earnings_with_something_left(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    stamp = ledger.add_stamp(CASHIER, "C-1").transaction
    points = ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=500, order_reference=None).transaction
    assert [(tx.id, tx.remaining_voidable) for tx in ledger.voidable("C-1")] == [
        (points.id, 50),
        (stamp.id, 1),
    ]
    ledger.void(MANAGER, stamp.id)
    assert [tx.id for tx in ledger.voidable("C-1")] == [points.id]


def test_today_totals_count_this_tills_store_local_day(ledger: Ledger, clock: FakeClock) -> None:
    clock.now = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # 23:30 in Berlin on the 1st
    ledger.enrol_card(CASHIER, "C-1")
    clock.now = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 00:30 in Berlin on the 2nd
    ledger.enrol_card(CASHIER, "C-2")
    ledger.add_stamp(CASHIER, "C-2")
    earned = ledger.earn_points(CASHIER, "C-2", purchase_amount_cents=1000, order_reference=None)
    ledger.redeem_reward(CASHIER, "C-2", "mug")
    ledger.void(MANAGER, earned.transaction.id, points=10)
    totals = ledger.today_totals()
    assert totals.day.isoformat() == "2026-03-02"
    assert totals.counts[T.CARD_CREATED] == 1
    assert (totals.stamps_given, totals.points_given, totals.points_redeemed) == (1, 110, 50)
    assert totals.points_voided == 10
    assert (totals.rewards_redeemed, totals.voids, totals.rejected) == (1, 1, 0)
    assert totals.transactions == 6
    assert totals.pending_count == 8  # every pending transaction, yesterday's included
    yesterday = ledger.today_totals(now=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    assert yesterday.counts == {T.CARD_CREATED: 1, T.WELCOME_BONUS: 1}


def test_today_nets_out_voids_and_counts_what_was_voided(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")  # a welcome bonus of 20
    purchase = ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=1250, order_reference=None)
    kept = ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=500, order_reference=None)
    stamp = ledger.add_stamp(CASHIER, "C-1")
    ledger.add_stamp(CASHIER, "C-1")
    ledger.void(MANAGER, purchase.transaction.id)  # the whole purchase: 125 points
    ledger.void(MANAGER, kept.transaction.id, points=20)
    ledger.void(MANAGER, stamp.transaction.id)

    totals = ledger.today_totals()

    assert (totals.points_given, totals.points_voided) == (20 + 125 + 50 - 145, 145)
    assert (totals.stamps_given, totals.stamps_voided) == (1, 1)
    assert totals.points_by_type[T.POINTS_VOIDED] == -145
    assert totals.stamps_by_type[T.STAMP_EARNED] == 2


def test_two_threads_recording_on_one_card_lose_nothing(ledger: Ledger, ledger_path: Path) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    ledger.adjust(OWNER, "C-1", points_delta=1000, reason="float for the race")
    errors: list[BaseException] = []

    def spend() -> None:
        for _ in range(30):
            try:
                ledger.redeem_reward(CASHIER, "C-1", "mug")
            except Refused as refusal:
                assert refusal.reason == Reason.INSUFFICIENT_POINTS
            except BaseException as error:  # surfaced by the main thread
                errors.append(error)

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    card = ledger.find_card("C-1")
    assert card is not None and card.points_balance == 20  # 1020 points: 20 rewards of 50, 20 left over
    history = ledger.card_history("C-1", limit=1000)
    assert sum(tx.type == T.POINTS_REDEEMED for tx in history) == 20
    seqs = [tx.seq for tx in history]
    assert len(seqs) == len(set(seqs))
    assert non_rejected_sums(ledger_path)["C-1"] == (0, card.points_balance)
    assert stored_vs_recomputed(ledger_path) == []


def test_verbs_and_a_sync_thread_interleave_without_losing_anything(
    ledger: Ledger, ledger_path: Path
) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    recorded_one: queue.Queue[bool] = queue.Queue()  # True: a verb was recorded; False: the last
    errors: list[BaseException] = []

    def push_pending() -> None:
        sent = ledger.pending_transactions(7)
        server_card = CardState(card_number="C-1", stamp_count=0, points_balance=0, is_active=True)
        ledger.apply_push_results(
            sent, [PushResult(id=str(tx.id), status=TxStatus.ACCEPTED, card=server_card) for tx in sent]
        )

    def sync_as_verbs_come() -> None:
        try:
            while recorded_one.get(timeout=30):
                push_pending()
            while ledger.pending_summary().count:
                push_pending()
        except BaseException as error:  # surfaced by the main thread
            errors.append(error)

    syncer = threading.Thread(target=sync_as_verbs_come)
    syncer.start()
    recorded = []
    for _ in range(60):
        recorded.append(ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=100, order_reference=None))
        recorded_one.put(True)
    recorded_one.put(False)
    syncer.join(timeout=60)
    assert not syncer.is_alive() and errors == []
    states = {tx.id: tx.sync_state for tx in ledger.card_history("C-1", limit=1000)}
    assert all(states[r.transaction.id] == "accepted" for r in recorded)
    assert stored_vs_recomputed(ledger_path) == []
