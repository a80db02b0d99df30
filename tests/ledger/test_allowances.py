"""The till's side of offline spending allowances (docs/allowances.md): what a redemption is at this
till (covered, online, at risk), what is left of an allowance, and the write lock around spending."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from desktop.ledger import AtRiskForbidden, AtRiskNeedsApproval, Ledger, Refused
from sync.protocol import AllowanceOut, AllowanceResponse, Program, Reason, TransactionType, Tx
from tests.ledger.conftest import CASHIER, MANAGER, OWNER, FakeClock, make_program
from tests.ledger.test_outbox import accept, reject

T = TransactionType
ALLOWING = make_program(allowance_points=120, allowance_stamps=5)
CARD = "C-1"


def grant(
    ledger: Ledger,
    clock: FakeClock,
    *,
    points: int = 120,
    stamps: int = 5,
    hours: float = 12,
    stored_seq: int | None = None,
    allowance_id: str | None = None,
    card: str = CARD,
) -> str:
    """The server's answer to POST /v1/sync/allowances, applied: one allowance on `card`."""
    ident = allowance_id or str(uuid.uuid4())
    answer = AllowanceResponse(
        allowances=[
            AllowanceOut(
                id=ident,
                card_number=card,
                points=points,
                stamps=stamps,
                valid_until=clock.now + timedelta(hours=hours),
            )
        ],
        server_time=clock.now,
        stored_seq=stored_seq,
    )
    ledger.apply_allowances(answer)
    return ident


def confirm_all(ledger: Ledger, points: int = 500, stamps: int = 10) -> None:
    """Everything pending accepted by the server, the card confirmed at these figures."""
    sent = ledger.pending_transactions(100)
    ledger.apply_push_results(sent, [accept(tx, stamps, points) for tx in sent])


def last_pending(ledger: Ledger) -> Tx:
    return ledger.pending_transactions(1000)[-1]


def offline(ledger: Ledger, clock: FakeClock) -> None:
    ledger.record_sync(at=clock.now, succeeded=False, message="Cannot reach the server.")


def online(ledger: Ledger, clock: FakeClock) -> None:
    ledger.record_sync(at=clock.now, succeeded=True)


@pytest.fixture
def allowing(open_seeded: Callable[..., Ledger], clock: FakeClock) -> Ledger:
    """A ledger whose programme grants allowances, a card with 500 points and 10 stamps confirmed,
    and the till offline (its last sync failed)."""
    ledger = open_seeded(ALLOWING)
    ledger.enrol_card(CASHIER, CARD)
    confirm_all(ledger)
    offline(ledger, clock)
    return ledger


def test_a_redemption_within_the_allowance_is_covered_and_cites_it(
    allowing: Ledger, clock: FakeClock
) -> None:
    ident = grant(allowing, clock, stored_seq=2)  # the card's enrolment (seqs 1 and 2) counted
    cover = allowing.coverage(CARD)
    assert (cover.allowance_id, cover.points, cover.stamps, cover.online) == (ident, 120, 5, False)
    assert cover.valid_until == clock.now + timedelta(hours=12)
    assert cover.kind(points=50) == "covered" and cover.kind(points=121) == "at_risk"

    allowing.redeem_reward(CASHIER, CARD, "mug")  # 50 points, no PIN asked
    allowing.redeem_stamps(CASHIER, CARD)  # 5 stamps

    sent = allowing.pending_transactions(10)
    assert [(tx.type, str(tx.allowance_id)) for tx in sent] == [
        (T.POINTS_REDEEMED, ident),
        (T.STAMP_REDEEMED, ident),
    ]
    left = allowing.coverage(CARD)
    assert (left.points, left.stamps) == (70, 0)
    assert allowing.sync_status().pending_covered == 2 and allowing.sync_status().pending_at_risk == 0


