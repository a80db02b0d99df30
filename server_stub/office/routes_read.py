"""Head-office reads: summary, rejections, devices, the ledger CSV, the program, staff, the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from server_stub.db import Database
from server_stub.deps import AdminDep, DatabaseDep, SessionDep
from server_stub.office import reports
from server_stub.office.audit import audit_page
from server_stub.office.ledger_csv import ledger_csv
from server_stub.office.params import time_range
from server_stub.office.schemas import (
    DEFAULT_PAGE_LIMIT,
    MAX_PAGE_LIMIT,
    AuditPage,
    DevicePage,
    RejectionPage,
    StaffPage,
    SummaryResponse,
)
from server_stub.office.staff import staff_page
from server_stub.openapi import problems
from server_stub.service.programs import current_program
from sync.protocol import INT32_MAX, Program

router = APIRouter(tags=["office"])

BOUND_HELP = "An RFC 3339 time with an offset, or YYYY-MM-DD (midnight UTC); on transaction_at"
# Their schema is BOUND_SCHEMA (RFC 3339 date-time or full-date), set in the published document.
From = Annotated[str | None, Query(alias="from", description=BOUND_HELP + ", inclusive.")]
To = Annotated[str | None, Query(alias="to", description=BOUND_HELP + ", exclusive.")]
StoreFilter = Annotated[
    int | None, Query(ge=1, le=INT32_MAX, description="Only this store (404 if not yours).")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_LIMIT)]
Cursor = Annotated[
    str | None, Query(description="next_cursor of the previous page (opaque; one not issued here is 400)")
]
PAGED = problems(400, 401, 404, 422)


@router.get("/summary", response_model=SummaryResponse, responses=problems(401, 404, 422))
def summary(
    admin: AdminDep,
    session: SessionDep,
    start: From = None,
    end: To = None,
    store_id: StoreFilter = None,
) -> SummaryResponse:
    """Accepted transactions per store, UTC date of transaction_at and type."""
    period = time_range(start, end)
    return reports.summary(session, admin.merchant_id, period=period, store_id=store_id)


@router.get("/rejections", response_model=RejectionPage, responses=PAGED)
def rejections(
    admin: AdminDep,
    session: SessionDep,
    start: From = None,
    end: To = None,
    store_id: StoreFilter = None,
    limit: Limit = DEFAULT_PAGE_LIMIT,
    cursor: Cursor = None,
) -> RejectionPage:
    """Stored rejected transactions, newest received first."""
    period = time_range(start, end)
    return reports.rejections(
        session, admin.merchant_id, period=period, store_id=store_id, limit=limit, cursor=cursor
    )


@router.get("/devices", response_model=DevicePage, responses=PAGED)
def devices(
    admin: AdminDep,
    session: SessionDep,
    store_id: StoreFilter = None,
    limit: Limit = DEFAULT_PAGE_LIMIT,
    cursor: Cursor = None,
) -> DevicePage:
    """The merchant's tills in enrolment order, revoked ones included."""
    return reports.devices(session, admin.merchant_id, store_id=store_id, limit=limit, cursor=cursor)


@router.get(
    "/ledger.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The accepted ledger in received order, streamed.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **problems(401, 422),
    },
)
def ledger(admin: AdminDep, database: DatabaseDep, start: From = None, end: To = None) -> StreamingResponse:
    """The accepted ledger as CSV; text cells that a spreadsheet would run as a formula start with `'`."""
    period = time_range(start, end)
    rows = ledger_csv(
        lambda: _reading(database), admin.merchant_id, period=period, received_until=datetime.now(UTC)
    )
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
    )


@contextmanager
def _reading(database: Database) -> Iterator[Session]:
    with database.session() as session, session.begin():
        yield session


@router.get("/program", response_model=Program, responses=problems(401))
def program(admin: AdminDep, session: SessionDep) -> Program:
    """The current program, as tills pull it."""
    return current_program(session, admin.merchant_id)


@router.get("/staff", response_model=StaffPage, responses=PAGED)
def staff(
    admin: AdminDep, session: SessionDep, limit: Limit = DEFAULT_PAGE_LIMIT, cursor: Cursor = None
) -> StaffPage:
    """Every staff member of the merchant, inactive ones included; never a PIN or its hash."""
    return staff_page(session, admin.merchant_id, limit=limit, cursor=cursor)


@router.get("/audit", response_model=AuditPage, responses=PAGED)
def audit(
    admin: AdminDep, session: SessionDep, limit: Limit = DEFAULT_PAGE_LIMIT, cursor: Cursor = None
) -> AuditPage:
    """Every office write, newest first, with the values before and after (secrets only as "changed")."""
    return audit_page(session, admin.merchant_id, limit=limit, cursor=cursor)
