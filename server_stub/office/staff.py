"""Head office manages staff: list, create, change; every write bumps the staff change number for tills."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.errors import ApiError
from server_stub.models import Staff
from server_stub.office import audit
from server_stub.office.admin import lock_office_writes
from server_stub.office.paging import Keyset, keyset_page
from server_stub.office.reports import require_store
from server_stub.office.schemas import StaffCreate, StaffItem, StaffPage, StaffPatch
from server_stub.service.changes import next_change_number
from sync.pins import hash_pin

STAFF_ORDER = Keyset(kind="staff", columns=(Staff.id,))


def staff_page(session: Session, merchant_id: int, *, limit: int, cursor: str | None) -> StaffPage:
    rows, next_cursor = keyset_page(
        session,
        select(Staff).where(Staff.merchant_id == merchant_id),
        keyset=STAFF_ORDER,
        merchant_id=merchant_id,
        limit=limit,
        cursor=cursor,
        key=lambda row: (row[0].id,),
    )
    return StaffPage(items=[StaffItem.model_validate(row[0]) for row in rows], next_cursor=next_cursor)


def add_staff(session: Session, actor: audit.Actor, request: StaffCreate, *, now: datetime) -> StaffItem:
    """A new staff member; the PIN is hashed here (argon2: call from a worker thread)."""
    pin_hash = hash_pin(request.pin)  # before any lock: with real costs it takes ~0.3 s
    lock_office_writes(session, actor.merchant_id)
    if request.store_id is not None:
        require_store(session, actor.merchant_id, request.store_id)
    staff = Staff(
        merchant_id=actor.merchant_id,
        store_id=request.store_id,
        name=request.name,
        role=request.role.value,
        pin_hash=pin_hash,
        is_active=True,
        change_no=next_change_number(session, actor.merchant_id),
        created_at=now,
        updated_at=now,
    )
    session.add(staff)
    session.flush()
    item = StaffItem.model_validate(staff)
    audit.record(
        session,
        actor,
        action="staff.create",
        target=f"staff:{staff.id}",
        old=None,
        new={**_values(item), "pin": audit.CHANGED},
        now=now,
    )
    return item


def change_staff(
    session: Session, actor: audit.Actor, staff_id: int, patch: StaffPatch, *, now: datetime
) -> StaffItem:
    """Apply the fields sent (a null name, role, PIN or is_active means unchanged); 404 if not ours."""
    changes = _changes(patch)
    if "pin" in changes:  # hashed before any lock is taken (argon2 is slow on purpose)
        changes["pin_hash"] = hash_pin(changes.pop("pin"))
    # The staff row first, then the counter: the order a batch naming them takes (cards, staff, counter).
    staff = session.get(Staff, staff_id, with_for_update=True)
    if staff is None or staff.merchant_id != actor.merchant_id:
        raise ApiError(404, "not_found", "No such staff member.")
    lock_office_writes(session, actor.merchant_id)
    if "store_id" in changes and changes["store_id"] is not None:
        require_store(session, actor.merchant_id, changes["store_id"])
    before = _values(StaffItem.model_validate(staff))
    old = {key: before[key] for key in changes if key != "pin_hash"}
    for key, value in changes.items():
        setattr(staff, key, value)
    if changes:
        staff.change_no = next_change_number(session, actor.merchant_id)
        staff.updated_at = now
        session.flush()
        after = _values(StaffItem.model_validate(staff))
        new = {key: after[key] for key in changes if key != "pin_hash"}
        if "pin_hash" in changes:
            old["pin"] = new["pin"] = audit.CHANGED
        audit.record(
            session, actor, action="staff.update", target=f"staff:{staff.id}", old=old, new=new, now=now
        )
    return StaffItem.model_validate(staff)


def _changes(patch: StaffPatch) -> dict[str, Any]:
    sent = patch.model_dump(include=patch.model_fields_set)
    changes = {key: value for key, value in sent.items() if value is not None or key == "store_id"}
    if "role" in changes:
        changes["role"] = changes["role"].value
    return changes


def _values(item: StaffItem) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude={"id"})