def test_beyond_the_allowance_offline_a_manager_approves_or_nothing_is_recorded(
    allowing: Ledger, clock: FakeClock
) -> None:
    grant(allowing, clock, points=60, stamps=0, stored_seq=2)
    allowing.redeem_reward(CASHIER, CARD, "mug")  # covered: 10 left
    with pytest.raises(AtRiskNeedsApproval):
        allowing.redeem_reward(CASHIER, CARD, "mug")
    with pytest.raises(AtRiskNeedsApproval):
        allowing.redeem_reward(CASHIER, CARD, "mug", approved_by=CASHIER)  # a cashier cannot approve
    with pytest.raises(AtRiskNeedsApproval):
        allowing.redeem_stamps(CASHIER, CARD)  # no stamps in the allowance
    assert len(allowing.pending_transactions(10)) == 1, "nothing recorded without the approval"

    allowing.redeem_reward(CASHIER, CARD, "mug", approved_by=MANAGER)
    allowing.redeem_stamps(CASHIER, CARD, approved_by=OWNER)
    at_risk = allowing.pending_transactions(10)[1:]
    assert [tx.allowance_id for tx in at_risk] == [None, None]
    status = allowing.sync_status()
    assert (status.pending_covered, status.pending_at_risk) == (1, 2)


def test_a_programme_that_forbids_at_risk_redemptions_refuses_them_offline_only(
    open_seeded: Callable[..., Ledger], clock: FakeClock
) -> None:
    ledger = open_seeded(make_program(allowance_points=120, at_risk_redemptions=False))
    ledger.enrol_card(CASHIER, CARD)
    confirm_all(ledger)
    offline(ledger, clock)
    with pytest.raises(AtRiskForbidden):
        ledger.redeem_reward(CASHIER, CARD, "mug", approved_by=MANAGER)
    assert ledger.pending_transactions(10) == []
    grant(ledger, clock, points=50, stamps=0, stored_seq=2)
    ledger.redeem_reward(CASHIER, CARD, "mug")  # covered: allowed
    online(ledger, clock)
    ledger.redeem_reward(CASHIER, CARD, "mug")  # online: sent at once, judged by the server
    assert [tx.allowance_id is not None for tx in ledger.pending_transactions(10)] == [True, False]


def test_online_a_redemption_beyond_the_allowance_needs_no_pin_until_the_till_has_been_quiet(
    allowing: Ledger, clock: FakeClock
) -> None:
    online(allowing, clock)
    assert allowing.coverage(CARD).kind(points=50) == "online"
    allowing.redeem_reward(CASHIER, CARD, "mug")
    clock.advance(minutes=4)  # no sync for longer than the online window: the line may be down
    assert allowing.coverage(CARD).kind(points=50) == "at_risk"
    with pytest.raises(AtRiskNeedsApproval):
        allowing.redeem_reward(CASHIER, CARD, "mug")


def test_a_programme_without_allowances_redeems_offline_as_before(
    open_seeded: Callable[..., Ledger], clock: FakeClock
) -> None:
    ledger = open_seeded()
    ledger.enrol_card(CASHIER, CARD)
    confirm_all(ledger)
    offline(ledger, clock)
    assert ledger.coverage(CARD).kind(points=50) == "off"
    ledger.redeem_reward(CASHIER, CARD, "mug")
    assert ledger.pending_transactions(10)[0].allowance_id is None


def test_an_allowance_covers_only_before_its_end_by_the_tills_clock(
    allowing: Ledger, clock: FakeClock
) -> None:
    grant(allowing, clock, hours=1, stored_seq=2)
    clock.advance(minutes=59, seconds=59)
    assert allowing.coverage(CARD).kind(points=50) == "covered"
    clock.advance(seconds=1)
    cover = allowing.coverage(CARD)
    assert (cover.allowance_id, cover.points, cover.kind(points=50)) == (None, 0, "at_risk")
    with pytest.raises(AtRiskNeedsApproval):
        allowing.redeem_reward(CASHIER, CARD, "mug")


def test_what_is_left_counts_only_the_spends_the_server_had_not_counted(
    allowing: Ledger, clock: FakeClock
) -> None:
    ident = grant(allowing, clock, stored_seq=2)
    allowing.redeem_reward(CASHIER, CARD, "mug")  # seq 3: after what the server had stored
    assert allowing.coverage(CARD).points == 70
    confirm_all(allowing, points=450)  # accepted: still not in the server's last answer
    assert allowing.coverage(CARD).points == 70, "an accepted spend stays off until the server counts it"
    grant(allowing, clock, points=70, stored_seq=3, allowance_id=ident)  # the server counted it
    assert allowing.coverage(CARD).points == 70
    allowing.redeem_reward(CASHIER, CARD, "mug")  # seq 4
    [spend] = allowing.pending_transactions(10)
    allowing.apply_push_results([spend], [reject(spend, Reason.CARD_INACTIVE, None)])
    assert allowing.coverage(CARD).points == 70, "a rejected spend takes nothing from the allowance"


