"""Staff PIN login on the till: argon2-verified offline, with a lockout counted and persisted here."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desktop.ledger.context import Context, TillConfig
from desktop.ledger.errors import LockedOut, NotEnrolled, StaffInactive, UnknownStaff, WrongPin
from desktop.ledger.models import staff, staff_logins
from desktop.ledger.views import StaffView
from sync.pins import verify_pin as argon2_verify
from sync.protocol import Role

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_LOCKOUT_MINUTES = 15


def staff_view(row: Row[Any]) -> StaffView:
    return StaffView(
        id=row.id, name=row.name, role=Role(row.role), store_id=row.store_id, is_active=bool(row.is_active)
    )


def staff_members(ctx: Context) -> list[StaffView]:
    with ctx.db.read() as conn:
        rows = conn.execute(select(staff).order_by(staff.c.name, staff.c.id)).all()
    return [staff_view(row) for row in rows]


def _limits(config: TillConfig) -> tuple[int, int]:
    program = config.program
    if program is None:
        return DEFAULT_MAX_ATTEMPTS, DEFAULT_LOCKOUT_MINUTES
    return program.pin_max_attempts, program.pin_lockout_minutes


def _locked_until(conn: Connection, staff_id: int, now: datetime) -> datetime | None:
    until = conn.execute(
        select(staff_logins.c.locked_until).where(staff_logins.c.staff_id == staff_id)
    ).scalar_one_or_none()
    return until if until is not None and until > now else None


def verify(ctx: Context, staff_id: int, pin: str, *, now: datetime | None = None) -> StaffView:
    """Check a staff member's PIN at this till, counting failures; raises a LedgerError when refused."""
    moment = now or ctx.now()
    with ctx.db.read() as conn:
        config = ctx.config.current(conn)
        if config.identity is None:
            raise NotEnrolled()
        row = conn.execute(select(staff).where(staff.c.id == staff_id)).first()
        if row is None or (row.store_id is not None and row.store_id != config.identity.store_id):
            raise UnknownStaff()
        if not row.is_active:
            raise StaffInactive()
        locked = _locked_until(conn, staff_id, moment)
    if locked is not None:
        raise LockedOut(locked)
    # argon2 runs outside any transaction: it is slow on purpose and must not hold the write lock.
    matches = argon2_verify(row.pin_hash, pin)
    max_attempts, lockout_minutes = _limits(config)
    with ctx.db.write() as conn:
        locked = _locked_until(conn, staff_id, moment)
        if locked is not None:  # another attempt locked it meanwhile
            raise LockedOut(locked)
        if matches:
            _store(conn, staff_id, failed=0, locked_until=None, last_login_at=moment)
            return staff_view(row)
        failed = _failures_so_far(conn, staff_id) + 1
        if failed >= max_attempts:
            until = moment + timedelta(minutes=lockout_minutes)
            _store(conn, staff_id, failed=0, locked_until=until)
            log.warning("staff %s locked out after %s wrong PINs", staff_id, failed)
            failure: WrongPin | LockedOut = LockedOut(until)
        else:
            _store(conn, staff_id, failed=failed, locked_until=None)
            failure = WrongPin(max_attempts - failed)
    raise failure


def _failures_so_far(conn: Connection, staff_id: int) -> int:
    failed = conn.execute(
        select(staff_logins.c.failed_attempts).where(staff_logins.c.staff_id == staff_id)
    ).scalar_one_or_none()
    return failed or 0


def _store(
    conn: Connection,
    staff_id: int,
    *,
    failed: int,
    locked_until: datetime | None,
    last_login_at: datetime | None = None,
) -> None:
    values: dict[str, object] = {"failed_attempts": failed, "locked_until": locked_until}
    if last_login_at is not None:
        values["last_login_at"] = last_login_at
    statement = sqlite_insert(staff_logins).values(staff_id=staff_id, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["staff_id"], set_=values))
