"""The till's guard against an absurd purchase: above a limit, a manager must approve it."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.ledger import ApprovalNeeded, Ledger
from sync.protocol import Role
from tests.ledger.conftest import CASHIER, MANAGER, PIN
from tests.ledger.helpers import counts

DEFAULT_LIMIT = 100_000  # 1,000.00 in the programme's currency, until the till knows its purchases


def purchases(ledger: Ledger, cents: int, count: int) -> None:
    for _ in range(count):
        ledger.earn_points(CASHIER, "C-1", purchase_amount_cents=cents, order_reference=None)


def test_a_till_without_purchases_yet_limits_at_a_thousand(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    limit = ledger.purchase_limit()
    assert (limit.cents, limit.basis) == (DEFAULT_LIMIT, "default")


def test_the_limit_is_a_hundred_times_the_average_purchase_once_there_are_enough(ledger: Ledger) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    purchases(ledger, 350, 15)
    purchases(ledger, 450, 15)

    limit = ledger.purchase_limit()

    assert (limit.cents, limit.basis) == (40_000, "average")


def test_a_limit_set_for_the_till_wins(ledger: Ledger) -> None:
    assert ledger.purchase_limit(configured_cents=25_000).cents == 25_000
    assert ledger.purchase_limit(configured_cents=25_000).basis == "setting"


def test_a_purchase_above_the_limit_needs_a_managers_approval_and_nothing_is_written_before(
    ledger: Ledger, ledger_path: Path
) -> None:
    ledger.enrol_card(CASHIER, "C-1")
    before = counts(ledger_path)

    with pytest.raises(ApprovalNeeded) as caught:
        ledger.earn_points(
            CASHIER, "C-1", purchase_amount_cents=999_999_900, order_reference=None, limit_cents=DEFAULT_LIMIT
        )
    assert caught.value.limit_cents == DEFAULT_LIMIT
    assert counts(ledger_path) == before
    with pytest.raises(ApprovalNeeded):  # a cashier's own name is no approval
        ledger.earn_points(
            CASHIER,
            "C-1",
            purchase_amount_cents=999_999_900,
            order_reference=None,
            limit_cents=DEFAULT_LIMIT,
            approved_by=CASHIER,
        )

    approver = ledger.approve(CASHIER, MANAGER.id, PIN, at_least=Role.STORE_MANAGER)
    recorded = ledger.earn_points(
        CASHIER,
        "C-1",
        purchase_amount_cents=999_999_900,
        order_reference=None,
        limit_cents=DEFAULT_LIMIT,
        approved_by=approver,
    )
    assert recorded.transaction.points_delta == 99_999_990
    assert ledger.earn_points(
        CASHIER, "C-1", purchase_amount_cents=DEFAULT_LIMIT, order_reference=None, limit_cents=DEFAULT_LIMIT
    ).transaction.purchase_amount_cents == DEFAULT_LIMIT  # at the limit itself: no question
