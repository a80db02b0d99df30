"""The rules skip, per type, the checks that cannot refuse it: the answer is always the full table's."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync import rules
from sync.protocol import ProgramType, Reason, Role, TransactionType, Tx
from tests.sync.test_rules import PROGRAM
from tests.sync.test_rules import tx as make_tx

T = TransactionType
ORIGINAL_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def full_table(tx: Tx, facts: rules.Facts) -> Reason | None:
    """Every check in table order, none skipped."""
    for check in rules._CHECKS:
        reason = check(tx, facts)
        if reason is not None:
            return reason
    return None


deltas = st.sampled_from([-100_001, -100, -10, -5, -1, 0, 1, 2, 5, 50, 100, 100_001])
OWNER = rules.StaffMember(id=1, role=Role.MERCHANT_OWNER, store_id=None)
CARD = rules.CardState(card_number="C-1", stamp_count=12, points_balance=300)
# Per type, the deltas (stamps, points) and fields of a transaction the rules accept.
VALID: dict[TransactionType, dict[str, Any]] = {
    T.STAMP_EARNED: {"stamps_delta": 1},
    T.STAMP_REDEEMED: {"stamps_delta": -10},
    T.STAMP_VOIDED: {"stamps_delta": -1, "related_transaction_id": ORIGINAL_ID},
    T.POINTS_EARNED: {"points_delta": 24, "purchase_amount_cents": 1234, "order_reference": "o-1"},
    T.POINTS_REDEEMED: {"points_delta": -100, "reward_id": "coffee"},
    T.POINTS_VOIDED: {"points_delta": -10, "related_transaction_id": ORIGINAL_ID},
    T.STAMP_ADJUSTMENT: {"stamps_delta": -5, "notes": "why"},
    T.POINTS_ADJUSTMENT: {"points_delta": -5, "notes": "why"},
    T.CARD_CREATED: {},
    T.CARD_DEACTIVATED: {},
    T.CARD_REACTIVATED: {},
    T.WELCOME_BONUS: {"points_delta": 50},
    T.POINTS_EXPIRED: {"points_delta": -10},
}
ORIGINAL_OF = {T.STAMP_VOIDED: T.STAMP_EARNED, T.POINTS_VOIDED: T.POINTS_EARNED}


TX_BREAKS: dict[str, st.SearchStrategy[Any]] = {
    "stamps_delta": deltas,
    "points_delta": deltas,
    "purchase_amount_cents": st.sampled_from([None, 0, 499, 500, 1234]),
    "order_reference": st.sampled_from([None, "o-2"]),
    "reward_id": st.sampled_from([None, "tea", "coffee"]),
    "related_transaction_id": st.sampled_from([None, uuid.UUID(int=7)]),
    "notes": st.sampled_from([None, "", " "]),
    "staff_id": st.just(2),
}
FACT_BREAKS: dict[str, st.SearchStrategy[Any]] = {
    "card": st.sampled_from(
        [
            None,
            rules.CardState("C-1", is_active=False, stamp_count=12, points_balance=300),
            rules.CardState("C-1", stamp_count=0, points_balance=0),
            rules.CardState("C-1", stamp_count=12, points_balance=300, welcome_bonus_granted=True),
            rules.CardState("C-1", stamp_count=-1, points_balance=-5),
        ]
    ),
    "staff": st.sampled_from(
        [
            None,
            rules.StaffMember(id=1, role=Role.STAFF, store_id=7),
            rules.StaffMember(id=1, role=Role.STORE_MANAGER, store_id=7),
            rules.StaffMember(id=1, role=Role.MERCHANT_OWNER, store_id=8),
            rules.StaffMember(id=1, role=Role.MERCHANT_OWNER, store_id=None, is_active=False),
        ]
    ),
    "program": st.sampled_from(list(ProgramType)).map(lambda kind: PROGRAM.model_copy(update={"type": kind})),
    "card_number_taken": st.just(True),
    "order_reference_used": st.just(True),
    "stamps_earned_that_day": st.sampled_from([2, 3, 4]),
    "original": st.sampled_from(
        [
            None,
            {"card_number": "C-2"},
            {"type": T.POINTS_REDEEMED},
            {"type": T.STAMP_EARNED},
            {"type": T.POINTS_EARNED},
            {"accepted": False},
            {"voided_so_far": 35},
            {"voided_so_far": 40},
        ]
    ),
    "made_by_server": st.booleans(),
}


@st.composite
def cases(draw: st.DrawFn) -> tuple[Tx, rules.Facts]:
    """A transaction and facts the rules accept, with up to three things broken."""
    kind = draw(st.sampled_from(list(T)))
    broken = draw(st.sets(st.sampled_from([*TX_BREAKS, *FACT_BREAKS]), max_size=3))
    fields: dict[str, Any] = {"stamps_delta": 0, "points_delta": 0, **VALID[kind]}
    fields.update({name: draw(TX_BREAKS[name]) for name in broken if name in TX_BREAKS})
    tx = make_tx(kind, **fields)
    facts = valid_facts(kind)._asdict()
    for name in broken & FACT_BREAKS.keys():
        value = draw(FACT_BREAKS[name])
        if name == "original" and value is not None:
            value = replace(
                facts["original"] or rules.Original("C-1", T.POINTS_EARNED, True, 0, 40, 0), **value
            )
        facts[name] = value
    return tx, rules.Facts(**facts)


def valid_facts(kind: TransactionType) -> rules.Facts:
    original = None
    if kind in ORIGINAL_OF:
        stamps = ORIGINAL_OF[kind] == T.STAMP_EARNED
        original = rules.Original("C-1", ORIGINAL_OF[kind], True, int(stamps), 0 if stamps else 40, 0)
    return rules.Facts(
        program=PROGRAM,
        store_id=7,
        card=None if kind == T.CARD_CREATED else CARD._replace(is_active=kind != T.CARD_REACTIVATED),
        staff=OWNER,
        original=original,
        made_by_server=kind == T.POINTS_EXPIRED,
    )


@settings(max_examples=1500, deadline=None)
@given(case=cases())
def test_the_pruned_checks_answer_exactly_as_the_full_table(case: tuple[Tx, rules.Facts]) -> None:
    tx, facts = case
    assert rules.evaluate(tx, facts).reason == full_table(tx, facts)


def test_a_valid_transaction_of_every_type_is_accepted() -> None:
    """The generator's starting point: with nothing broken, every type is accepted."""
    for kind, fields in VALID.items():
        tx = make_tx(kind, **{"stamps_delta": 0, "points_delta": 0, **fields})
        assert rules.evaluate(tx, valid_facts(kind)).reason is None, kind


def test_every_type_keeps_the_checks_every_type_needs_in_table_order() -> None:
    for kind, checks in rules._CHECKS_BY_TYPE.items():
        specifics = rules._SPECIFICS.values()
        general = [rules._check_specifics if check in specifics else check for check in checks]
        positions = [rules._CHECKS.index(check) for check in general]
        assert positions == sorted(positions), kind
        assert rules._check_card in general and rules._check_delta in general, kind
