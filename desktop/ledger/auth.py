"""Staff PIN login on the till: argon2-verified offline, with a lockout counted and persisted here."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desktop.ledger.context import Context, TillConfig
from desktop.ledger.errors import (
    LockedOut,
    NotEnrolled,
    NotFound,
    Refused,
    SessionLockedOut,
    StaffInactive,
    UnknownStaff,
    WrongPin,
)
from desktop.ledger.models import staff, staff_logins, staff_unlocks
from desktop.ledger.views import StaffUnlock, StaffView
from sync.pins import verify_pin as argon2_verify
from sync.protocol import Reason, Role

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


def _usable_row(conn: Connection, config: TillConfig, staff_id: int) -> Row[Any]:
    """The staff member's row if they may work at this till; raises the reason otherwise."""
    if config.identity is None:
        raise NotEnrolled()
    row = conn.execute(select(staff).where(staff.c.id == staff_id)).first()
    if row is None or (row.store_id is not None and row.store_id != config.identity.store_id):
        raise UnknownStaff()
    if not row.is_active:
        raise StaffInactive()
    return row


def verify(ctx: Context, staff_id: int, pin: str, *, now: datetime | None = None) -> StaffView:
    """Check a staff member's PIN at this till, counting failures; raises a LedgerError when refused."""
    moment = now or ctx.now()
    with ctx.db.read() as conn:
        config = ctx.config.current(conn)
        row = _usable_row(conn, config, staff_id)
        locked = _locked_until(conn, staff_id, moment)
    if locked is not None:
        raise LockedOut(locked)
    # argon2 runs outside any transaction: it is slow on purpose and must not hold the write lock.
    matches = argon2_verify(row.pin_hash, pin)
    with ctx.db.write() as conn:
        locked = _locked_until(conn, staff_id, moment)
        if locked is not None:  # another attempt locked it meanwhile
            raise LockedOut(locked)
        if matches:
            _store(conn, staff_id, failed=0, locked_until=None, last_login_at=moment)
            return staff_view(row)
        failure = _count_failure(conn, config, staff_id, moment)
    raise failure


def approve(
    ctx: Context,
    requester: StaffView,
    approver_id: int,
    pin: str,
    *,
    at_least: Role,
    now: datetime | None = None,
) -> StaffView:
    """A manager (or owner) approves an action inside another staff member's session with their PIN.

    A wrong PIN counts against the session asking (the requester's own lockout), never against the
    approver's: nobody can lock a manager or the owner out from someone else's session.
    """
    moment = now or ctx.now()
    with ctx.db.read() as conn:
        config = ctx.config.current(conn)
        row = _usable_row(conn, config, approver_id)
        if not Role(row.role).at_least(at_least):
            raise Refused(Reason.NOT_PERMITTED)
        session_locked = _locked_until(conn, requester.id, moment)
        approver_locked = _locked_until(conn, approver_id, moment)
    if session_locked is not None:
        raise SessionLockedOut(session_locked)
    if approver_locked is not None:
        raise LockedOut(approver_locked)
    matches = argon2_verify(row.pin_hash, pin)
    with ctx.db.write() as conn:
        if matches:
            _store(conn, requester.id, failed=0, locked_until=None)
            return staff_view(row)
        failure = _count_failure(conn, config, requester.id, moment)
    if isinstance(failure, LockedOut):
        raise SessionLockedOut(failure.until)
    raise failure


def _count_failure(
    conn: Connection, config: TillConfig, staff_id: int, moment: datetime
) -> WrongPin | LockedOut:
    """One more wrong PIN for `staff_id`: the error to raise (a lockout once the attempts are used)."""
    max_attempts, lockout_minutes = _limits(config)
    failed = _failures_so_far(conn, staff_id) + 1
    if failed >= max_attempts:
        until = moment + timedelta(minutes=lockout_minutes)
        _store(conn, staff_id, failed=0, locked_until=until)
        log.warning("staff %s locked out after %s wrong PINs", staff_id, failed)
        return LockedOut(until)
    _store(conn, staff_id, failed=failed, locked_until=None)
    return WrongPin(max_attempts - failed)


def locked_out(ctx: Context, *, now: datetime | None = None) -> list[tuple[StaffView, datetime]]:
    """Staff members locked out at this till right now, with when their lockout ends."""
    moment = now or ctx.now()
    query = (
        select(staff, staff_logins.c.locked_until)
        .join(staff_logins, staff_logins.c.staff_id == staff.c.id)
        .where(staff_logins.c.locked_until > moment)
        .order_by(staff.c.name, staff.c.id)
    )
    with ctx.db.read() as conn:
        return [(staff_view(row), row.locked_until) for row in conn.execute(query)]


def unlock(ctx: Context, unlocker: StaffView, staff_id: int, *, now: datetime | None = None) -> None:
    """A manager or the owner ends a colleague's lockout (of their own rank or below); the till keeps
    who unlocked whom and when in `staff_unlocks` (a local log: it is no ledger transaction)."""
    moment = now or ctx.now()
    if not unlocker.role.at_least(Role.STORE_MANAGER):
        raise Refused(Reason.NOT_PERMITTED)
    with ctx.db.write() as conn:
        target = conn.execute(select(staff.c.role).where(staff.c.id == staff_id)).scalar_one_or_none()
        if target is not None and not unlocker.role.at_least(Role(target)):
            raise Refused(Reason.NOT_PERMITTED)
        until = _locked_until(conn, staff_id, moment)
        if target is None or until is None:
            raise NotFound("locked-out staff member")
        _store(conn, staff_id, failed=0, locked_until=None)
        conn.execute(
            insert(staff_unlocks).values(
                staff_id=staff_id, unlocked_by=unlocker.id, unlocked_at=moment, locked_until=until
            )
        )
    log.info("staff %s unlocked by staff %s", staff_id, unlocker.id)


def unlocks(ctx: Context) -> list[StaffUnlock]:
    """Every unlock made at this till, newest first."""
    query = select(staff_unlocks).order_by(staff_unlocks.c.id.desc())
    with ctx.db.read() as conn:
        return [
            StaffUnlock(
                staff_id=row.staff_id,
                unlocked_by=row.unlocked_by,
                unlocked_at=row.unlocked_at,
                locked_until=row.locked_until,
            )
            for row in conn.execute(query)
        ]


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
