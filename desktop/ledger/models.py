"""The till's SQLite schema as SQLAlchemy 2 models (the statements use their tables through Core)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"


@lru_cache(maxsize=16)  # a verb stores the same moment several times
def to_db_time(value: datetime) -> str:
    """An aware time as stored: UTC, fixed-width text ('2026-03-02 09:00:00.000000'), so text order
    is time order."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the ledger; use UTC-aware times")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def from_db_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC text (see to_db_time); naive input is a programming error."""

    impl = String(26)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else to_db_time(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else from_db_time(value)


class Base(DeclarativeBase):
    pass


class DeviceState(Base):
    """The one row of this till's own state: identity, seq counter, pull cursor, program, sync."""

    __tablename__ = "device_state"
    __table_args__ = (CheckConstraint("id = 1", name="ck_device_state_single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str | None] = mapped_column(String(255))
    token: Mapped[str | None] = mapped_column(Text)
    server_url: Mapped[str | None] = mapped_column(Text)
    store_id: Mapped[int | None] = mapped_column(Integer)
    store_name: Mapped[str | None] = mapped_column(Text)
    store_timezone: Mapped[str | None] = mapped_column(String(64))
    merchant_id: Mapped[int | None] = mapped_column(Integer)
    merchant_name: Mapped[str | None] = mapped_column(Text)
    last_seq: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    # Bumped whenever identity, program or staff change, so caches know to reload.
    config_generation: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    pull_cursor: Mapped[str | None] = mapped_column(Text)
    program_version: Mapped[int | None] = mapped_column(Integer)
    program_json: Mapped[str | None] = mapped_column(Text)
    last_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sync_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sync_error: Mapped[str | None] = mapped_column(Text)


class StaffRow(Base):
    """A staff member as last pulled (argon2 PIN hash for offline login)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    store_id: Mapped[int | None] = mapped_column(Integer)
    pin_hash: Mapped[str] = mapped_column(Text, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False)


class StaffLogin(Base):
    """PIN failures counted on this till; kept apart from `staff` so a pulled list never resets them."""

    __tablename__ = "staff_logins"

    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StaffUnlockRow(Base):
    """A lockout a manager or the owner ended at this till: a local log, not a ledger transaction
    (the protocol has no non-financial event; it stays on the till's disk with the ledger)."""

    __tablename__ = "staff_unlocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer, nullable=False)
    unlocked_by: Mapped[int] = mapped_column(Integer, nullable=False)
    unlocked_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    locked_until: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class CardRow(Base):
    """A card: the server-confirmed state plus the till's view (confirmed + pending), kept in step."""

    __tablename__ = "cards"

    card_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_name: Mapped[str | None] = mapped_column(Text)
    # Known to the till: confirmed by the server, or enrolled here and not (yet) rejected.
    known: Mapped[bool] = mapped_column(Boolean, nullable=False)
    server_known: Mapped[bool] = mapped_column(Boolean, nullable=False)
    confirmed_stamp_count: Mapped[int] = mapped_column(Integer, nullable=False)
    confirmed_points_balance: Mapped[int] = mapped_column(Integer, nullable=False)
    confirmed_is_active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    confirmed_welcome_bonus: Mapped[bool] = mapped_column(Boolean, nullable=False)
    stamp_count: Mapped[int] = mapped_column(Integer, nullable=False)
    points_balance: Mapped[int] = mapped_column(Integer, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    welcome_bonus_granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    pending_count: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class TransactionRow(Base):
    """One ledger transaction (the reference model's fields plus id, seq, device and sync state)."""

    __tablename__ = "transactions"
    __table_args__ = (
        Index("ix_transactions_card_seq", "card_number", "seq"),
        Index("ix_transactions_pending_seq", "seq", sqlite_where=text("sync_state = 'pending'")),
        # Covering for the pending sums of a card (cardstate.SELECT_PENDING_SUMS): only pending rows.
        Index(
            "ix_transactions_pending_card",
            "card_number",
            "seq",
            "type",
            "stamps_delta",
            "points_delta",
            sqlite_where=text("sync_state = 'pending'"),
        ),
        Index(
            "ix_transactions_order_reference",
            "order_reference",
            sqlite_where=text("order_reference IS NOT NULL"),
        ),
        Index(
            "ix_transactions_related",
            "related_transaction_id",
            sqlite_where=text("related_transaction_id IS NOT NULL"),
        ),
        Index("ix_transactions_transaction_at", "transaction_at"),
        # What this till spent of each allowance (allowances.py): only redemptions it covered.
        Index(
            "ix_transactions_allowance",
            "allowance_id",
            "seq",
            sqlite_where=text("allowance_id IS NOT NULL"),
        ),
        CheckConstraint("sync_state IN ('pending', 'accepted', 'rejected')", name="ck_tx_sync_state"),
    )

    # seq is the rowid: rows are stored in the till's order, and one index fewer is written per verb.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    device_id: Mapped[str] = mapped_column(String(255), nullable=False)
    store_id: Mapped[int] = mapped_column(Integer, nullable=False)
    type: Mapped[str] = mapped_column(String(30), nullable=False)
    card_number: Mapped[str] = mapped_column(ForeignKey("cards.card_number"), nullable=False)
    staff_id: Mapped[int] = mapped_column(Integer, nullable=False)
    stamps_delta: Mapped[int] = mapped_column(Integer, nullable=False)
    points_delta: Mapped[int] = mapped_column(Integer, nullable=False)
    stamps_balance_after: Mapped[int | None] = mapped_column(Integer)
    points_balance_after: Mapped[int | None] = mapped_column(Integer)
    purchase_amount_cents: Mapped[int | None] = mapped_column(Integer)
    order_reference: Mapped[str | None] = mapped_column(String(100))
    reward_id: Mapped[str | None] = mapped_column(String(50))
    reward_description: Mapped[str | None] = mapped_column(String(255))
    related_transaction_id: Mapped[str | None] = mapped_column(ForeignKey("transactions.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    customer_name: Mapped[str | None] = mapped_column(Text)
    customer_email: Mapped[str | None] = mapped_column(Text)
    customer_phone: Mapped[str | None] = mapped_column(Text)
    program_version: Mapped[int | None] = mapped_column(Integer)
    transaction_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    sync_state: Mapped[str] = mapped_column(String(10), nullable=False, server_default=text("'pending'"))
    reason: Mapped[str | None] = mapped_column(String(40))
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("0"))
    acknowledged_by: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A redemption this till covered with an allowance (docs/allowances.md); null: not covered.
    allowance_id: Mapped[str | None] = mapped_column(String(36))


class AllowanceRow(Base):
    """An allowance this till holds, as the server last told it (POST /v1/sync/allowances).

    `points` and `stamps` are what was left of it when the server had stored this till's seqs up
    to `stored_seq`; what the till has covered since (its redemptions citing it with a higher seq,
    not rejected) is taken off them. The whole table is replaced by each answer."""

    __tablename__ = "allowances"
    __table_args__ = (Index("ix_allowances_card", "card_number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    stamps: Mapped[int] = mapped_column(Integer, nullable=False)
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    stored_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class OfficeReviewRow(Base):
    """Head office's state of one of this till's rejected transactions, as last pulled (no row: open)."""

    __tablename__ = "office_reviews"

    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


# The tables, for Core statements (the hot paths skip the ORM's unit of work).
device_state = cast(Table, DeviceState.__table__)
staff = cast(Table, StaffRow.__table__)
staff_logins = cast(Table, StaffLogin.__table__)
staff_unlocks = cast(Table, StaffUnlockRow.__table__)
cards = cast(Table, CardRow.__table__)
transactions = cast(Table, TransactionRow.__table__)
office_reviews = cast(Table, OfficeReviewRow.__table__)
allowances = cast(Table, AllowanceRow.__table__)

# A row as read (RowMapping) or as about to be written (a dict of column values).
RowLike = Mapping[Any, Any]
