"""Offline spending allowances at the till (protocol v1.1, docs/allowances.md).

The server sets aside part of a card's balance for this till until a stated time. A redemption
within what is left of it, while the till's clock is before that time, is *covered*: the server
accepts it whatever happened elsewhere. The till keeps the allowances as the server last told them
(`allowances` table, replaced by each answer), each with the highest seq of this till the server
had stored when it counted what was left (`stored_seq`). What is left now is that, less what this
till took from the card with a higher seq and that was not rejected: the redemptions citing the
allowance, and anything else that takes points or stamps (an at-risk redemption recorded before
the allowance came, a void), which the server takes from the till's own allowance when the rest of
the card cannot pay for it. The server has counted none of these yet. A verb decides under the
ledger's write lock (BEGIN IMMEDIATE), so two
redemptions at one till can never both spend the same remainder.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, select

from desktop.ledger.context import Context
from desktop.ledger.models import (
    PENDING,
    REJECTED,
    allowances,
    device_state,
    from_db_time,
    to_db_time,
    transactions,
)
from desktop.ledger.rawsql import RawStatement
from desktop.ledger.views import Coverage
from sync.protocol import AllowanceRequest, AllowanceResponse, Program
from sync.rules import REDEMPTION_TYPES

# A till whose last sync round succeeded this recently, with no failure since, counts as online:
# a redemption no allowance covers is sent within seconds and judged while the customer is there.
# (The sync worker runs a round every minute, and right after each transaction.)
ONLINE_WINDOW = timedelta(minutes=3)

RAW_ALLOWANCE_OF_CARD = RawStatement(
    select(
        allowances.c.id,
        allowances.c.points,
        allowances.c.stamps,
        allowances.c.valid_until,
        allowances.c.stored_seq,
    )
    .where(allowances.c.card_number == bindparam("card_number"))
    .order_by(allowances.c.valid_until.desc())
    .limit(1)
)
# What this till took from the card after the server last counted its allowance: the redemptions
# citing it, and anything else that takes points or stamps (an at-risk redemption, a void), which
# the server may take from this till's own allowance if the rest of the card cannot pay for it.
RAW_SPENT_SINCE = RawStatement(
    select(
        func.coalesce(func.sum(func.max(-transactions.c.points_delta, 0)), 0).label("points"),
        func.coalesce(func.sum(func.max(-transactions.c.stamps_delta, 0)), 0).label("stamps"),
    ).where(
        transactions.c.card_number == bindparam("card_number"),
        transactions.c.seq > bindparam("stored_seq"),
        transactions.c.sync_state != REJECTED,
    )
)
RAW_SYNC_STATE = RawStatement(
    select(device_state.c.last_sync_at, device_state.c.last_sync_error, device_state.c.last_seq).where(
        device_state.c.id == 1
    )
)
RAW_ANY_ALLOWANCE = RawStatement(select(allowances.c.id).limit(1))
REDEMPTIONS = [kind.value for kind in REDEMPTION_TYPES]
PENDING_REDEMPTIONS = select(func.count(), func.count(transactions.c.allowance_id)).where(
    transactions.c.sync_state == PENDING, transactions.c.type.in_(REDEMPTIONS)
)


def grants(program: Program | None) -> bool:
    """The programme grants allowances (0 points and 0 stamps: none)."""
    return program is not None and (program.allowance_points > 0 or program.allowance_stamps > 0)


def coverage_in(cursor: sqlite3.Cursor, program: Program | None, card_number: str, now: datetime) -> Coverage:
    """What a redemption on the card would be at this till at `now` (read on `cursor`)."""
    held = RAW_ALLOWANCE_OF_CARD.first(cursor, {"card_number": card_number})
    state = RAW_SYNC_STATE.first(cursor)
    assert state is not None, "the device-state row is made by the first migration"
    last_sync = state["last_sync_at"]
    online = (
        state["last_sync_error"] is None
        and last_sync is not None
        and last_sync >= to_db_time(now - ONLINE_WINDOW)
    )
    on = grants(program) or held is not None or RAW_ANY_ALLOWANCE.first(cursor) is not None
    at_risk_allowed = program.at_risk_redemptions if program is not None else True
    if held is None or held["valid_until"] <= to_db_time(now):
        return Coverage(on, None, 0, 0, None, online=online, at_risk_allowed=at_risk_allowed)
    spent = RAW_SPENT_SINCE.first(cursor, {"card_number": card_number, "stored_seq": held["stored_seq"]})
    assert spent is not None
    return Coverage(
        allowances_on=on,
        allowance_id=held["id"],
        points=max(held["points"] - spent["points"], 0),
        stamps=max(held["stamps"] - spent["stamps"], 0),
        valid_until=from_db_time(held["valid_until"]),
        online=online,
        at_risk_allowed=at_risk_allowed,
    )


def coverage(ctx: Context, card_number: str) -> Coverage:
    with ctx.db.read() as conn:
        program = ctx.config.current(conn).program
    with ctx.db.raw_read() as cursor:
        return coverage_in(cursor, program, card_number.strip(), ctx.now())


def allowance_request(ctx: Context) -> AllowanceRequest | None:
    """What the till tells the server when it asks for its allowances, or None when there is
    nothing to ask (the programme grants none and the till holds none)."""
    now = ctx.now()  # the clock first: anything recorded after this reading has a later time
    with ctx.db.read() as conn:
        program = ctx.config.current(conn).program
    with ctx.db.raw_read() as cursor:
        if not grants(program) and RAW_ANY_ALLOWANCE.first(cursor) is None:
            return None
        state = RAW_SYNC_STATE.first(cursor)
    assert state is not None
    last_seq = state["last_seq"]
    return AllowanceRequest.model_construct(recorded_seq=last_seq or None, till_time=now)


def apply_allowances(ctx: Context, answer: AllowanceResponse) -> None:
    """The till's allowances become the answer's, atomically (one not in it was released)."""
    now = ctx.now()
    rows = [
        {
            "id": allowance.id,
            "card_number": allowance.card_number,
            "points": allowance.points,
            "stamps": allowance.stamps,
            "valid_until": allowance.valid_until,
            "stored_seq": answer.stored_seq or 0,
            "received_at": now,
        }
        for allowance in answer.allowances
    ]
    with ctx.db.write() as conn:
        conn.execute(delete(allowances))
        if rows:
            conn.execute(insert(allowances), rows)


def pending_redemptions(ctx: Context) -> tuple[int, int]:
    """(covered, not covered) redemptions waiting to sync."""
    with ctx.db.read() as conn:
        total, covered = conn.execute(PENDING_REDEMPTIONS).one()
    return covered, total - covered
