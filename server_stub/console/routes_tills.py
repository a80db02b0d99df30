"""`/office/tills`: each till's store, last call, how far behind, its version; revoke; enrol a new one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.console.tables import Column, Table, render_or_csv, sort_rows, table_state, text_filter
from server_stub.console.web import Admin, CsrfField, DbSession, PageError, User, check_csrf, page
from server_stub.errors import ApiError
from server_stub.models import Device, Store, TillSyncStatus
from server_stub.office import admin as office_admin
from server_stub.service.changes import current_change_number

router = APIRouter()

# A till syncs every 15 s; one not heard from for this long is shown as offline.
OFFLINE_AFTER = timedelta(minutes=5)
COLUMNS = [
    Column("name", "Till"),
    Column("store", "Store"),
    Column("status", "Status"),
    Column("last_seen_at", "Last seen", "time"),
    Column("last_seq", "Last seq", "number"),
    Column("behind", "Changes not yet pulled", "number"),
    Column("offline_since", "Offline since", "time"),
    Column("version", "Version"),
]


def till_rows(session: Session, merchant_id: int, *, now: datetime) -> list[dict[str, Any]]:
    current = current_change_number(session, merchant_id)
    found = session.execute(
        select(Device, Store.name, Store.timezone, TillSyncStatus)
        .join(Store, Store.id == Device.store_id)
        .outerjoin(TillSyncStatus, TillSyncStatus.device_id == Device.id)
        .where(Device.merchant_id == merchant_id)
    ).all()
    rows = []
    for device, store_name, timezone, status in found:
        seen = device.last_seen_at
        offline = seen is None or now - seen > OFFLINE_AFTER
        caught_up = status.caught_up_change_no if status is not None else None
        rows.append(
            {
                "device_id": device.id,
                "name": device.name,
                "store": store_name,
                "tz": timezone,
                "status": "revoked" if device.revoked_at else ("offline" if offline else "online"),
                "revoked": device.revoked_at is not None,
                "last_seen_at": seen,
                "last_seq": device.last_seq,
                "behind": None if caught_up is None else max(current - caught_up, 0),
                "offline_since": seen if offline and not device.revoked_at else None,
                "version": status.client_version if status is not None else None,
            }
        )
    return rows


def _stores(session: Session, merchant_id: int) -> list[Any]:
    return list(
        session.execute(
            select(Store.id, Store.name, Store.timezone)
            .where(Store.merchant_id == merchant_id)
            .order_by(Store.name)
        ).all()
    )


def _tills_page(
    request: Request, user: Any, session: Session, extra: dict[str, Any] | None = None
) -> Response:
    state = table_state(request, COLUMNS, default_sort="store")
    rows = till_rows(session, user.merchant_id, now=datetime.now(UTC))
    rows = sort_rows(text_filter(rows, state.q, ["name", "store", "status", "version"]), state)
    table = Table(COLUMNS, rows, state, "/office/tills", "Tills")
    return render_or_csv(
        request,
        table,
        filename="tills.csv",
        render=lambda: page(
            request,
            "tills.html",
            {"table": table, "stores": _stores(session, user.merchant_id), **(extra or {})},
        ),
    )


@router.get("/tills")
def tills(request: Request, user: User, session: DbSession) -> Response:
    return _tills_page(request, user, session)


@router.get("/tills/{device_id}/revoke")
def confirm_revoke(request: Request, device_id: str, user: Admin, session: DbSession) -> Response:
    """A page that asks first: a revoked till cannot sync again."""
    rows = till_rows(session, user.merchant_id, now=datetime.now(UTC))
    till = next((row for row in rows if row["device_id"] == device_id.lower()), None)
    if till is None:
        raise PageError(404, "Not found", "No such till.")
    return page(request, "revoke.html", {"till": till})


@router.post("/tills/{device_id}/revoke")
def revoke(
    request: Request, device_id: str, user: Admin, session: DbSession, csrf_token: CsrfField = None
) -> Response:
    check_csrf(user, csrf_token)
    try:
        office_admin.revoke_device(session, user.actor, device_id[:64], now=datetime.now(UTC))
    except ApiError:
        raise PageError(404, "Not found", "No such till.") from None
    return _tills_page(request, user, session, {"flash": "The till was revoked: its token no longer works."})


@router.post("/tills/enrolment-code")
def enrolment_code(
    request: Request,
    user: Admin,
    session: DbSession,
    store_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(user, csrf_token)
    try:
        issued = office_admin.issue_enrolment_code(session, user.actor, store_id, now=datetime.now(UTC))
    except ApiError:
        raise PageError(404, "Not found", "No such store.") from None
    store = next(row for row in _stores(session, user.merchant_id) if row.id == store_id)
    qr = segno.make(issued.enrolment_code, error="m")
    # segno writes the SVG itself from the code's modules: no text of ours goes into it.
    svg = Markup(qr.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr-code"))  # noqa: S704
    return page(
        request,
        "enrolment_code.html",
        {
            "code": issued.enrolment_code,
            "expires_at": issued.expires_at,
            "store": store,
            "qr": svg,
        },
    )
