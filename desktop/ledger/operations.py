"""The till's verbs: each is judged by sync.rules against the card's view and committed before it returns."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uuid6
from pydantic import ValidationError
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desktop.ledger.allowances import coverage_in
from desktop.ledger.cardstate import SELECT_CARD, UPDATE_VIEW, card_view, view_state
from desktop.ledger.context import BUMP_SEQ, Context, TillConfig, store_day_bounds
from desktop.ledger.errors import (
    AtRiskForbidden,
    AtRiskNeedsApproval,
    InvalidInput,
    NoProgram,
    NotEnrolled,
    Refused,
)
from desktop.ledger.models import PENDING, REJECTED, RowLike, cards, transactions
from desktop.ledger.rawsql import RawStatement
from desktop.ledger.views import Recorded, StaffView
from desktop.ledger.wire import transaction_view
from sync import rules
from sync.ports import DeviceIdentity
from sync.protocol import Program, Role, TransactionType, Tx

log = logging.getLogger(__name__)
T = TransactionType

SELECT_TX = select(transactions).where(transactions.c.id == bindparam("id"))
# Raw (driver-level) forms of the statements a verb runs; see rawsql for why.
RAW_BUMP_SEQ = RawStatement(BUMP_SEQ)
RAW_SELECT_CARD = RawStatement(SELECT_CARD)
RAW_UPDATE_VIEW = RawStatement(UPDATE_VIEW)
RAW_INSERT_TX = RawStatement(insert(transactions))
RAW_SELECT_TX = RawStatement(SELECT_TX)
_enrolled = sqlite_insert(cards)
RAW_ENROL_CARD = RawStatement(
    _enrolled.on_conflict_do_update(
        index_elements=[cards.c.card_number],
        set_={
            **{
                name: _enrolled.excluded[name]
                for name in (
                    "customer_name",
                    "known",
                    "stamp_count",
                    "points_balance",
                    "is_active",
                    "welcome_bonus_granted",
                    "updated_at",
                )
            },
            "pending_count": cards.c.pending_count + _enrolled.excluded.pending_count,
        },
    )
)
RAW_VOIDED_SO_FAR = RawStatement(
    select(func.coalesce(func.sum(func.abs(transactions.c.stamps_delta + transactions.c.points_delta)), 0))
    # Only voids point at another transaction.
    .where(transactions.c.related_transaction_id == bindparam("id"), transactions.c.sync_state != REJECTED)
)
RAW_ORDER_REFERENCE_USED = RawStatement(
    select(transactions.c.id).where(
        transactions.c.order_reference == bindparam("reference"),
        transactions.c.type == T.POINTS_EARNED.value,
        transactions.c.sync_state != REJECTED,
    )
)
RAW_STAMPS_EARNED_BETWEEN = RawStatement(
    select(func.count()).where(
        transactions.c.card_number == bindparam("card_number"),
        transactions.c.type == T.STAMP_EARNED.value,
        transactions.c.sync_state != REJECTED,
        transactions.c.transaction_at >= bindparam("start"),
        transactions.c.transaction_at < bindparam("end"),
    )
)
VOID_OF = {original: void for void, original in rules.VOIDABLE.items()}
# Placeholder cost for a reward the program does not have, so the rules answer unknown_reward
# in their own order (an unknown card or staff member is reported first).
UNKNOWN_REWARD_COST = 1


@dataclass(frozen=True, slots=True)
class Work:
    """One verb's write transaction: the connection, the configuration and the moment."""

    cursor: sqlite3.Cursor
    config: TillConfig
    identity: DeviceIdentity
    program: Program
    now: datetime
    first_seq: int


@dataclass(frozen=True, slots=True)
class Step:
    """One transaction a verb wants to record: its type, its fields, and facts beyond the card."""

    kind: TransactionType
    fields: RowLike = field(default_factory=dict)
    facts: RowLike = field(default_factory=dict)
    reward_description: str | None = None
    # A redemption no allowance covers, offline: the manager who approved it (docs/allowances.md).
    approved_by: StaffView | None = None


Plan = Callable[[Work, rules.CardState | None], list[Step]]


