"""The push path, top to bottom: claim the Idempotency-Key, answer its stored answer if it has one,
lock the cards and gather the facts, judge (the ledger rows written as the items are judged, the
answer made as the last rows are inserted), write the rest and store the answer, commit.

The route has authenticated the device and validated the body; the office import runs the same
steps for a till's exported file (`push_once`, in its own transaction with its audit row). Each
step is a call into the backend object (`server_stub.service.backend`, where PostgreSQL and
SQLite differ) or into the pure judge (`server_stub.service.judging`, over `sync.rules`).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, TypeVar

import orjson
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from server_stub.db import Database
from server_stub.service.auth import DeviceContext
from server_stub.service.backend import AnswerRow, Backend, LedgerWriter
from server_stub.service.judging import Judge, Judgement, Submitter, Verdict
from sync.protocol import Tx, TxStatus, uuid_texts

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A batch is judged in parts of this many items: PostgreSQL inserts and indexes one part's ledger
# rows on its own core while the server judges the next (docs/deployment.md, "Where a push's time goes").
PART = 50
R = TypeVar("R")


class PushStatus(enum.Enum):
    ANSWERED = "answered"  # judged and stored now
    REPLAYED = "replayed"  # the key's stored answer
    IN_PROGRESS = "in_progress"  # another request with this key is running: 409
    KEY_REUSED = "key_reused"  # the key was used with another body: 422
    UNKNOWN_VERSION = "unknown_version"  # an item cites a program version that does not exist: 422


@dataclass(frozen=True, slots=True)
class PushOutcome:
    status: PushStatus
    body: str = ""  # the JSON answer, when answered or replayed
    verdicts: Sequence[Verdict] = ()  # when answered
    server_time: datetime | None = None  # when answered: the time the batch was judged at
    unknown_version: tuple[int, int] | None = None  # (index, version)


@dataclass(frozen=True, slots=True)
class UnknownVersion:
    index: int
    version: int


def submitter_of(device: DeviceContext, *, calling: bool = True) -> Submitter:
    return Submitter(
        merchant_id=device.merchant_id,
        store_id=device.store_id,
        timezone=device.store_timezone,
        device_id=device.device_id,
        calling=calling,
    )


def push_batch(
    db: Database,
    in_flight: InFlightKeys,
    *,
    device: DeviceContext,
    key: str,
    request_hash: str,
    txs: Sequence[Tx],
    clock: Callable[[], datetime],
) -> PushOutcome:
    """A device's batch, applied once: the whole path in one transaction (run again on a conflict)."""
    with in_flight.claim(device.device_id, key) as claimed:
        if not claimed:
            return PushOutcome(PushStatus.IN_PROGRESS)
        work = functools.partial(
            push_once,
            submitter=submitter_of(device),
            key=key,
            request_hash=request_hash,
            txs=txs,
            clock=clock,
        )
        return run_in_transaction(db, work)


def push_once(
    session: Session,
    backend: Backend,
    *,
    submitter: Submitter,
    key: str | None,
    request_hash: str,
    txs: Sequence[Tx],
    clock: Callable[[], datetime],
) -> PushOutcome:
    """The steps in the caller's transaction (the caller commits). Without a key (an office
    import may have none), no key is claimed and no answer stored."""
    assert submitter.device_id is not None, "a push comes from a device"
    now = clock()
    if key is not None:
        claim = backend.claim_key(session, device_id=submitter.device_id, key=key)
        if claim.held_elsewhere:
            return PushOutcome(PushStatus.IN_PROGRESS)
        if claim.stored is not None:
            if claim.stored.request_hash != request_hash:
                return PushOutcome(PushStatus.KEY_REUSED)
            return PushOutcome(PushStatus.REPLAYED, body=claim.stored.response)
    ids = uuid_texts([tx.id for tx in txs])
    facts = backend.lock_and_gather(session, submitter, txs, ids)
    unknown = facts.unknown_version(txs)
    if unknown is not None:
        return PushOutcome(PushStatus.UNKNOWN_VERSION, unknown_version=unknown)
    judge = Judge(txs, facts, submitter=submitter, now=now)
    with backend.ledger(session, submitter, received_at=now) as ledger:
        judgement = judge_in_parts(judge, ledger, txs, ids)
        # The answer and the other writes are made while the database still inserts the ledger's
        # last rows (the push would wait for them otherwise).
        body = response_body(judgement.verdicts, server_time=now)
        answer = None
        if key is not None:
            top_seq = max(tx.seq for tx in txs)
            device = submitter.device_id
            answer = AnswerRow(device, key, submitter.merchant_id, request_hash, body, now, top_seq)
        writes = backend.writes(submitter, judgement, now=now, answer=answer)
    # The other writes and the stored answer go together (one round trip after the ledger's), the
    # merchant's change counter taken last in it: the commit follows at once, so the counter, which
    # every batch of the merchant takes, is held for as little as the commit needs.
    backend.write(session, writes)
    return PushOutcome(PushStatus.ANSWERED, body=body, verdicts=judgement.verdicts, server_time=now)


