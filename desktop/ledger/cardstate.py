"""A card's two states on the till: confirmed by the server, and the view (confirmed + pending)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, bindparam, case, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desktop.ledger.models import PENDING, RowLike, cards, transactions
from desktop.ledger.views import CardView
from desktop.ledger.wire import wire_tx
from sync import rules
from sync.protocol import CardState, TransactionType

SELECT_CARD = select(cards).where(cards.c.card_number == bindparam("card_number"))
# The given cards (a JSON list: one statement whatever their number) and their pending sums.
_GIVEN = select(func.json_each(bindparam("cards")).table_valued("value").c.value).scalar_subquery()
SELECT_CARDS = select(cards).where(cards.c.card_number.in_(_GIVEN))
_pending = (
    select(
        transactions.c.card_number,
        transactions.c.seq,
        transactions.c.type,
        transactions.c.stamps_delta,
        transactions.c.points_delta,
    )
    .where(transactions.c.sync_state == PENDING, transactions.c.card_number.in_(_GIVEN))
    .cte("pending")
)
_created = (
    select(
        _pending.c.card_number,
        func.max(case((_pending.c.type == TransactionType.CARD_CREATED.value, _pending.c.seq))).label("seq"),
    )
    .group_by(_pending.c.card_number)
    .subquery("created")
)
_after_created = _pending.c.seq > func.coalesce(_created.c.seq, 0)


def _last_seq_of(kind: TransactionType) -> ColumnElement[int]:
    return func.max(case((and_(_after_created, _pending.c.type == kind.value), _pending.c.seq)))


SELECT_PENDING_SUMS = (
    select(
        _pending.c.card_number,
        func.count().label("pending_count"),
        func.max(_created.c.seq).label("created_seq"),
        func.coalesce(func.sum(case((_after_created, _pending.c.stamps_delta), else_=0)), 0).label("stamps"),
        func.coalesce(func.sum(case((_after_created, _pending.c.points_delta), else_=0)), 0).label("points"),
        _last_seq_of(TransactionType.CARD_DEACTIVATED).label("deactivated_seq"),
        _last_seq_of(TransactionType.CARD_REACTIVATED).label("reactivated_seq"),
        _last_seq_of(TransactionType.WELCOME_BONUS).label("welcome_seq"),
    )
    .join_from(_pending, _created, _pending.c.card_number == _created.c.card_number)
    .group_by(_pending.c.card_number)
)
REFRESH_VIEW = (
    update(cards)
    .where(cards.c.card_number == bindparam("key"))
    .values(
        known=bindparam("known"),
        stamp_count=bindparam("stamp_count"),
        points_balance=bindparam("points_balance"),
        is_active=bindparam("is_active"),
        welcome_bonus_granted=bindparam("welcome_bonus_granted"),
        pending_count=bindparam("pending_count"),
        updated_at=bindparam("updated_at"),
    )
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


@dataclass(frozen=True, slots=True)
class PendingSums:
    """What a card's pending transactions add up to, from its last pending enrolment on (if any)."""

    count: int = 0
    created: bool = False  # a pending card_created: the view starts afresh there
    stamps: int = 0
    points: int = 0
    deactivated_seq: int | None = None
    reactivated_seq: int | None = None
    welcomed: bool = False


NOTHING_PENDING = PendingSums()


def project_sums(row: RowLike, sums: PendingSums) -> tuple[bool, rules.CardState]:
    """`project` from the pending transactions' sums instead of the transactions themselves.

    The same result: rules.apply starts afresh at a card_created, adds the deltas, keeps the
    last (de)activation and remembers a welcome bonus; without a confirmed state or a pending
    card_created the till does not know the card and every pending transaction counts for nothing.
    """
    base = rules.CardState(card_number=row["card_number"]) if sums.created else confirmed_state(row)
    if base is None:
        return False, rules.CardState(card_number=row["card_number"])
    is_active = base.is_active
    if sums.deactivated_seq is not None or sums.reactivated_seq is not None:
        is_active = (sums.reactivated_seq or 0) > (sums.deactivated_seq or 0)
    return True, rules.CardState(
        card_number=base.card_number,
        stamp_count=base.stamp_count + sums.stamps,
        points_balance=base.points_balance + sums.points,
        is_active=is_active,
        welcome_bonus_granted=base.welcome_bonus_granted or sums.welcomed,
    )