def record(ctx: Context, staff: StaffView, card_number: str, plan: Plan) -> Recorded:
    """Judge the plan's steps in order against the card's view and write them all, or nothing."""
    with ctx.db.raw_write() as cursor:
        work = _start(ctx, cursor)
        row = RAW_SELECT_CARD.first(cursor, {"card_number": card_number})
        state = view_state(row)
        values: list[dict[str, Any]] = []
        for index, step in enumerate(plan(work, state)):
            seq = work.first_seq if index == 0 else RAW_BUMP_SEQ.scalar(cursor)
            tx = _new_tx(work, staff, step, card_number=card_number, seq=seq)
            facts = rules.Facts(
                program=work.program,
                store_id=work.identity.store_id,
                card=state,
                staff=work.config.staff.get(staff.id),
                **step.facts,
            )
            decision = rules.evaluate(tx, facts)
            if decision.reason is not None:
                raise Refused(decision.reason)
            assert decision.card is not None
            if tx.type in rules.REDEMPTION_TYPES:
                tx = _spend(work, tx, step.approved_by)
            state = decision.card
            values.append(_row_values(work, tx, state, step))
        assert state is not None and values, "a plan has at least one step"
        card = _write_card(work, row, state, values)
        RAW_INSERT_TX.run_each(cursor, values)
    return Recorded(transaction=transaction_view(values[-1]), card=card_view(card))


def _spend(work: Work, tx: Tx, approved_by: StaffView | None) -> Tx:
    """A redemption the rules allow, counted against the till's allowance on the card when it fits
    (the Tx then cites it); otherwise, offline, it is at risk: refused when the programme forbids
    that, else only with a manager's approval. Decided under the write lock: two redemptions at
    this till never both spend one remainder."""
    cover = coverage_in(work.cursor, work.program, tx.card_number, work.now)
    kind = cover.kind(points=-tx.points_delta, stamps=-tx.stamps_delta)
    if kind == "covered":
        assert cover.allowance_id is not None
        return tx.model_copy(update={"allowance_id": uuid.UUID(cover.allowance_id)})
    if kind == "at_risk":
        if not cover.at_risk_allowed:
            raise AtRiskForbidden()
        if approved_by is None or not approved_by.role.at_least(Role.STORE_MANAGER):
            raise AtRiskNeedsApproval()
        log.info("a redemption not covered offline approved by staff %s", approved_by.id)
    return tx


def _start(ctx: Context, cursor: sqlite3.Cursor) -> Work:
    bumped = RAW_BUMP_SEQ.first(cursor)
    assert bumped is not None, "the device-state row is made by the first migration"
    config = ctx.config.at_generation(ctx.db, bumped["config_generation"])
    if config.identity is None:
        raise NotEnrolled()
    if config.program is None:
        raise NoProgram()
    now = ctx.now()
    ctx.guard.check(now)
    return Work(cursor, config, config.identity, config.program, now, bumped["last_seq"])


def _new_tx(work: Work, staff: StaffView, step: Step, *, card_number: str, seq: int) -> Tx:
    try:
        return Tx(
            id=uuid6.uuid7(),  # time-ordered (RFC 9562): the server's ledger key grows at its end
            seq=seq,
            type=step.kind,
            card_number=card_number,
            staff_id=staff.id,
            transaction_at=work.now,
            program_version=work.program.version,
            **step.fields,
        )
    except ValidationError as exc:
        raise InvalidInput(_input_message(exc)) from None


CUSTOMER_MESSAGE = "Name up to 200 characters, email up to 254, phone up to 32."
_FIELD_MESSAGES = {
    "card_number": "A card number is 1 to 32 letters, digits or dashes.",
    "order_reference": "An order reference is 1 to 100 characters.",
    "notes": "A reason is at most 1000 characters.",
    "customer": CUSTOMER_MESSAGE,
    "purchase_amount_cents": "The purchase amount must be between 0 and 10,000,000.00.",
    "staff_id": "Log in first.",
    "reward_id": "That reward is not in the programme.",
}


