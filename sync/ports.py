"""What the sync engine needs from a till's local ledger; the ledger implements it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sync.protocol import AllowanceRequest, AllowanceResponse, CardState, PullResponse, PushResult, Tx


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who this till is, as the server enrolled it. The token is a secret: never log it."""

    device_id: str
    token: str
    server_url: str
    store_id: int
    store_name: str
    store_timezone: str
    merchant_id: int
    merchant_name: str

    def __repr__(self) -> str:  # keeps the token out of logs and tracebacks
        return f"DeviceIdentity(device_id={self.device_id!r}, store_id={self.store_id})"


@dataclass(frozen=True, slots=True)
class PendingSummary:
    count: int
    oldest_recorded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A card whose till view differed from the server's after a sync (then repaired)."""

    card_number: str
    local: CardState
    server: CardState


class LedgerPort(Protocol):
    """The local ledger as the sync engine sees it. Every method is one local transaction."""

    def identity(self) -> DeviceIdentity | None:
        """The enrolled identity, or None before enrolment."""
        ...

    def save_identity(self, identity: DeviceIdentity) -> None: ...

    def pending_transactions(self, limit: int, after_seq: int | None = None) -> list[Tx]:
        """Up to `limit` pending transactions in the wire form, lowest seq first; with
        `after_seq`, only those whose seq is above it."""
        ...

    def pending_summary(self) -> PendingSummary: ...

    def apply_push_results(self, sent: Sequence[Tx], results: Sequence[PushResult]) -> None:
        """Commit the server's answers: each sent transaction leaves pending (accepted or
        rejected with its reason) and each answered card state becomes that card's
        confirmed state. All or nothing; raises ValueError if results do not match `sent`."""
        ...

    def pull_cursor(self) -> str | None: ...

    def apply_pull_page(self, page: PullResponse) -> None:
        """Apply a pulled page (program, staff, cards) and store its cursor, atomically."""
        ...

    def reconcile(self, server_cards: Sequence[CardState]) -> list[Mismatch]:
        """Convergence check: for each given card with nothing pending, compare the till's
        view to the server's state; repair and return the mismatches."""
        ...

    def record_sync(self, *, at: datetime, succeeded: bool, message: str | None = None) -> None:
        """Remember the outcome of a sync round (last success time, last error)."""
        ...

    def allowance_request(self) -> AllowanceRequest | None:
        """What to tell the server when asking for this till's allowances (its clock, read first,
        and the highest seq it has recorded), or None when there is nothing to ask (protocol v1.1)."""
        ...

    def apply_allowances(self, answer: AllowanceResponse) -> None:
        """The till's allowances become the answer's, atomically."""
        ...
