"""Turning a fresh till into an enrolled device: by one-time code, or by adopting a known token."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sync.engine import SyncEngine
from sync.errors import AlreadyEnrolled, Offline
from sync.lock import RoundLock
from sync.ports import DeviceIdentity, LedgerPort
from sync.transport import DEFAULT_TIMEOUT, SyncClient

log = logging.getLogger(__name__)


def enrol(
    ledger: LedgerPort,
    server_url: str,
    code: str,
    device_name: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> DeviceIdentity:
    """Register with a one-time enrolment code, save the identity, then pull everything.

    Raises AlreadyEnrolled when the ledger has an identity, EnrolmentRefused for a bad
    code, Offline when the server cannot be reached (nothing is saved then). Once the code
    is accepted the identity is saved even if the first pull fails (the next sync pulls).
    """
    existing = ledger.identity()
    if existing is not None:
        raise AlreadyEnrolled(existing.device_id)
    with SyncClient(server_url, timeout=timeout) as anonymous:
        answer = anonymous.register(code, device_name)
    identity = DeviceIdentity(
        device_id=answer.device_id,
        token=answer.token,
        server_url=server_url.rstrip("/"),
        store_id=answer.store.id,
        store_name=answer.store.name,
        store_timezone=answer.store.timezone,
        merchant_id=answer.merchant.id,
        merchant_name=answer.merchant.name,
    )
    ledger.save_identity(identity)
    log.info("enrolled as device %s of store %d", identity.device_id, identity.store_id)
    first_pull(ledger, identity, timeout=timeout)
    return identity


def adopt_device(
    ledger: LedgerPort,
    server_url: str,
    device_id: str,
    token: str,
    *,
    merchant_id: int = 0,
    merchant_name: str = "",
    timeout: float = DEFAULT_TIMEOUT,
) -> DeviceIdentity:
    """Use a device token issued elsewhere (the demo's seed output): check it with a pull,
    save the identity, then pull everything. The pull names the store; the merchant comes
    from the caller (the pull does not carry it).

    Adopting the device the ledger already has only refreshes it; another is refused.
    """
    existing = ledger.identity()
    if existing is not None and existing.device_id != device_id:
        raise AlreadyEnrolled(existing.device_id)
    with SyncClient(server_url, token, timeout=timeout) as client:
        page = client.pull(None, 1)  # raises AuthFailed for a bad token: nothing saved
    identity = DeviceIdentity(
        device_id=device_id,
        token=token,
        server_url=server_url.rstrip("/"),
        store_id=page.store.id,
        store_name=page.store.name,
        store_timezone=page.store.timezone,
        merchant_id=merchant_id,
        merchant_name=merchant_name,
    )
    ledger.save_identity(identity)
    log.info("adopted device %s of store %d", device_id, identity.store_id)
    first_pull(ledger, identity, timeout=timeout)
    return identity


def engine_for(
    ledger: LedgerPort,
    identity: DeviceIdentity,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    lock: RoundLock | None = None,
) -> SyncEngine:
    """A sync engine talking to the identity's server with its token."""
    client = SyncClient(identity.server_url, identity.token, timeout=timeout)
    return SyncEngine(ledger, client, lock=lock)


def first_pull(ledger: LedgerPort, identity: DeviceIdentity, *, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Pull the program, staff and cards, and record it as a successful sync (the till then
    shows when it last synced); False when the server could not be reached (the enrolment
    stands: its code is used up, and the next sync pulls)."""
    engine = engine_for(ledger, identity, timeout=timeout)
    try:
        engine.pull_all()
        ledger.record_sync(at=datetime.now(UTC), succeeded=True)
    except Offline as error:
        log.warning("enrolled, but the first pull failed: %s", error.message)
        return False
    finally:
        engine.close()
    return True
