"""`/office/cards`: find a card by number, name or email; its page: balance, what is held for tills'
offline use, full history, admin actions."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from server_stub.console.actions import ActionRefused, change_card
from server_stub.console.formatting import reason_text
from server_stub.console.holds import card_holds, release_card_holds
from server_stub.console.routes_rejections import describe
from server_stub.console.tables import Column, Table, render_or_csv, sort_rows, table_state
from server_stub.console.web import Admin, CsrfField, DbSession, PageError, User, check_csrf, page
from server_stub.db import is_postgres
from server_stub.models import Card, Device, LedgerTransaction, RejectionReview, Staff, Store
from server_stub.service.programs import current_program
from sync.protocol import CARD_NUMBER_PATTERN, MAX_ADJUSTMENT

router = APIRouter()
Tx = LedgerTransaction
CARD_NUMBER = re.compile(CARD_NUMBER_PATTERN)
SEARCH_LIMIT = 100
HISTORY_LIMIT = 1000
SEARCH_COLUMNS = [
    Column("card_number", "Card", link="href"),
    Column("customer_name", "Name"),
    Column("customer_email", "Email"),
    Column("points_balance", "Points", "number"),
    Column("stamp_count", "Stamps", "number"),
    Column("active", "Status"),
]
HISTORY_COLUMNS = [
    Column("transaction_at", "When", "time"),
    Column("what", "What", sortable=False),
    Column("points_delta", "Points", "signed"),
    Column("stamps_delta", "Stamps", "signed"),
    Column("store", "Store"),
    Column("till", "Till"),
    Column("staff", "Staff member"),
    Column("status", "Status", "state"),
    Column("reason", "Why refused", sortable=False),
    Column("notes", "Notes", sortable=False),
]


def _prefix(column: InstrumentedAttribute[str | None], needle: str, *, postgres: bool) -> ColumnElement[bool]:
    """`lower(column)` starts with `needle`: a range of the expression index (migration 0100)."""
    lowered: ColumnElement[Any] = func.lower(column)
    if postgres:
        lowered = lowered.collate("C")
    return (lowered >= needle) & (lowered < needle + "\uffff")


def search(session: Session, merchant_id: int, q: str) -> list[Card]:
    """Cards whose number, customer name or email starts with `q` (name and email in any case)."""
    needle = q.strip()
    if not needle:
        return []
    postgres = is_postgres(session)
    lowered = needle.lower()
    matches = [
        _prefix(Card.customer_name, lowered, postgres=postgres),
        _prefix(Card.customer_email, lowered, postgres=postgres),
    ]
    if CARD_NUMBER.fullmatch(needle):
        matches.append((Card.card_number >= needle) & (Card.card_number < needle + "\x7f"))
    query = select(Card).where(Card.merchant_id == merchant_id, or_(*matches))
    return list(session.scalars(query.order_by(Card.card_number).limit(SEARCH_LIMIT)))


@router.get("/cards")
def cards(request: Request, user: User, session: DbSession) -> Response:
    state = table_state(request, SEARCH_COLUMNS, default_sort="card_number")
    found = search(session, user.merchant_id, state.q)
    rows = sort_rows(
        [
            {
                "href": f"/office/cards/{card.card_number}",
                "card_number": card.card_number,
                "customer_name": card.customer_name,
                "customer_email": card.customer_email,
                "points_balance": card.points_balance,
                "stamp_count": card.stamp_count,
                "active": "active" if card.is_active else "deactivated",
            }
            for card in found
        ],
        state,
    )
    caption = f"Cards starting with “{state.q}”" if state.q else "Type a card number, a name or an email"
    table = Table(SEARCH_COLUMNS, rows, state, "/office/cards", caption, len(found) >= SEARCH_LIMIT)
    return render_or_csv(
        request, table, filename="cards.csv", render=lambda: page(request, "cards.html", {"table": table})
    )


def history_rows(session: Session, merchant_id: int, card_number: str) -> tuple[list[dict[str, Any]], bool]:
    found = session.execute(
        select(Tx, Store.name, Store.timezone, Device.name, Staff.name, RejectionReview.state)
        .outerjoin(Store, Store.id == Tx.store_id)
        .outerjoin(Device, Device.id == Tx.device_id)
        .outerjoin(Staff, Staff.id == Tx.staff_id)
        .outerjoin(RejectionReview, RejectionReview.transaction_id == Tx.id)
        .where(Tx.merchant_id == merchant_id, Tx.card_number == card_number)
        .order_by(Tx.received_at.desc(), Tx.seq.desc(), Tx.id.desc())
        .limit(HISTORY_LIMIT + 1)
    ).all()
    rows = [
        {
            "id": tx.id,
            "transaction_at": tx.transaction_at,
            "tz": timezone or "UTC",
            "what": describe(tx),
            "points_delta": tx.points_delta,
            "stamps_delta": tx.stamps_delta,
            "store": store or "Head office",
            "till": till,
            "staff": staff,
            "status": tx.status,
            "reason": reason_text(tx.reason) + (f" ({review.replace('_', ' ')})" if review else "")
            if tx.reason
            else None,
            "notes": tx.notes,
        }
        for tx, store, timezone, till, staff, review in found[:HISTORY_LIMIT]
    ]
    return rows, len(found) > HISTORY_LIMIT


def _card(session: Session, merchant_id: int, number: str) -> Card:
    card = None
    if CARD_NUMBER.fullmatch(number):
        card = session.execute(
            select(Card).where(Card.merchant_id == merchant_id, Card.card_number == number)
        ).scalar_one_or_none()
    if card is None:  # another merchant's card answers exactly as a missing one
        raise PageError(404, "Not found", "No such card.")
    return card


def _card_page(
    request: Request, user: Any, session: Session, number: str, *, status: int = 200, **extra: Any
) -> Response:
    card = _card(session, user.merchant_id, number)
    state = table_state(request, HISTORY_COLUMNS, default_sort="transaction_at", descending=True)
    rows, limited = history_rows(session, user.merchant_id, card.card_number)
    if state.sort != "transaction_at" or not state.descending:
        rows = sort_rows(rows, state)
    path = f"/office/cards/{card.card_number}"
    table = Table(HISTORY_COLUMNS, rows, state, path, "History across every store and till", limited)
    program = current_program(session, user.merchant_id)
    return render_or_csv(
        request,
        table,
        filename=f"card-{card.card_number}.csv",
        render=lambda: page(
            request,
            "card.html",
            {
                "card": card,
                "holds": card_holds(session, user.merchant_id, card.id),
                "table": table,
                "program": program,
                "form_id": str(uuid.uuid4()),
                **extra,
            },
            status=status,
        ),
    )


@router.get("/cards/{number}")
def card_page(request: Request, number: str, user: User, session: DbSession) -> Response:
    return _card_page(request, user, session, number)


@router.get("/cards/{number}/release")
def confirm_release(request: Request, number: str, user: Admin, session: DbSession) -> Response:
    """A page that asks first: the till's covered redemptions not yet synced become at risk."""
    card = _card(session, user.merchant_id, number)
    holds = card_holds(session, user.merchant_id, card.id)
    return page(request, "release.html", {"card": card, "holds": holds})


