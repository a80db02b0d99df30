"""The push endpoint's work: batch idempotency (stored hash and response), retries, atomic apply."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import orjson
from sqlalchemy import BigInteger, bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from server_stub.db import Database
from server_stub.models import IdempotencyKey
from server_stub.service.auth import DeviceContext
from server_stub.service.batch import Answer, BatchContext, Gate, answer_json, judge_batch
from server_stub.service.bulk import Query
from server_stub.service.facts import Lookup
from sync.protocol import PushRequest

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


class KeyInProgress(Exception):
    """Another request with this Idempotency-Key is being processed right now."""


class KeyReused(Exception):
    """The Idempotency-Key was used before with a different body."""


class _StoredAnswer(Exception):
    """The Idempotency-Key was used before with this body: its stored response answers."""

    def __init__(self, body: str) -> None:
        super().__init__("stored response")
        self.body = body


@dataclass(frozen=True, slots=True)
class PushOutcome:
    body: str  # the JSON response
    replayed: bool


class InFlightKeys:
    """Keys being processed in this process (PostgreSQL adds an advisory lock across processes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[tuple[str, str]] = set()

    @contextmanager
    def claim(self, device_id: str, key: str) -> Iterator[None]:
        token = (device_id, key)
        with self._lock:
            if token in self._keys:
                raise KeyInProgress
            self._keys.add(token)
        try:
            yield
        finally:
            with self._lock:
                self._keys.discard(token)


def canonical_hash(value: object) -> str:
    """SHA-256 of the JSON value in canonical form: keys sorted, no insignificant whitespace.

    The value is as `routes.body.load_json` parses it (numbers beyond 64-bit integers are
    doubles, as RFC 8785 compares them), so serialising it back never fails.
    """
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def handle_push(
    db: Database,
    *,
    device: DeviceContext,
    key: str,
    request_hash: Callable[[], str],
    batch: PushRequest,
    in_flight: InFlightKeys,
    clock: Callable[[], datetime],
) -> PushOutcome:
    """Apply the batch once: replays answer the stored response; a crash leaves no trace.

    `request_hash` gives the body's canonical hash; it is computed once, when first needed
    (for a new key, while the database stores the batch's last ledger rows).
    """
    request_hash = cache(request_hash)
    with in_flight.claim(device.device_id, key):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with db.session() as session, session.begin():
                    return _push_once(
                        db,
                        session,
                        device=device,
                        key=key,
                        request_hash=request_hash,
                        batch=batch,
                        now=clock(),
                        presume_new_ids=attempt == 1,
                    )
            except (IntegrityError, OperationalError) as exc:
                # A concurrent batch took an id, order reference or card number first (or a
                # deadlock victim), or an id presumed new was stored already: run again
                # against the now-committed state, looking every id up.
                if attempt == MAX_ATTEMPTS:
                    raise
                log.info("push retried after %s (attempt %d)", type(exc.orig).__name__, attempt)
    raise AssertionError("unreachable")


def _push_once(
    db: Database,
    session: Session,
    *,
    device: DeviceContext,
    key: str,
    request_hash: Callable[[], str],
    batch: PushRequest,
    now: datetime,
    presume_new_ids: bool,
) -> PushOutcome:
    stored: Query = (_STORED, {"device": device.device_id, "key": key})
    if db.is_postgres:  # the key's lock across processes, in the same round trip as its lookup
        lock_id = int.from_bytes(
            hashlib.sha256(f"{device.device_id}\n{key}".encode()).digest()[:8], "big", signed=True
        )
        lookup: Lookup[tuple[bool, Sequence[Any]]] = Lookup(
            ((_TRY_KEY_LOCK, {"lock": lock_id}), stored), lambda rows: (bool(rows[0][0][0]), rows[1])
        )
    else:
        lookup = Lookup((stored,), lambda rows: (True, rows[0]))

    def admit(found: tuple[bool, Sequence[Any]]) -> None:
        locked, rows = found
        if not locked:
            raise KeyInProgress
        if rows:
            [(stored_hash, stored_response)] = rows
            if stored_hash != request_hash():
                raise KeyReused
            raise _StoredAnswer(stored_response)

    ctx = BatchContext(
        merchant_id=device.merchant_id,
        store_id=device.store_id,
        timezone=device.store_timezone,
        device_id=device.device_id,
    )
    body = ""

    def store_response(answers: list[Answer]) -> list[Query]:
        """The key with its response, written with the batch's last writes."""
        nonlocal body
        body = response_body(answers, server_time=now)
        row = {
            "device_id": device.device_id,
            "key": key,
            "merchant_id": device.merchant_id,
            "request_hash": request_hash(),
            "response": body,
            "created_at": now,
        }
        return [(_STORE, row)]

    try:
        judge_batch(
            session,
            ctx,
            batch.transactions,
            now=now,
            presume_new_ids=presume_new_ids,
            then=store_response,
            gate=Gate(lookup, admit),  # the key's lock and lookup with the batch's facts: one round trip
        )
    except _StoredAnswer as replay:  # nothing was judged or written
        return PushOutcome(body=replay.body, replayed=True)
    return PushOutcome(body=body, replayed=False)


_TRY_KEY_LOCK = select(func.pg_try_advisory_xact_lock(bindparam("lock", type_=BigInteger)))
_STORED = select(IdempotencyKey.request_hash, IdempotencyKey.response).where(
    IdempotencyKey.device_id == bindparam("device"), IdempotencyKey.key == bindparam("key")
)
_STORE = insert(IdempotencyKey).values(
    {column: bindparam(column) for column in IdempotencyKey.__table__.columns.keys()}
)


def response_body(answers: list[Answer], *, server_time: datetime) -> str:
    """The `PushResponse` JSON, as `model_dump_json` writes it, serialised in one pass from plain values."""
    body = {"results": answer_json(answers), "server_time": server_time}
    return orjson.dumps(body, option=orjson.OPT_UTC_Z).decode()


def forget_old_keys(session: Session, *, now: datetime, keep: timedelta) -> int:
    """Drop Idempotency-Keys older than `keep` (at least 24 hours by contract)."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - keep))
    return int(result.rowcount)  # type: ignore[attr-defined]
