"""Head-office writes on tills and the program: revoke a till, issue an enrolment code, change the program."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server_stub.db import is_postgres
from server_stub.models import ChangeCounter, Device
from server_stub.office import audit
from server_stub.office.reports import require_device, require_store
from server_stub.office.schemas import EnrolmentCodeResponse
from server_stub.service.allowances import release_holds
from server_stub.service.backend import backend_for
from server_stub.service.enrolment import create_enrolment_code
from server_stub.service.programs import current_program, save_program_version
from sync.protocol import Program, ProgramFields


def lock_office_writes(session: Session, merchant_id: int) -> None:
    """Serialise the merchant's office writes (program, staff) on its change counter row.

    Taken first, before reading what is about to change, so two concurrent writes never
    compute the same next program version or audit stale "old" values. Office writes lock
    no cards, and a staff change locks its staff row before this, so the batch's lock order
    (cards, staff, then the counter) cannot deadlock with them.
    """
    session.execute(
        select(ChangeCounter.value).where(ChangeCounter.merchant_id == merchant_id).with_for_update()
    )


def revoke_device(session: Session, actor: audit.Actor, device_id: str, *, now: datetime) -> None:
    """The till's token stops working at once; its ledger stays, and what cards held for its offline
    use goes back to them. Revoking twice changes nothing."""
    device = require_device(session, actor.merchant_id, device_id)
    if device.revoked_at is not None:
        return
    # The till's own lock first (a push of its holds it before its cards), then its row and cards.
    backend_for(postgres=is_postgres(session)).lock_device(session, device.id)
    session.execute(update(Device).where(Device.id == device.id).values(revoked_at=now))
    release_holds(session, merchant_id=actor.merchant_id, device_id=device.id, why="till revoked", now=now)
    audit.record(
        session,
        actor,
        action="device.revoke",
        target=f"device:{device.id}",
        old={"revoked": False},
        new={"revoked": True, "revoked_at": now.isoformat()},
        now=now,
    )


def issue_enrolment_code(
    session: Session, actor: audit.Actor, store_id: int, *, now: datetime
) -> EnrolmentCodeResponse:
    """A one-time code for a new till at the merchant's store (the code itself is never audited)."""
    store = require_store(session, actor.merchant_id, store_id)
    code, expires_at = create_enrolment_code(session, actor.merchant_id, store.id, now=now)
    audit.record(
        session,
        actor,
        action="enrolment_code.create",
        target=f"store:{store.id}",
        old=None,
        new={"store_id": store.id, "expires_at": expires_at.isoformat()},
        now=now,
    )
    return EnrolmentCodeResponse(enrolment_code=code, expires_at=expires_at)


def replace_program(session: Session, actor: audit.Actor, fields: ProgramFields, *, now: datetime) -> Program:
    """Store `fields` as the next version with a new change number, so tills pull it; older versions stay."""
    lock_office_writes(session, actor.merchant_id)
    before = current_program(session, actor.merchant_id)
    after = save_program_version(session, merchant_id=actor.merchant_id, fields=fields, now=now)
    audit.record(
        session,
        actor,
        action="program.update",
        target="program",
        old=before.model_dump(mode="json"),
        new=after.model_dump(mode="json"),
        now=now,
    )
    return after