def pending_sums(conn: Connection, card_numbers: Collection[str]) -> dict[str, PendingSums]:
    """The pending sums of these cards (those with something pending), in one statement."""
    found = conn.execute(SELECT_PENDING_SUMS, {"cards": json.dumps(list(card_numbers))})
    return {
        row.card_number: PendingSums(
            count=row.pending_count,
            created=row.created_seq is not None,
            stamps=row.stamps,
            points=row.points,
            deactivated_seq=row.deactivated_seq,
            reactivated_seq=row.reactivated_seq,
            welcomed=row.welcome_seq is not None,
        )
        for row in found
    }


def refresh_views(conn: Connection, card_numbers: Collection[str], *, now: datetime) -> None:
    """`refresh_view` for many cards at once: one read of the cards, one of their pending sums,
    one batch of updates (cards the till does not have are skipped)."""
    if not card_numbers:
        return
    given = json.dumps(list(card_numbers))
    rows = conn.execute(SELECT_CARDS, {"cards": given}).mappings().all()
    sums = pending_sums(conn, card_numbers)
    updates = []
    for row in rows:
        card_sums = sums.get(row["card_number"], NOTHING_PENDING)
        known, view = project_sums(row, card_sums)
        updates.append(
            {
                "key": row["card_number"],
                "known": known,
                "stamp_count": view.stamp_count,
                "points_balance": view.points_balance,
                "is_active": view.is_active,
                "welcome_bonus_granted": view.welcome_bonus_granted,
                "pending_count": card_sums.count,
                "updated_at": now,
            }
        )
    if updates:
        conn.execute(REFRESH_VIEW, updates)


_excluded = sqlite_insert(cards).excluded
STORE_CONFIRMED = (
    sqlite_insert(cards)
    .values(
        card_number=bindparam("card_number"),
        customer_name=bindparam("customer_name"),
        known=True,
        server_known=True,
        confirmed_stamp_count=bindparam("stamp_count"),
        confirmed_points_balance=bindparam("points_balance"),
        confirmed_is_active=bindparam("is_active"),
        confirmed_welcome_bonus=bindparam("welcome_bonus"),
        stamp_count=bindparam("stamp_count"),
        points_balance=bindparam("points_balance"),
        is_active=bindparam("is_active"),
        welcome_bonus_granted=bindparam("welcome_bonus"),
        pending_count=0,
        updated_at=bindparam("updated_at"),
    )
    .on_conflict_do_update(
        index_elements=[cards.c.card_number],
        set_={
            "server_known": True,
            "known": True,
            "confirmed_stamp_count": _excluded.confirmed_stamp_count,
            "confirmed_points_balance": _excluded.confirmed_points_balance,
            "confirmed_is_active": _excluded.confirmed_is_active,
            # A welcome bonus the till knows was granted stays: the server's state has no such field.
            "confirmed_welcome_bonus": func.max(
                cards.c.confirmed_welcome_bonus, _excluded.confirmed_welcome_bonus
            ),
            "customer_name": func.coalesce(_excluded.customer_name, cards.c.customer_name),
            "updated_at": _excluded.updated_at,
        },
    )
)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A server-answered card state to store; `welcome` when the answer granted its welcome bonus."""

    state: CardState
    welcome: bool = False
    customer_name: str | None = None


def store_confirmed(conn: Connection, confirmed: Sequence[Confirmed], *, now: datetime) -> None:
    """Make each state its card's server-confirmed state (a card new to the till gets a row), in
    one batch; the last of a card's states wins. A welcome bonus the till knew was granted stays
    granted; a name is only replaced by a name.

    The caller refreshes the views afterwards (refresh_views): pending transactions go on top.
    """
    if not confirmed:
        return
    conn.execute(
        STORE_CONFIRMED,
        [
            {
                "card_number": item.state.card_number,
                "customer_name": item.customer_name,
                "stamp_count": item.state.stamp_count,
                "points_balance": item.state.points_balance,
                "is_active": item.state.is_active,
                "welcome_bonus": item.welcome,
                "updated_at": now,
            }
            for item in confirmed
        ],
    )