def _input_message(exc: ValidationError) -> str:
    for error in exc.errors():
        location = str(error["loc"][0]) if error["loc"] else ""
        if location in _FIELD_MESSAGES:
            return _FIELD_MESSAGES[location]
    log.debug("verb input refused: %s", exc.errors(include_input=False))
    return "That amount is out of range."


def _row_values(work: Work, tx: Tx, after: rules.CardState, step: Step) -> dict[str, Any]:
    customer = tx.customer
    return {
        "id": str(tx.id),
        "seq": tx.seq,
        "device_id": work.identity.device_id,
        "store_id": work.identity.store_id,
        "type": tx.type.value,
        "card_number": tx.card_number,
        "staff_id": tx.staff_id,
        "stamps_delta": tx.stamps_delta,
        "points_delta": tx.points_delta,
        "stamps_balance_after": after.stamp_count,
        "points_balance_after": after.points_balance,
        "purchase_amount_cents": tx.purchase_amount_cents,
        "order_reference": tx.order_reference,
        "reward_id": tx.reward_id,
        "reward_description": step.reward_description,
        "related_transaction_id": str(tx.related_transaction_id) if tx.related_transaction_id else None,
        "notes": tx.notes,
        "customer_name": customer.name if customer else None,
        "customer_email": customer.email if customer else None,
        "customer_phone": customer.phone if customer else None,
        "program_version": tx.program_version,
        "transaction_at": tx.transaction_at,
        "recorded_at": work.now,
        "sync_state": PENDING,
        "reason": None,
        "synced_at": None,
        "acknowledged": False,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "allowance_id": str(tx.allowance_id) if tx.allowance_id else None,
    }


def _write_card(
    work: Work, row: RowLike | None, state: rules.CardState, values: list[dict[str, Any]]
) -> dict[str, Any]:
    """Store the card's new view; returns the card row as it now is."""
    view = {
        "stamp_count": state.stamp_count,
        "points_balance": state.points_balance,
        "is_active": state.is_active,
        "welcome_bonus_granted": state.welcome_bonus_granted,
        "updated_at": work.now,
    }
    added = len(values)
    if row is not None and row["known"]:
        RAW_UPDATE_VIEW.run(work.cursor, {"key": state.card_number, "added": added, **view})
        return {**row, **view, "pending_count": row["pending_count"] + added}
    # A card enrolled here (new to the till, or once enrolled and rejected by the server).
    name = values[0]["customer_name"]
    fresh = {
        "card_number": state.card_number,
        "customer_name": name,
        "known": True,
        "server_known": False,
        "confirmed_stamp_count": 0,
        "confirmed_points_balance": 0,
        "confirmed_is_active": True,
        "confirmed_welcome_bonus": False,
        "pending_count": added,
        **view,
    }
    RAW_ENROL_CARD.run(work.cursor, fresh)
    return fresh if row is None else {**row, **fresh, "pending_count": row["pending_count"] + added}


def stamps_earned_on_day(work: Work, card_number: str) -> int:
    """Non-rejected stamp_earned of this card on the store-local day of `work.now`."""
    start, end = store_day_bounds(work.now, work.identity.store_timezone)
    params = {"card_number": card_number, "start": start, "end": end}
    return int(RAW_STAMPS_EARNED_BETWEEN.scalar(work.cursor, params))


def order_reference_used(work: Work, reference: str | None) -> bool:
    if reference is None:
        return False
    return RAW_ORDER_REFERENCE_USED.first(work.cursor, {"reference": reference}) is not None


def voided_so_far(cursor: sqlite3.Cursor, transaction_id: str) -> int:
    return int(RAW_VOIDED_SO_FAR.scalar(cursor, {"id": transaction_id}))


def find_original(cursor: sqlite3.Cursor, transaction_id: str) -> RowLike | None:
    return RAW_SELECT_TX.first(cursor, {"id": transaction_id})


def transaction_key(transaction_id: str) -> str | None:
    """The stored form of a transaction id typed or passed in (lower-case UUID), or None."""
    try:
        return str(uuid.UUID(transaction_id))
    except ValueError:
        return None