# Before the card's other actions: "/cards/{number}/{action}" would take this path too.
@router.post("/cards/{number}/release")
def release(
    request: Request, number: str, user: Admin, session: DbSession, csrf_token: CsrfField = None
) -> Response:
    check_csrf(user, csrf_token)
    card = _card(session, user.merchant_id, number)
    released = release_card_holds(session, user, card, now=datetime.now(UTC))
    session.expire_all()
    if not released.allowances:
        return _card_page(
            request, user, session, number, flash="Nothing is held on this card: nothing changed."
        )
    done = (
        f"Released {released.allowances:,} allowance{'s' if released.allowances != 1 else ''}: "
        f"{released.points:,} points and {released.stamps:,} stamps are available again."
    )
    return _card_page(request, user, session, number, flash=done)


@router.post("/cards/{number}/{action}")
def card_action(
    request: Request,
    number: str,
    action: str,
    user: Admin,
    session: DbSession,
    form_id: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    points: Annotated[int, Form(ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)] = 0,
    stamps: Annotated[int, Form(ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)] = 0,
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(user, csrf_token)
    card = _card(session, user.merchant_id, number)
    if action not in ("deactivate", "reactivate", "adjust"):
        raise PageError(404, "Not found", "No such action.")
    if not form_id:
        form_id = str(uuid.uuid4())
    try:
        applied = change_card(
            session,
            user,
            card.card_number,
            action=action,
            form_id=form_id,
            reason=reason,
            stamps=stamps,
            points=points,
            now=datetime.now(UTC),
        )
    except ActionRefused as refused:
        return _card_page(
            request, user, session, number, flash=refused.message, flash_kind="error", status=409
        )
    session.expire_all()
    done = "This form was already sent: nothing more was done." if applied.replayed else "Done."
    return _card_page(request, user, session, number, flash=done)
