"""Each till verb as a plan of steps for operations.record (enrol, stamps, points, rewards, voids...)."""

from __future__ import annotations

import logging
import uuid

from pydantic import ValidationError

from desktop.input_checks import contact_problem
from desktop.ledger.context import Context
from desktop.ledger.errors import ApprovalNeeded, InvalidInput, NotFound, Refused
from desktop.ledger.models import REJECTED
from desktop.ledger.operations import (
    CUSTOMER_MESSAGE,
    UNKNOWN_REWARD_COST,
    VOID_OF,
    Step,
    Work,
    find_original,
    order_reference_used,
    record,
    stamps_earned_on_day,
    transaction_key,
    voided_so_far,
)
from desktop.ledger.queries import card_of_transaction
from desktop.ledger.views import Recorded, StaffView
from sync import rules
from sync.protocol import Customer, Reason, Role, TransactionType

log = logging.getLogger(__name__)
T = TransactionType


def _clean(text: str | None) -> str | None:
    """Blank text typed by a cashier means 'none'."""
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def enrol_card(
    ctx: Context,
    staff: StaffView,
    card_number: str,
    *,
    customer_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Recorded:
    name, mail, tel = _clean(customer_name), _clean(email), _clean(phone)

    def plan(work: Work, card: rules.CardState | None) -> list[Step]:
        customer = _customer(name, mail, tel)
        steps = [Step(T.CARD_CREATED, {"customer": customer} if customer else {})]
        bonus = work.program.welcome_bonus_points
        if work.program.has_points and bonus > 0:
            steps.append(Step(T.WELCOME_BONUS, {"points_delta": bonus}))
        return steps

    return record(ctx, staff, card_number.strip(), plan)


def _customer(name: str | None, email: str | None, phone: str | None) -> Customer | None:
    if not (name or email or phone):
        return None
    problem = contact_problem(email, phone)
    if problem:
        raise InvalidInput(problem)
    try:
        return Customer(name=name, email=email, phone=phone)
    except ValidationError:
        raise InvalidInput(CUSTOMER_MESSAGE) from None


def add_stamp(ctx: Context, staff: StaffView, card_number: str) -> Recorded:
    number = card_number.strip()

    def plan(work: Work, card: rules.CardState | None) -> list[Step]:
        earned = 0
        if work.program.max_daily_stamps is not None and card is not None:
            earned = stamps_earned_on_day(work, number)
        return [Step(T.STAMP_EARNED, {"stamps_delta": 1}, {"stamps_earned_that_day": earned})]

    return record(ctx, staff, number, plan)


def redeem_stamps(
    ctx: Context, staff: StaffView, card_number: str, *, approved_by: StaffView | None = None
) -> Recorded:
    """A stamp card's reward; offline beyond the allowance only as operations._spend allows."""

    def plan(work: Work, card: rules.CardState | None) -> list[Step]:
        return [
            Step(T.STAMP_REDEEMED, {"stamps_delta": -work.program.stamps_target}, approved_by=approved_by)
        ]

    return record(ctx, staff, card_number.strip(), plan)


def earn_points(
    ctx: Context,
    staff: StaffView,
    card_number: str,
    *,
    purchase_amount_cents: int,
    order_reference: str | None,
    limit_cents: int | None = None,
    approved_by: StaffView | None = None,
) -> Recorded:
    """Points for a purchase; above `limit_cents` only with a manager's approval (ApprovalNeeded)."""
    reference = _clean(order_reference)
    if limit_cents is not None and purchase_amount_cents > limit_cents:
        if approved_by is None or not approved_by.role.at_least(Role.STORE_MANAGER):
            raise ApprovalNeeded(purchase_amount_cents, limit_cents)
        log.info("purchase above the till's limit approved by staff %s", approved_by.id)

    def plan(work: Work, card: rules.CardState | None) -> list[Step]:
        points = rules.points_for_purchase(work.program, max(purchase_amount_cents, 0))
        fields = {
            "points_delta": points,
            "purchase_amount_cents": purchase_amount_cents,
            "order_reference": reference,
        }
        used = order_reference_used(work, reference)
        return [Step(T.POINTS_EARNED, fields, {"order_reference_used": used})]

    return record(ctx, staff, card_number.strip(), plan)


def redeem_reward(
    ctx: Context, staff: StaffView, card_number: str, reward_id: str, *, approved_by: StaffView | None = None
) -> Recorded:
    """A points reward; offline beyond the allowance only as operations._spend allows."""

    def plan(work: Work, card: rules.CardState | None) -> list[Step]:
        reward = work.program.reward(reward_id)
        cost = reward.points_cost if reward is not None else UNKNOWN_REWARD_COST
        fields = {"points_delta": -cost, "reward_id": reward_id}
        name = reward.name if reward else None
        return [Step(T.POINTS_REDEEMED, fields, reward_description=name, approved_by=approved_by)]

    return record(ctx, staff, card_number.strip(), plan)


def void(ctx: Context, staff: StaffView, transaction_id: str, *, points: int | None = None) -> Recorded:
    """Void a stamp (always 1) or points (the rest of the purchase by default, or `points`)."""
    original_id = transaction_key(transaction_id)
    found = card_of_transaction(ctx, original_id) if original_id else None
    if original_id is None or found is None:
        raise NotFound()

    def plan(work: Work, card: rules.CardState | None) -> list[Step]:
        original = find_original(work.cursor, original_id)
        assert original is not None  # rows are never deleted
        kind = VOID_OF.get(TransactionType(original["type"]))
        if kind is None:
            raise Refused(Reason.UNKNOWN_RELATED_TRANSACTION)
        voided = voided_so_far(work.cursor, original_id)
        fact = rules.Original(
            card_number=original["card_number"],
            type=TransactionType(original["type"]),
            accepted=original["sync_state"] != REJECTED,
            stamps_delta=original["stamps_delta"],
            points_delta=original["points_delta"],
            voided_so_far=voided,
        )
        fields: dict[str, object] = {"related_transaction_id": uuid.UUID(original_id)}
        if kind == T.STAMP_VOIDED:
            fields["stamps_delta"] = -1
        else:
            rest = fact.amount - voided
            fields["points_delta"] = -(points if points is not None else rest if rest > 0 else fact.amount)
        return [Step(kind, fields, {"original": fact})]

    return record(ctx, staff, found, plan)


def adjust(
    ctx: Context,
    staff: StaffView,
    card_number: str,
    *,
    stamps_delta: int = 0,
    points_delta: int = 0,
    reason: str,
) -> Recorded:
    """Correct a balance (merchant owner only); both fields at once record two transactions."""
    notes = reason.strip()

    def plan(work: Work, card: rules.CardState | None) -> list[Step]:
        steps = []
        if stamps_delta != 0:
            steps.append(Step(T.STAMP_ADJUSTMENT, {"stamps_delta": stamps_delta, "notes": notes}))
        if points_delta != 0 or not steps:
            steps.append(Step(T.POINTS_ADJUSTMENT, {"points_delta": points_delta, "notes": notes}))
        return steps

    return record(ctx, staff, card_number.strip(), plan)


def deactivate(ctx: Context, staff: StaffView, card_number: str) -> Recorded:
    return record(ctx, staff, card_number.strip(), lambda work, card: [Step(T.CARD_DEACTIVATED)])


def reactivate(ctx: Context, staff: StaffView, card_number: str) -> Recorded:
    return record(ctx, staff, card_number.strip(), lambda work, card: [Step(T.CARD_REACTIVATED)])