def judge_in_parts(judge: Judge, ledger: LedgerWriter, txs: Sequence[Tx], ids: Sequence[str]) -> Judgement:
    """The batch judged (pure) in parts of PART items, each part's ledger rows sent to the
    database while the next part is judged."""
    verdicts: list[Verdict] = []
    for start in range(0, len(txs), PART):
        part = judge.verdicts(txs[start : start + PART], ids[start : start + PART])
        ledger.append(part)
        verdicts += part
    return judge.judgement(verdicts)


def apply_batch(
    session: Session, backend: Backend, submitter: Submitter, txs: Sequence[Tx], *, now: datetime
) -> list[Verdict] | UnknownVersion:
    """A batch without an Idempotency-Key: lock the cards and gather the facts, judge and write
    the ledger, write the rest (the caller commits)."""
    ids = uuid_texts([tx.id for tx in txs])
    facts = backend.lock_and_gather(session, submitter, txs, ids)
    unknown = facts.unknown_version(txs)
    if unknown is not None:
        return UnknownVersion(*unknown)
    with backend.ledger(session, submitter, received_at=now) as ledger:
        judgement = judge_in_parts(Judge(txs, facts, submitter=submitter, now=now), ledger, txs, ids)
        writes = backend.writes(submitter, judgement, now=now)
    backend.write(session, writes)
    return judgement.verdicts


def apply_server_batch(
    session: Session, backend: Backend, submitter: Submitter, txs: Sequence[Tx], *, now: datetime
) -> list[Verdict]:
    """A batch the server makes itself (expiry, the demo's seed): it cites no program version."""
    applied = apply_batch(session, backend, submitter, txs, now=now)
    assert not isinstance(applied, UnknownVersion), "the server's own transactions cite no version"
    return applied


def run_in_transaction(db: Database, work: Callable[..., R]) -> R:
    """`work(session, backend)` in a transaction that commits when it returns; run again (at most
    MAX_ATTEMPTS times) when the database finds a conflict only a concurrent commit explains: a
    transaction id or order reference another card's batch stored first (no lock is shared
    across cards), a deadlock, a dropped connection. Nothing of a failed attempt remains."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with db.session() as session, session.begin():
                return work(session, db.backend)
        except (IntegrityError, OperationalError) as exc:
            if attempt == MAX_ATTEMPTS:
                raise
            log.info("batch retried after %s (attempt %d)", type(exc.orig).__name__, attempt)
    raise AssertionError("unreachable")


class InFlightKeys:
    """Keys being processed in this process (PostgreSQL's advisory lock adds the other processes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[tuple[str, str]] = set()

    @contextmanager
    def claim(self, device_id: str, key: str) -> Iterator[bool]:
        """Whether this request has the key (False: another request of this process has it)."""
        token = (device_id, key)
        with self._lock:
            claimed = token not in self._keys
            self._keys.add(token)
        try:
            yield claimed
        finally:
            if claimed:
                with self._lock:
                    self._keys.discard(token)


def canonical_hash(value: object) -> str:
    """SHA-256 of the JSON value in canonical form: keys sorted, no insignificant whitespace.

    The value is as `routes.body.load_json` parses it (numbers beyond 64-bit integers are
    doubles, as RFC 8785 compares them), so serialising it back never fails.
    """
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


class CardJson(TypedDict):
    card_number: str
    stamp_count: int
    points_balance: int
    is_active: bool


class ResultJson(TypedDict):
    """One item's result, in the field order of `sync.protocol.PushResult`."""

    id: str
    status: str
    reason: str | None
    replayed: bool
    card: CardJson | None


def result_json(verdict: Verdict) -> ResultJson:
    card = verdict.card
    return {
        "id": verdict.id,
        "status": verdict.status.value,
        "reason": verdict.reason.value if verdict.reason is not None else None,
        "replayed": verdict.replayed,
        "card": None
        if card is None
        else {
            "card_number": card.card_number,
            "stamp_count": card.stamp_count,
            "points_balance": card.points_balance,
            "is_active": card.is_active,
        },
    }


def response_body(verdicts: Sequence[Verdict], *, server_time: datetime) -> str:
    """The answer's JSON (`sync.protocol.PushResponse`), for the push and the import alike."""
    body: dict[str, Any] = {
        "results": [result_json(verdict) for verdict in verdicts],
        "server_time": server_time,
    }
    return orjson.dumps(body, option=orjson.OPT_UTC_Z).decode()


def count_outcomes(verdicts: Sequence[Verdict]) -> dict[str, int]:
    """How many items were accepted, rejected and replayed (the import's audit)."""
    replayed = sum(1 for verdict in verdicts if verdict.replayed)
    accepted = sum(1 for verdict in verdicts if verdict.status == TxStatus.ACCEPTED and not verdict.replayed)
    rejected = len(verdicts) - accepted - replayed
    return {"transactions": len(verdicts), "accepted": accepted, "rejected": rejected, "replayed": replayed}
