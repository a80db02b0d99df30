"""`/office/staff`: create a member, set a new PIN (shown once), change role or store, deactivate."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.console.tables import Column, Table, render_or_csv, sort_rows, table_state, text_filter
from server_stub.console.web import Admin, CsrfField, DbSession, PageError, User, check_csrf, page
from server_stub.errors import ApiError
from server_stub.models import Staff, Store
from server_stub.office import staff as office_staff
from server_stub.office.schemas import StaffCreate, StaffPatch
from sync.protocol import Role

router = APIRouter()
PIN_DIGITS = 6
ROLE_TEXT = {
    Role.STAFF.value: "Staff",
    Role.STORE_MANAGER.value: "Store manager",
    Role.MERCHANT_OWNER.value: "Owner",
}
COLUMNS = [
    Column("name", "Name"),
    Column("role", "Role"),
    Column("store", "Store"),
    Column("status", "Status"),
    Column("updated_at", "Changed", "time"),
]
StaffId = Annotated[int, Form(ge=1, le=2**31 - 1)]
Name = Annotated[str, Form(max_length=200)]
RoleField = Annotated[str, Form(max_length=20)]
StoreField = Annotated[str, Form(max_length=12)]


def _stores(session: Session, merchant_id: int) -> list[Any]:
    return list(
        session.execute(
            select(Store.id, Store.name).where(Store.merchant_id == merchant_id).order_by(Store.name)
        ).all()
    )


def _page(request: Request, user: Any, session: Session, *, status: int = 200, **extra: Any) -> Response:
    state = table_state(request, COLUMNS, default_sort="name")
    stores = {row.id: row.name for row in _stores(session, user.merchant_id)}
    members = session.scalars(select(Staff).where(Staff.merchant_id == user.merchant_id)).all()
    rows = [
        {
            "id": member.id,
            "name": member.name,
            "role": ROLE_TEXT.get(member.role, member.role),
            "role_code": member.role,
            "store": stores.get(member.store_id, "All stores") if member.store_id else "All stores",
            "store_id": member.store_id,
            "status": "active" if member.is_active else "deactivated",
            "is_active": member.is_active,
            "updated_at": member.updated_at,
            "tz": "UTC",
        }
        for member in members
    ]
    rows = sort_rows(text_filter(rows, state.q, ["name", "role", "store", "status"]), state)
    table = Table(COLUMNS, rows, state, "/office/staff", "Staff members")
    return render_or_csv(
        request,
        table,
        filename="staff.csv",
        render=lambda: page(
            request,
            "staff.html",
            {"table": table, "stores": stores, "roles": ROLE_TEXT, **extra},
            status=status,
        ),
    )


@router.get("/staff")
def staff(request: Request, user: User, session: DbSession) -> Response:
    return _page(request, user, session)


def _store_id(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _refused(request: Request, user: Any, session: Session, error: Exception) -> Response:
    if isinstance(error, ApiError) and error.status == 404:
        raise PageError(404, "Not found", error.detail)
    message = (
        "Check the fields: "
        + "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        if isinstance(error, ValidationError)
        else str(error)
    )
    return _page(request, user, session, status=422, flash=message, flash_kind="error")


@router.post("/staff")
def create(
    request: Request,
    user: Admin,
    session: DbSession,
    name: Name = "",
    role: RoleField = "",
    store_id: StoreField = "",
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(user, csrf_token)
    pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
    try:
        body = StaffCreate.model_validate(
            {"name": name.strip(), "role": role, "store_id": _store_id(store_id), "pin": pin}, strict=False
        )
        item = office_staff.add_staff(session, user.actor, body, now=datetime.now(UTC))
    except (ValidationError, ApiError) as error:
        return _refused(request, user, session, error)
    return _page(
        request,
        user,
        session,
        new_pin=pin,
        pin_for=item.name,
        flash=f"{item.name} was added. Their PIN is shown below once.",
    )


def _patch(
    request: Request,
    user: Any,
    session: Session,
    staff_id: int,
    values: dict[str, Any],
    flash: str,
    **extra: Any,
) -> Response:
    try:
        patch = StaffPatch.model_validate(values, strict=False)
        item = office_staff.change_staff(session, user.actor, staff_id, patch, now=datetime.now(UTC))
    except (ValidationError, ApiError) as error:
        return _refused(request, user, session, error)
    return _page(request, user, session, flash=flash.format(name=item.name), **extra)


@router.post("/staff/{staff_id}/pin")
def new_pin(
    request: Request, staff_id: int, user: Admin, session: DbSession, csrf_token: CsrfField = None
) -> Response:
    check_csrf(user, csrf_token)
    pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
    return _patch(
        request, user, session, staff_id, {"pin": pin}, "{name} has a new PIN, shown below once.", new_pin=pin
    )


@router.post("/staff/{staff_id}/change")
def change(
    request: Request,
    staff_id: int,
    user: Admin,
    session: DbSession,
    role: RoleField = "",
    store_id: StoreField = "",
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(user, csrf_token)
    return _patch(
        request,
        user,
        session,
        staff_id,
        {"role": role, "store_id": _store_id(store_id)},
        "{name}'s role and store were changed.",
    )


@router.post("/staff/{staff_id}/active")
def set_active(
    request: Request,
    staff_id: int,
    user: Admin,
    session: DbSession,
    active: Annotated[str, Form(max_length=5)] = "false",
    csrf_token: CsrfField = None,
) -> Response:
    check_csrf(user, csrf_token)
    is_active = active == "true"
    return _patch(
        request,
        user,
        session,
        staff_id,
        {"is_active": is_active},
        "{name} was " + ("reactivated." if is_active else "deactivated."),
    )
