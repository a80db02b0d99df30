"""Importing a till's export-pending file: the push path for that till, with head office's audit row.

A revoked till's file is still imported: it holds sales made in the shop before the till
was lost or retired, and the ledger must not lose them; head office vouches for the file
by importing it. An import is not the till calling in, so the till's `last_seen_at` is
left as it was (its `last_seq` does move: those sequence numbers are now used).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from server_stub.db import Database
from server_stub.models import Store
from server_stub.office import audit
from server_stub.office.reports import require_device
from server_stub.service.auth import DeviceContext
from server_stub.service.backend import Backend
from server_stub.service.push import (
    InFlightKeys,
    PushOutcome,
    PushStatus,
    count_outcomes,
    push_once,
    run_in_transaction,
    submitter_of,
)
from sync.protocol import ImportRequest


def find_device(database: Database, actor: audit.Actor, device_id: str) -> DeviceContext:
    """The merchant's device as a push would see it (revoked or not); else 404."""
    with database.read_session() as session, session.begin():
        device = require_device(session, actor.merchant_id, device_id)
        store = session.get_one(Store, device.store_id)
        return DeviceContext(
            device_id=device.id,
            merchant_id=device.merchant_id,
            store_id=store.id,
            store_name=store.name,
            store_timezone=store.timezone,
        )


def import_file(
    database: Database,
    in_flight: InFlightKeys,
    actor: audit.Actor,
    request: ImportRequest,
    *,
    key: str | None,
    request_hash: str,
    clock: Callable[[], datetime],
) -> PushOutcome:
    """The file applied as its till's push (with the key, if given), audited in the same transaction."""
    device = find_device(database, actor, request.device_id)
    work = functools.partial(
        _import_once,
        device=device,
        actor=actor,
        request=request,
        key=key,
        request_hash=request_hash,
        clock=clock,
    )
    if key is None:
        return run_in_transaction(database, work)
    with in_flight.claim(device.device_id, key) as claimed:
        if not claimed:
            return PushOutcome(PushStatus.IN_PROGRESS)
        return run_in_transaction(database, work)


def _import_once(
    session: Session,
    backend: Backend,
    *,
    device: DeviceContext,
    actor: audit.Actor,
    request: ImportRequest,
    key: str | None,
    request_hash: str,
    clock: Callable[[], datetime],
) -> PushOutcome:
    outcome = push_once(
        session,
        backend,
        submitter=submitter_of(device, calling=False),
        key=key,
        request_hash=request_hash,
        txs=request.transactions,
        clock=clock,
    )
    if outcome.status is PushStatus.ANSWERED:
        assert outcome.server_time is not None
        audit.record(
            session,
            actor,
            action="import",
            target=f"device:{device.device_id}",
            old=None,
            new={**count_outcomes(outcome.verdicts), "idempotency_key": key},
            now=outcome.server_time,
        )
    return outcome
