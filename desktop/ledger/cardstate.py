"""A card's two states on the till: confirmed by the server, and the view (confirmed + pending)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desktop.ledger.models import PENDING, RowLike, cards, transactions
from desktop.ledger.views import CardView
from desktop.ledger.wire import wire_tx
from sync import rules
from sync.protocol import TransactionType

SELECT_CARD = select(cards).where(cards.c.card_number == bindparam("card_number"))
SELECT_PENDING_OF_CARD = (
    select(transactions)
    .where(transactions.c.card_number == bindparam("card_number"), transactions.c.sync_state == PENDING)
    .order_by(transactions.c.seq)
)
UPDATE_VIEW = (
    update(cards)
    .where(cards.c.card_number == bindparam("key"))
    .values(
        stamp_count=bindparam("stamp_count"),
        points_balance=bindparam("points_balance"),
        is_active=bindparam("is_active"),
        welcome_bonus_granted=bindparam("welcome_bonus_granted"),
        pending_count=cards.c.pending_count + bindparam("added", 0),
        updated_at=bindparam("updated_at"),
    )
)


def card_view(row: RowLike) -> CardView:
    return CardView(
        card_number=row["card_number"],
        customer_name=row["customer_name"],
        stamp_count=row["stamp_count"],
        points_balance=row["points_balance"],
        is_active=bool(row["is_active"]),
        pending_count=row["pending_count"],
        has_pending=row["pending_count"] > 0,
        confirmed_stamp_count=row["confirmed_stamp_count"],
        confirmed_points_balance=row["confirmed_points_balance"],
    )


def view_state(row: RowLike | None) -> rules.CardState | None:
    """The card as the rules see it at this till, or None when the till does not know it."""
    if row is None or not row["known"]:
        return None
    return rules.CardState(
        card_number=row["card_number"],
        stamp_count=row["stamp_count"],
        points_balance=row["points_balance"],
        is_active=bool(row["is_active"]),
        welcome_bonus_granted=bool(row["welcome_bonus_granted"]),
    )


def confirmed_state(row: RowLike) -> rules.CardState | None:
    if not row["server_known"]:
        return None
    return rules.CardState(
        card_number=row["card_number"],
        stamp_count=row["confirmed_stamp_count"],
        points_balance=row["confirmed_points_balance"],
        is_active=row["confirmed_is_active"],
        welcome_bonus_granted=row["confirmed_welcome_bonus"],
    )


def project(row: RowLike, pending: Sequence[RowLike]) -> tuple[bool, rules.CardState]:
    """Confirmed state plus the pending transactions in seq order: (known to the till, view).

    Pending transactions on a card the till does not know (its enrolment was rejected and the
    server has no such card) count for nothing: the server will reject them too.
    """
    state = confirmed_state(row)
    for tx_row in pending:
        if state is None and tx_row["type"] != TransactionType.CARD_CREATED:
            continue
        state = rules.apply(wire_tx(tx_row), state)
    if state is None:
        return False, rules.CardState(card_number=row["card_number"])
    return True, state


def refresh_view(conn: Connection, card_number: str, *, now: datetime) -> None:
    """Recompute a card's view and pending count from its confirmed state and pending transactions."""
    row = conn.execute(SELECT_CARD, {"card_number": card_number}).mappings().one()
    pending = list(conn.execute(SELECT_PENDING_OF_CARD, {"card_number": card_number}).mappings())
    known, view = project(row, pending)
    conn.execute(
        update(cards)
        .where(cards.c.card_number == card_number)
        .values(
            known=known,
            stamp_count=view.stamp_count,
            points_balance=view.points_balance,
            is_active=view.is_active,
            welcome_bonus_granted=view.welcome_bonus_granted,
            pending_count=len(pending),
            updated_at=now,
        )
    )


def store_confirmed(
    conn: Connection,
    state: rules.CardState,
    *,
    now: datetime,
    customer_name: str | None = None,
) -> None:
    """Make `state` the card's server-confirmed state, creating the card row when new to the till.

    The caller refreshes the view afterwards (refresh_view): pending transactions go on top.
    """
    confirmed: dict[str, object] = {
        "server_known": True,
        "known": True,
        "confirmed_stamp_count": state.stamp_count,
        "confirmed_points_balance": state.points_balance,
        "confirmed_is_active": state.is_active,
        "confirmed_welcome_bonus": state.welcome_bonus_granted,
        "updated_at": now,
    }
    if customer_name is not None:
        confirmed["customer_name"] = customer_name
    fresh = {
        **confirmed,
        "card_number": state.card_number,
        "customer_name": customer_name,
        "stamp_count": state.stamp_count,
        "points_balance": state.points_balance,
        "is_active": state.is_active,
        "welcome_bonus_granted": state.welcome_bonus_granted,
        "pending_count": 0,
    }
    statement = sqlite_insert(cards).values(fresh)
    conn.execute(statement.on_conflict_do_update(index_elements=[cards.c.card_number], set_=confirmed))
