"""Property tests: no sequence of verbs and sync answers breaks the ledger's invariants."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.ledger import Ledger, LedgerError, Recorded, open_ledger
from sync import rules
from sync.protocol import CardState, PushResult, Reason, Tx, TxStatus
from tests.ledger.conftest import CASHIER, MANAGER, OWNER, FakeClock, seed
from tests.ledger.helpers import counts, non_rejected_sums, stored_vs_recomputed

CARDS = ["P-1", "P-2", "P-3"]

card = st.sampled_from(CARDS)
verb = st.one_of(
    st.tuples(st.just("enrol"), card),
    st.tuples(st.just("stamp"), card),
    st.tuples(st.just("redeem_stamps"), card),
    st.tuples(st.just("earn"), card, st.integers(0, 3000), st.sampled_from([None, "o-1", "o-2"])),
    st.tuples(st.just("reward"), card),
    st.tuples(st.just("void"), st.integers(0, 20), st.none() | st.integers(-5, 150)),
    st.tuples(st.just("adjust"), card, st.integers(-8, 8), st.integers(-300, 300)),
    st.tuples(st.just("deactivate"), card),
    st.tuples(st.just("reactivate"), card),
    st.tuples(st.just("advance"), st.integers(1, 26 * 60)),
)
sync_round = st.tuples(st.just("sync"), st.integers(1, 6), st.lists(st.booleans(), min_size=6, max_size=6))
verb_or_sync = st.one_of(verb, sync_round)


class FakeServer:
    """Just enough of a server for one till: its card state is the sum of what it accepted."""

    def __init__(self) -> None:
        self.cards: dict[str, rules.CardState] = {}

    def answer(self, tx: Tx, *, refuse: bool) -> PushResult:
        state = self.cards.get(tx.card_number)
        if not refuse and (state is None) == (tx.type == rules.T.CARD_CREATED):
            after = rules.apply(tx, state)
            if after.stamp_count >= 0 and after.points_balance >= 0:
                self.cards[tx.card_number] = state = after
                return PushResult(id=str(tx.id), status=TxStatus.ACCEPTED, card=self._out(state))
        reason = Reason.UNKNOWN_STAFF if refuse else Reason.INSUFFICIENT_POINTS
        return PushResult(id=str(tx.id), status=TxStatus.REJECTED, reason=reason, card=self._out(state))

    @staticmethod
    def _out(state: rules.CardState | None) -> CardState | None:
        if state is None:
            return None
        fields = state._asdict()
        fields.pop("welcome_bonus_granted")
        return CardState(**fields)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A migrated, seeded ledger file copied for each example (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    ledger = open_ledger(path, clock=FakeClock())
    seed(ledger)
    ledger.close()
    yield path


def perform(
    ledger: Ledger, server: FakeServer, clock: FakeClock, op: tuple[Any, ...], earned: list[str]
) -> None:
    kind = op[0]
    if kind == "advance":
        clock.advance(minutes=op[1])
        return
    if kind == "sync":
        sent = ledger.pending_transactions(op[1])
        if sent:
            ledger.apply_push_results(sent, [server.answer(tx, refuse=op[2][i]) for i, tx in enumerate(sent)])
        return
    recorded = _verb(ledger, op, earned)
    if recorded.transaction.remaining_voidable:
        earned.append(recorded.transaction.id)


def _verb(ledger: Ledger, op: tuple[Any, ...], earned: list[str]) -> Recorded:
    kind, *args = op
    if kind == "enrol":
        return ledger.enrol_card(CASHIER, args[0])
    if kind == "stamp":
        return ledger.add_stamp(CASHIER, args[0])
    if kind == "redeem_stamps":
        return ledger.redeem_stamps(CASHIER, args[0])
    if kind == "earn":
        return ledger.earn_points(CASHIER, args[0], purchase_amount_cents=args[1], order_reference=args[2])
    if kind == "reward":
        return ledger.redeem_reward(CASHIER, args[0], "mug")
    if kind == "void":
        target = earned[args[0] % len(earned)] if earned else "00000000-0000-4000-8000-000000000000"
        return ledger.void(MANAGER, target, points=args[1])
    if kind == "adjust":
        return ledger.adjust(OWNER, args[0], stamps_delta=args[1], points_delta=args[2], reason="property")
    if kind == "deactivate":
        return ledger.deactivate(MANAGER, args[0])
    return ledger.reactivate(MANAGER, args[0])


def rejected_cards(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {
            row[0]
            for row in conn.execute("SELECT card_number FROM transactions WHERE sync_state = 'rejected'")
        }
    finally:
        conn.close()


def check_invariants(ledger: Ledger, path: Path) -> None:
    assert stored_vs_recomputed(path) == []
    sums = non_rejected_sums(path)
    for number in CARDS:
        view = ledger.find_card(number)
        if view is None:
            continue
        assert view.confirmed_stamp_count >= 0 and view.confirmed_points_balance >= 0
        if view.stamp_count < 0 or view.points_balance < 0:
            # Only a rejection can do that: pending spends that relied on what the server refused.
            assert number in rejected_cards(path)
        # A single till from enrolment: the view is the sum of its non-rejected transactions.
        assert (view.stamp_count, view.points_balance) == sums.get(number, (0, 0))


def run_ops(template: Path, ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.db"
        shutil.copyfile(template, path)
        clock = FakeClock()
        ledger = open_ledger(path, clock=clock)
        server, earned = FakeServer(), []
        try:
            for op in [("enrol", "P-1"), ("enrol", "P-2"), *ops]:
                before = counts(path)
                try:
                    perform(ledger, server, clock, op, earned)
                except LedgerError:
                    assert counts(path) == before, f"{op} was refused but changed the ledger"
                else:
                    transactions, _cards, last_seq = counts(path)
                    assert last_seq >= transactions  # seq counter never behind the rows
                check_invariants(ledger, path)
        finally:
            ledger.close()


PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(ops=st.lists(verb, min_size=5, max_size=40))
def test_no_sequence_of_verbs_makes_a_balance_negative(template: Path, ops: list[tuple[Any, ...]]) -> None:
    run_ops(template, ops)  # check_invariants: a negative view needs a rejection, and there is none


@PROPERTY_SETTINGS
@given(ops=st.lists(verb_or_sync, min_size=5, max_size=40))
def test_verbs_and_sync_answers_keep_the_view_equal_to_confirmed_plus_pending(
    template: Path, ops: list[tuple[Any, ...]]
) -> None:
    run_ops(template, ops)
