"""Frozen views the ledger hands out: the UI and the sync engine never hold a row or a session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sync.protocol import Reason, Role, TransactionType

SyncState = Literal["pending", "accepted", "rejected"]
# What a redemption is at this till now (docs/allowances.md): within its allowance (covered), sent
# at once (online), neither (at risk: a manager's PIN, or refused), or the programme has none (off).
CoverageKind = Literal["covered", "online", "at_risk", "off"]


@dataclass(frozen=True, slots=True)
class StaffView:
    id: int
    name: str
    role: Role
    store_id: int | None
    is_active: bool


@dataclass(frozen=True, slots=True)
class CardView:
    """The till's view of a card (confirmed state plus pending transactions) and the confirmed part."""

    card_number: str
    customer_name: str | None
    stamp_count: int
    points_balance: int
    is_active: bool
    pending_count: int
    has_pending: bool
    confirmed_stamp_count: int
    confirmed_points_balance: int


@dataclass(frozen=True, slots=True)
class Coverage:
    """This till's allowance on one card, as it stands now (docs/allowances.md).

    `points` and `stamps` are what is left of it, by the till's clock (0 once it has ended);
    `valid_until` is None when there is none. `online`: the till's last sync succeeded moments ago.
    """

    allowances_on: bool  # the programme grants allowances, or this till still holds some
    allowance_id: str | None
    points: int
    stamps: int
    valid_until: datetime | None
    online: bool
    at_risk_allowed: bool  # the programme allows at-risk redemptions (with a manager's PIN)

    def covers(self, *, points: int = 0, stamps: int = 0) -> bool:
        """A redemption of `points` and `stamps` fits in what is left of the allowance."""
        return self.allowance_id is not None and 0 <= points <= self.points and 0 <= stamps <= self.stamps

    def kind(self, *, points: int = 0, stamps: int = 0) -> CoverageKind:
        if self.covers(points=points, stamps=stamps):
            return "covered"
        if not self.allowances_on:
            return "off"
        return "online" if self.online else "at_risk"


@dataclass(frozen=True, slots=True)
class TransactionView:
    id: str
    seq: int
    type: TransactionType
    card_number: str
    staff_id: int
    stamps_delta: int
    points_delta: int
    purchase_amount_cents: int | None
    order_reference: str | None
    reward_id: str | None
    related_transaction_id: str | None
    notes: str | None
    transaction_at: datetime
    recorded_at: datetime
    sync_state: SyncState
    reason: Reason | None
    reason_text: str | None
    acknowledged: bool
    remaining_voidable: int | None  # for stamp_earned / points_earned: what is left to void
    reward_name: str | None = None  # points_redeemed: the reward's name when it was redeemed
    # A rejected one: head office's state (open, acknowledged, compensated, customer_owes) and note.
    office_state: str | None = None
    office_note: str | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a verb returns: the transaction written and the card's view after it."""

    transaction: TransactionView
    card: CardView


@dataclass(frozen=True, slots=True)
class TodayTotals:
    """This till's transactions of the store-local day (rejected ones counted apart, not summed).

    Given figures are net of the day's voids, as the server's summary sums them."""

    day: date
    counts: Mapping[TransactionType, int]  # non-rejected transactions by type
    stamps_by_type: Mapping[TransactionType, int]  # their summed stamps_delta by type
    points_by_type: Mapping[TransactionType, int]  # their summed points_delta by type
    transactions: int
    stamps_given: int  # stamp_earned less the stamps voided
    stamps_voided: int
    stamps_redeemed: int
    points_given: int  # points_earned and welcome_bonus, less the points voided
    points_voided: int
    points_redeemed: int
    rewards_redeemed: int  # points_redeemed and stamp_redeemed
    voids: int
    rejected: int
    pending_count: int


@dataclass(frozen=True, slots=True)
class StaffUnlock:
    """A lockout ended at this till: whose, by whom, when, and when it would have ended."""

    staff_id: int
    unlocked_by: int
    unlocked_at: datetime
    locked_until: datetime


PurchaseLimitBasis = Literal["setting", "average", "default"]


@dataclass(frozen=True, slots=True)
class PurchaseLimit:
    """Above this purchase (minor units of the programme's currency) a manager must approve, and why
    it is this much: set for the till, 100 x its average purchase, or the default."""

    cents: int
    basis: PurchaseLimitBasis


@dataclass(frozen=True, slots=True)
class SyncStatus:
    pending_count: int
    oldest_pending_at: datetime | None
    last_sync_at: datetime | None
    last_sync_error: str | None
    cursor: str | None
    rejections_open: int = 0  # rejected by the server, not yet acknowledged by a manager
    # Redemptions waiting to sync: within an allowance (the server accepts them), and not.
    pending_covered: int = 0
    pending_at_risk: int = 0
