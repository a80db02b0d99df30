"""The till's local ledger: SQLite via SQLAlchemy 2, the till's verbs, PIN login, and the sync outbox."""

from __future__ import annotations

from desktop.ledger.errors import (
    ApprovalNeeded,
    ClockWrong,
    InvalidInput,
    LedgerError,
    LockedOut,
    NoProgram,
    NotEnrolled,
    NotFound,
    NothingPending,
    Refused,
    SessionLockedOut,
    StaffInactive,
    UnknownStaff,
    WrongPin,
)
from desktop.ledger.ledger import Ledger, open_ledger
from desktop.ledger.views import (
    CardView,
    PurchaseLimit,
    Recorded,
    StaffUnlock,
    StaffView,
    SyncStatus,
    TodayTotals,
    TransactionView,
)

__all__ = [
    "ApprovalNeeded",
    "CardView",
    "ClockWrong",
    "InvalidInput",
    "Ledger",
    "LedgerError",
    "LockedOut",
    "NoProgram",
    "NotEnrolled",
    "NotFound",
    "NothingPending",
    "PurchaseLimit",
    "Recorded",
    "Refused",
    "SessionLockedOut",
    "StaffInactive",
    "StaffUnlock",
    "StaffView",
    "SyncStatus",
    "TodayTotals",
    "TransactionView",
    "UnknownStaff",
    "WrongPin",
    "open_ledger",
]
