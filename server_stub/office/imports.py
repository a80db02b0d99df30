"""Importing a till's export-pending file: applied exactly as that till's own push would be.

A revoked till's file is still imported: it holds sales made in the shop before the till
was lost or retired, and the ledger must not lose them; head office vouches for the file
by importing it. An import is not the till calling in, so the till's `last_seen_at` is
left as it was (its `last_seq` does move: those sequence numbers are now used).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from server_stub.db import Database
from server_stub.models import Device, Store
from server_stub.office import audit
from server_stub.office.reports import require_device
from server_stub.service.auth import DeviceContext
from server_stub.service.batch import BatchContext, apply_batch
from server_stub.service.push import MAX_ATTEMPTS, InFlightKeys, PushOutcome, handle_push
from sync.protocol import ImportRequest, PushRequest, PushResponse, PushResult, TxStatus

log = logging.getLogger(__name__)


def find_device(
    database: Database, actor: audit.Actor, device_id: str
) -> tuple[DeviceContext, datetime | None]:
    """The merchant's device as a push would see it (revoked or not), and when it was last seen; else 404."""
    with database.session() as session, session.begin():
        device = require_device(session, actor.merchant_id, device_id)
        store = session.get_one(Store, device.store_id)
        context = DeviceContext(
            device_id=device.id,
            merchant_id=device.merchant_id,
            store_id=store.id,
            store_name=store.name,
            store_timezone=store.timezone,
        )
        return context, device.last_seen_at


def import_file(
    database: Database,
    actor: audit.Actor,
    request: ImportRequest,
    *,
    key: str | None,
    request_hash: Callable[[], str],
    in_flight: InFlightKeys,
    clock: Callable[[], datetime],
) -> PushOutcome:
    """With an Idempotency-Key, the push service itself handles it; without, the batch is applied once."""
    device, last_seen = find_device(database, actor, request.device_id)
    if key is None:
        return _import_without_key(database, actor, device, request, last_seen=last_seen, clock=clock)
    outcome = handle_push(
        database,
        device=device,
        key=key,
        request_hash=request_hash,
        batch=PushRequest(transactions=request.transactions),
        in_flight=in_flight,
        clock=clock,
    )
    if not outcome.replayed:
        response = PushResponse.model_validate_json(outcome.body)
        with database.session() as session, session.begin():
            _restore_last_seen(
                session, device.device_id, last_seen=last_seen, import_time=response.server_time
            )
            _audit(session, actor, device, response.results, key=key, now=response.server_time)
    return outcome


def _import_without_key(
    database: Database,
    actor: audit.Actor,
    device: DeviceContext,
    request: ImportRequest,
    *,
    last_seen: datetime | None,
    clock: Callable[[], datetime],
) -> PushOutcome:
    ctx = BatchContext(
        merchant_id=device.merchant_id,
        store_id=device.store_id,
        timezone=device.store_timezone,
        device_id=device.device_id,
    )
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with database.session() as session, session.begin():
                now = clock()
                results = apply_batch(session, ctx, request.transactions, now=now)
                _restore_last_seen(session, device.device_id, last_seen=last_seen, import_time=now)
                _audit(session, actor, device, results, key=None, now=now)
                return PushOutcome(
                    body=PushResponse(results=results, server_time=now).model_dump_json(), replayed=False
                )
        except (IntegrityError, OperationalError) as exc:
            # As a push: a concurrent batch took an id, order reference or card number first.
            if attempt == MAX_ATTEMPTS:
                raise
            log.info("import retried after %s (attempt %d)", type(exc.orig).__name__, attempt)
    raise AssertionError("unreachable")


def _restore_last_seen(
    session: Session, device_id: str, *, last_seen: datetime | None, import_time: datetime
) -> None:
    session.execute(
        update(Device)
        .where(Device.id == device_id, Device.last_seen_at == import_time)
        .values(last_seen_at=last_seen)
    )


def _audit(
    session: Session,
    actor: audit.Actor,
    device: DeviceContext,
    results: list[PushResult],
    *,
    key: str | None,
    now: datetime,
) -> None:
    accepted = sum(1 for result in results if result.status == TxStatus.ACCEPTED and not result.replayed)
    replayed = sum(1 for result in results if result.replayed)
    audit.record(
        session,
        actor,
        action="import",
        target=f"device:{device.device_id}",
        old=None,
        new={
            "transactions": len(results),
            "accepted": accepted,
            "rejected": len(results) - accepted - replayed,
            "replayed": replayed,
            "idempotency_key": key,
        },
        now=now,
    )
