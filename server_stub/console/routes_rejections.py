"""`/office/rejections`: the inbox of refused transactions, newest first, and their repair."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, aliased

from server_stub.console import reviews
from server_stub.console.actions import ActionRefused
from server_stub.console.formatting import reason_text, signed, state_text, type_text
from server_stub.console.reviews import ReviewState, find_rejection, record_owed, repair_of, state_of
from server_stub.console.tables import ROW_LIMIT, Column, Table, TableState, render_or_csv, table_state
from server_stub.console.web import Admin, CsrfField, DbSession, PageError, User, check_csrf, page
from server_stub.models import Device, LedgerTransaction, RejectionReview, Staff, Store
from sync.protocol import MAX_ADJUSTMENT

router = APIRouter()
Tx = LedgerTransaction
COLUMNS = [
    Column("received_at", "Received", "time"),
    Column("store", "Store"),
    Column("till", "Till"),
    Column("staff", "Staff member"),
    Column("card_number", "Card", link="card_href"),
    Column("what", "What", sortable=False),
    Column("reason", "Why it was refused", sortable=False),
    Column("state", "State", "state", link="href"),
]
SORTS: dict[str, Any] = {
    "received_at": Tx.received_at,
    "store": Store.name,
    "till": Device.name,
    "staff": Staff.name,
    "card_number": Tx.card_number,
    "state": RejectionReview.state,
}
STATE_CHOICES = [("", "Every state"), *((state.value, state_text(state.value)) for state in ReviewState)]
Amount = Annotated[int, Form(ge=0, le=MAX_ADJUSTMENT)]
Note = Annotated[str, Form(max_length=2000)]


def inbox_query(merchant_id: int, state: TableState) -> Select[*tuple[Any, ...]]:
    """The merchant's rejections as the table asks for them.

    Newest first or by card, the page's rows are found in order in the rejections' own partial
    indexes (with their reviews' states: a filter on the state is checked there), stopping at the
    page's end, and only they are read whole. Sorted otherwise, the rejections (a small part of
    the ledger) are read first through those indexes and then sorted: left to itself, the planner
    walked an index of the whole ledger, skipping a hundred accepted rows for each rejected one."""
    conditions = [Tx.merchant_id == merchant_id, Tx.status == "rejected"]
    if state.q:
        needle = state.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Tx.card_number.like(f"{needle}%", escape="\\"))
    wanted = state.filters.get("state")
    if wanted == ReviewState.OPEN.value:
        conditions.append(RejectionReview.state.is_(None))
    elif wanted in {item.value for item in ReviewState}:
        conditions.append(RejectionReview.state == wanted)
    in_order = state.sort in ("received_at", "card_number")
    row: Any = Tx
    if not in_order:
        rejected = select(Tx).outerjoin(RejectionReview, RejectionReview.transaction_id == Tx.id)
        row = aliased(Tx, rejected.where(*conditions).cte("rejected").prefix_with("MATERIALIZED"))
    sorts: dict[str, Any] = {**SORTS, "received_at": row.received_at, "card_number": row.card_number}
    column: ColumnElement[Any] = sorts[state.sort]
    order = column.desc() if state.descending else column.asc()
    tiebreak = row.id.desc() if state.descending else row.id.asc()
    query = (
        select(
            row,
            Store.name,
            Store.timezone,
            Device.name,
            Staff.name,
            RejectionReview.state,
            RejectionReview.note,
        )
        .outerjoin(Store, Store.id == row.store_id)
        .outerjoin(Device, Device.id == row.device_id)
        .outerjoin(Staff, Staff.id == row.staff_id)
        .outerjoin(RejectionReview, RejectionReview.transaction_id == row.id)
    )
    if in_order:
        page = (
            select(Tx.id)
            .outerjoin(RejectionReview, RejectionReview.transaction_id == Tx.id)
            .where(*conditions)
            .order_by(order, tiebreak)
            .limit(ROW_LIMIT + 1)
        )
        return query.where(Tx.id.in_(page)).order_by(order, tiebreak)
    return query.order_by(order.nulls_last(), tiebreak).limit(ROW_LIMIT + 1)


def inbox_rows(session: Session, merchant_id: int, state: TableState) -> tuple[list[dict[str, Any]], bool]:
    found = session.execute(inbox_query(merchant_id, state)).all()
    rows = []
    for tx, store, timezone, till, staff, review_state, note in found[:ROW_LIMIT]:
        rows.append(
            {
                "id": tx.id,
                "href": f"/office/rejections/{tx.id}",
                "card_href": f"/office/cards/{tx.card_number}",
                "received_at": tx.received_at,
                "tz": timezone or "UTC",
                "store": store or "Head office",
                "till": till,
                "staff": staff,
                "card_number": tx.card_number,
                "what": describe(tx),
                "reason": reason_text(tx.reason),
                "state": review_state or ReviewState.OPEN.value,
                "note": note,
            }
        )
    return rows, len(found) > ROW_LIMIT


def describe(tx: Tx) -> str:
    parts = [type_text(tx.type)]
    if tx.points_delta:
        parts.append(f"{signed(tx.points_delta)} points")
    if tx.stamps_delta:
        parts.append(f"{signed(tx.stamps_delta)} stamps")
    return ", ".join(parts)


@router.get("/rejections")
def inbox(request: Request, user: User, session: DbSession) -> Response:
    state = table_state(request, COLUMNS, default_sort="received_at", descending=True, filters=("state",))
    rows, limited = inbox_rows(session, user.merchant_id, state)
    table = Table(COLUMNS, rows, state, "/office/rejections", "Rejected transactions, newest first", limited)
    return render_or_csv(
        request,
        table,
        filename="rejections.csv",
        render=lambda: page(request, "rejections.html", {"table": table, "states": STATE_CHOICES}),
    )


def _detail(
    request: Request, user: Any, session: Session, tx_id: str, *, status: int = 200, **extra: Any
) -> Response:
    tx = find_rejection(session, user.merchant_id, tx_id)
    if tx is None:
        raise PageError(404, "Not found", "No such rejected transaction.")
    review = session.get(RejectionReview, tx.id)
    store = session.get(Store, tx.store_id) if tx.store_id is not None else None
    device = session.get(Device, tx.device_id) if tx.device_id is not None else None
    staff = session.get(Staff, tx.staff_id) if tx.staff_id is not None else None
    state = state_of(review)
    return page(
        request,
        "rejection.html",
        {
            "tx": tx,
            "review": review,
            "state": state.value,
            "next_states": [s.value for s in reviews.NEXT_STATES[state]],
            "repair": repair_of(tx),
            "store": store,
            "device": device,
            "staff": staff,
            "tz": store.timezone if store else "UTC",
            "what": describe(tx),
            "why": reason_text(tx.reason),
            **extra,
        },
        status=status,
    )


@router.get("/rejections/{tx_id}")
def detail(request: Request, tx_id: str, user: User, session: DbSession) -> Response:
    return _detail(request, user, session, tx_id)


def _act(request: Request, user: Any, session: Session, tx_id: str, action: Callable[[], str]) -> Response:
    """Run a repair; a refusal rolls back what it did (nothing changed) and is shown on the page."""
    savepoint = session.begin_nested()
    try:
        done = action()
    except ActionRefused as refused:
        savepoint.rollback()
        if find_rejection(session, user.merchant_id, tx_id) is None:
            raise PageError(404, "Not found", "No such rejected transaction.") from None
        return _detail(request, user, session, tx_id, flash=refused.message, flash_kind="error", status=409)
    savepoint.commit()
    return _detail(request, user, session, tx_id, flash=done)


@router.post("/rejections/{tx_id}/acknowledge")
def acknowledge(
    request: Request,
    tx_id: str,
    user: Admin,
    session: DbSession,
    note: Note = "",
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(user, csrf_token)

    def run() -> str:
        reviews.acknowledge(session, user, tx_id, note=note, now=datetime.now(UTC))
        return "Acknowledged. The till's manager sees it after the till's next sync."

    return _act(request, user, session, tx_id, run)


@router.post("/rejections/{tx_id}/compensate")
def compensate(
    request: Request,
    tx_id: str,
    user: Admin,
    session: DbSession,
    stamps: Amount = 0,
    points: Amount = 0,
    note: Note = "",
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(user, csrf_token)

    def run() -> str:
        reviews.compensate(
            session, user, tx_id, stamps=stamps, points=points, note=note, now=datetime.now(UTC)
        )
        return "The customer was compensated by an owner adjustment on the card."

    return _act(request, user, session, tx_id, run)


@router.post("/rejections/{tx_id}/owed")
def owed(
    request: Request,
    tx_id: str,
    user: Admin,
    session: DbSession,
    stamps: Amount = 0,
    points: Amount = 0,
    note: Note = "",
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(user, csrf_token)

    def run() -> str:
        record_owed(session, user, tx_id, stamps=stamps, points=points, note=note, now=datetime.now(UTC))
        return "Recorded that the customer owes the shop."

    return _act(request, user, session, tx_id, run)