def test_an_at_risk_take_the_server_had_not_counted_counts_against_the_allowance(
    allowing: Ledger, clock: FakeClock
) -> None:
    """The server takes an uncited redemption from the till's own allowance when the rest of the
    card cannot pay for it: until it has counted one, the till must not spend that part again."""
    allowing.redeem_reward(CASHIER, CARD, "mug", approved_by=MANAGER)  # seq 3: at risk, no allowance
    allowing.earn_points(
        CASHIER, CARD, purchase_amount_cents=1000, order_reference="r1"
    )  # seq 4: earning takes nothing
    grant(allowing, clock, stored_seq=2)  # asked before seq 3 reached the server
    assert allowing.coverage(CARD).points == 70
    [at_risk, _] = allowing.pending_transactions(10)
    allowing.apply_push_results([at_risk], [reject(at_risk, Reason.INSUFFICIENT_POINTS, None)])
    assert allowing.coverage(CARD).points == 120, "a refused take took nothing"


def test_a_new_answer_replaces_every_allowance_the_till_held(allowing: Ledger, clock: FakeClock) -> None:
    grant(allowing, clock, stored_seq=2)
    grant(allowing, clock, points=10, stamps=0, stored_seq=2, card="C-2")
    assert allowing.coverage(CARD).allowance_id is None, "released: not in the answer"
    allowing.apply_allowances(AllowanceResponse(allowances=[], server_time=clock.now, stored_seq=2))
    assert allowing.coverage("C-2").allowance_id is None
    assert allowing.coverage(CARD).allowances_on, "the programme still grants them"


def test_the_request_reads_the_clock_before_the_highest_seq_recorded(
    allowing: Ledger, clock: FakeClock
) -> None:
    request = allowing.allowance_request()
    assert request is not None
    assert (request.recorded_seq, request.till_time) == (2, clock.now)


def test_a_till_asks_for_nothing_when_the_programme_grants_none_and_it_holds_none(
    open_seeded: Callable[..., Ledger], clock: FakeClock
) -> None:
    ledger = open_seeded()
    assert ledger.allowance_request() is None
    grant(ledger, clock, stored_seq=0)  # allowances held from before the programme changed
    request = ledger.allowance_request()
    assert request is not None and request.recorded_seq is None


def test_concurrent_redemptions_never_both_spend_one_remainder(
    open_seeded: Callable[..., Ledger], clock: FakeClock
) -> None:
    """Two threads (and two connections) at one till, released together, ten rounds: of two
    redemptions that each fit the remainder but not both, exactly one is covered."""
    ledger = open_seeded(ALLOWING)
    other = open_seeded(ALLOWING)  # a second Ledger on the same file, as a second process would
    ledger.enrol_card(CASHIER, CARD)
    confirm_all(ledger, points=5000)
    offline(ledger, clock)
    for round_ in range(10):
        request = ledger.allowance_request()
        assert request is not None
        grant(ledger, clock, points=50, stamps=0, stored_seq=request.recorded_seq)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def redeem(till: Ledger, barrier: threading.Barrier, outcomes: list[str]) -> None:
            barrier.wait()
            try:
                till.redeem_reward(CASHIER, CARD, "mug")
                outcomes.append("covered")
            except AtRiskNeedsApproval:
                outcomes.append("at risk")

        threads = [
            threading.Thread(target=redeem, args=(till, barrier, outcomes)) for till in (ledger, other)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["at risk", "covered"], f"round {round_}: {outcomes}"
    cited = [tx for tx in ledger.pending_transactions(100) if tx.allowance_id is not None]
    assert len(cited) == 10


def test_a_refused_redemption_asks_for_no_pin(allowing: Ledger, clock: FakeClock) -> None:
    """The rules first: a card that cannot pay is refused before any approval is asked."""
    with pytest.raises(Refused):
        allowing.redeem_reward(CASHIER, CARD, "no-such-reward")
    allowing.deactivate(MANAGER, CARD)
    with pytest.raises(Refused):
        allowing.redeem_reward(CASHIER, CARD, "mug")


def test_programme_fields_default_to_no_allowances() -> None:
    program: Program = make_program()
    assert (program.allowance_points, program.allowance_stamps, program.at_risk_redemptions) == (0, 0, True)
