"""The till's ledger: one object the UI and the sync engine call, from any thread."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update

from desktop.ledger import allowances, auth, outbox, queries, verbs
from desktop.ledger.context import Clock, ConfigCache, Context, utc_now
from desktop.ledger.db import Database, open_database
from desktop.ledger.errors import NotFound, Refused
from desktop.ledger.models import REJECTED, transactions
from desktop.ledger.views import (
    CardView,
    Coverage,
    PurchaseLimit,
    Recorded,
    StaffUnlock,
    StaffView,
    SyncStatus,
    TodayTotals,
    TransactionView,
)
from sync.ports import DeviceIdentity, LedgerPort, Mismatch, PendingSummary
from sync.protocol import (
    AllowanceRequest,
    AllowanceResponse,
    CardState,
    ImportRequest,
    Program,
    PullResponse,
    PushResult,
    Reason,
    Role,
    Tx,
)

if TYPE_CHECKING:
    from sync.transport import ServerClock

log = logging.getLogger(__name__)


class Ledger:
    """Thread-safe: every call is its own short SQLite transaction; every verb commits before returning."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self._ctx = Context(db=db, clock=clock, config=ConfigCache())

    def close(self) -> None:
        self._ctx.db.dispose()

    def set_server_clock(self, reading: ServerClock | None) -> None:
        """The server's clock as a sync read it: new transactions are refused (ClockWrong) while the
        till's clock is more than 12 hours from it."""
        self._ctx.guard.set(reading)

    # --- identity and staff ---------------------------------------------------------------------

    def identity(self) -> DeviceIdentity | None:
        return outbox.identity(self._ctx)

    def save_identity(self, identity: DeviceIdentity) -> None:
        outbox.save_identity(self._ctx, identity)

    def staff_members(self) -> list[StaffView]:
        return auth.staff_members(self._ctx)

    def login(self, staff_id: int, pin: str, *, now: datetime | None = None) -> StaffView:
        return auth.verify(self._ctx, staff_id, pin, now=now)

    def approve(
        self, requester: StaffView, approver_id: int, pin: str, *, at_least: Role, now: datetime | None = None
    ) -> StaffView:
        """A manager or owner approves one action in `requester`'s session; wrong PINs count
        against the requester (SessionLockedOut once their attempts are used), not the approver."""
        return auth.approve(self._ctx, requester, approver_id, pin, at_least=at_least, now=now)

    def locked_out_staff(self, *, now: datetime | None = None) -> list[tuple[StaffView, datetime]]:
        return auth.locked_out(self._ctx, now=now)

    def unlock_staff(self, unlocker: StaffView, staff_id: int) -> None:
        """End a colleague's lockout (a manager or the owner; never someone above them); logged locally."""
        auth.unlock(self._ctx, unlocker, staff_id)

    def staff_unlocks(self) -> list[StaffUnlock]:
        return auth.unlocks(self._ctx)

    # --- verbs ----------------------------------------------------------------------------------

    def enrol_card(
        self,
        staff: StaffView,
        card_number: str,
        *,
        customer_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> Recorded:
        return verbs.enrol_card(
            self._ctx, staff, card_number, customer_name=customer_name, email=email, phone=phone
        )

    def add_stamp(self, staff: StaffView, card_number: str) -> Recorded:
        return verbs.add_stamp(self._ctx, staff, card_number)

    def redeem_stamps(
        self, staff: StaffView, card_number: str, *, approved_by: StaffView | None = None
    ) -> Recorded:
        """Offline and beyond the card's allowance: AtRiskNeedsApproval (a manager's approval
        needed, `approved_by`) or AtRiskForbidden (the programme allows only covered ones)."""
        return verbs.redeem_stamps(self._ctx, staff, card_number, approved_by=approved_by)

    def earn_points(
        self,
        staff: StaffView,
        card_number: str,
        *,
        purchase_amount_cents: int,
        order_reference: str | None,
        limit_cents: int | None = None,
        approved_by: StaffView | None = None,
    ) -> Recorded:
        return verbs.earn_points(
            self._ctx,
            staff,
            card_number,
            purchase_amount_cents=purchase_amount_cents,
            order_reference=order_reference,
            limit_cents=limit_cents,
            approved_by=approved_by,
        )

    def purchase_limit(self, configured_cents: int | None = None) -> PurchaseLimit:
        """The purchase above which a manager must approve (see queries.purchase_limit)."""
        return queries.purchase_limit(self._ctx, configured_cents)

    def redeem_reward(
        self, staff: StaffView, card_number: str, reward_id: str, *, approved_by: StaffView | None = None
    ) -> Recorded:
        """As redeem_stamps: covered by the till's allowance on the card, online, or at risk."""
        return verbs.redeem_reward(self._ctx, staff, card_number, reward_id, approved_by=approved_by)

    def void(self, staff: StaffView, transaction_id: str, *, points: int | None = None) -> Recorded:
        return verbs.void(self._ctx, staff, transaction_id, points=points)

    def adjust(
        self,
        staff: StaffView,
        card_number: str,
        *,
        stamps_delta: int = 0,
        points_delta: int = 0,
        reason: str,
    ) -> Recorded:
        return verbs.adjust(
            self._ctx, staff, card_number, stamps_delta=stamps_delta, points_delta=points_delta, reason=reason
        )

    def deactivate(self, staff: StaffView, card_number: str) -> Recorded:
        return verbs.deactivate(self._ctx, staff, card_number)

    def reactivate(self, staff: StaffView, card_number: str) -> Recorded:
        return verbs.reactivate(self._ctx, staff, card_number)

    # --- queries --------------------------------------------------------------------------------

    def program(self) -> Program | None:
        with self._ctx.db.read() as conn:
            return self._ctx.config.current(conn).program

    def coverage(self, card_number: str) -> Coverage:
        """This till's allowance on the card now: what a redemption would be (docs/allowances.md)."""
        return allowances.coverage(self._ctx, card_number)

    def find_card(self, card_number: str) -> CardView | None:
        return queries.find_card(self._ctx, card_number)

    def search_cards(self, text: str, *, limit: int = 20) -> list[CardView]:
        return queries.search_cards(self._ctx, text, limit=limit)

    def card_history(self, card_number: str, *, limit: int = 100) -> list[TransactionView]:
        return queries.card_history(self._ctx, card_number, limit=limit)

    def voidable(self, card_number: str) -> list[TransactionView]:
        return queries.voidable(self._ctx, card_number)

    def today_totals(self, *, now: datetime | None = None) -> TodayTotals:
        return queries.today_totals(self._ctx, now=now)

    def rejections(self, *, include_acknowledged: bool = False) -> list[TransactionView]:
        return queries.rejections(self._ctx, include_acknowledged=include_acknowledged)

    def acknowledge_rejection(self, transaction_id: str, staff: StaffView) -> None:
        """A store manager (or owner) has seen a rejected transaction; it leaves the open list."""
        if not staff.role.at_least(Role.STORE_MANAGER):
            raise Refused(Reason.NOT_PERMITTED)
        with self._ctx.db.write() as conn:
            done = conn.execute(
                update(transactions)
                .where(transactions.c.id == transaction_id, transactions.c.sync_state == REJECTED)
                .values(acknowledged=True, acknowledged_by=staff.id, acknowledged_at=self._ctx.now())
            )
            if done.rowcount != 1:
                raise NotFound("rejected transaction")

    def sync_status(self) -> SyncStatus:
        return queries.sync_status(self._ctx)

    # --- the sync engine's port (sync.ports.LedgerPort) -----------------------------------------

    def pending_transactions(self, limit: int, after_seq: int | None = None) -> list[Tx]:
        return outbox.pending_transactions(self._ctx, limit, after_seq)

    def pending_summary(self) -> PendingSummary:
        return outbox.pending_summary(self._ctx)

    def apply_push_results(self, sent: Sequence[Tx], results: Sequence[PushResult]) -> None:
        outbox.apply_push_results(self._ctx, sent, results)

    def pull_cursor(self) -> str | None:
        return outbox.pull_cursor(self._ctx)

    def apply_pull_page(self, page: PullResponse) -> None:
        outbox.apply_pull_page(self._ctx, page)

    def reconcile(self, server_cards: Sequence[CardState]) -> list[Mismatch]:
        return outbox.reconcile(self._ctx, server_cards)

    def record_sync(self, *, at: datetime, succeeded: bool, message: str | None = None) -> None:
        outbox.record_sync(self._ctx, at=at, succeeded=succeeded, message=message)

    def allowance_request(self) -> AllowanceRequest | None:
        return allowances.allowance_request(self._ctx)

    def apply_allowances(self, answer: AllowanceResponse) -> None:
        allowances.apply_allowances(self._ctx, answer)

    def export_pending(self) -> ImportRequest:
        return outbox.export_pending(self._ctx)


def _implements_the_sync_port(ledger: Ledger) -> LedgerPort:
    """Never called: mypy checks here that Ledger is the sync engine's LedgerPort."""
    return ledger


def open_ledger(path: Path, *, clock: Clock = utc_now) -> Ledger:
    """Open (creating folders and file if needed) and migrate the ledger at `path`."""
    return Ledger(open_database(Path(path)), clock=clock)


__all__ = ["Ledger", "open_ledger"]
