"""The server's tables (SQLAlchemy 2): every row carries the merchant it belongs to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, answers aware UTC, on both PostgreSQL and SQLite."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


def byte_order(length: int) -> String:
    """ASCII keys in byte order: the "C" collation on PostgreSQL (migration 0005), as SQLite compares."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Base(DeclarativeBase):
    pass


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChangeCounter(Base):
    """The merchant's change sequence: taken under a row lock so numbers commit in order."""

    __tablename__ = "change_counters"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class ProgramVersion(Base):
    """Every version of a merchant's program is kept; the highest is current."""

    __tablename__ = "program_versions"
    __table_args__ = (UniqueConstraint("merchant_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[str] = mapped_column(Text)  # ProgramFields as JSON
    change_no: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    pin_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    change_no: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_seq: Mapped[int | None] = mapped_column(BigInteger)


class AdminToken(Base):
    __tablename__ = "admin_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EnrolmentCode(Base):
    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    device_id: Mapped[str | None] = mapped_column(String(36))


class Card(Base):
    """A card's authoritative state. `change_no` is its last change's number, not indexed (the
    pull feed finds changed cards through `CardChange`), so on PostgreSQL a batch's balance
    update is a HOT update: no new index entries for the card (migration 0006)."""

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("merchant_id", "card_number"),
        Index("ix_cards_points_active_on", "merchant_id", "points_active_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    card_number: Mapped[str] = mapped_column(byte_order(32))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    wallet_id: Mapped[str | None] = mapped_column(String(100))
    stamp_count: Mapped[int] = mapped_column(BigInteger, default=0)
    points_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    welcome_bonus_granted: Mapped[bool] = mapped_column(Boolean, default=False)
    change_no: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The newest transaction_at of the card's accepted transactions but points_expired (what
    # expiry measures idleness by); not indexed, so the batch's card update stays HOT.
    last_activity_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Its UTC day while the card holds points (null at zero): indexed for the expiry job, and
    # it changes at most once a day for a card in use (the update is HOT the rest of the day).
    points_active_on: Mapped[date | None] = mapped_column(Date)
    # What is held for tills' offline use (allowances not yet released): never above the balance.
    held_points: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    held_stamps: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class CardChange(Base):
    """One change of a merchant's cards (a batch): its number and the cards it changed.

    The pull feed reads these in number order; a card is sent at its last change only (the
    entries of its earlier changes are passed over)."""

    __tablename__ = "card_changes"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    change_no: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    card_ids: Mapped[list[int]] = mapped_column(JSON().with_variant(ARRAY(Integer), "postgresql"))


ACCEPTED = text("status = 'accepted'")
ACCEPTED_ORDER = text("type = 'points_earned' AND status = 'accepted' AND order_reference IS NOT NULL")
REJECTED = text("status = 'rejected'")
VOIDS = text("related_transaction_id IS NOT NULL")


class LedgerTransaction(Base):
    """One submitted transaction, accepted or rejected; server-made rows have no device or seq."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("device_id", "seq", name="uq_transactions_device_seq"),
        Index("ix_transactions_card", "merchant_id", "card_number", "received_at"),
        Index("ix_transactions_at", "merchant_id", "transaction_at"),
        # The ledger CSV's keyset: accepted rows in (received_at, id) order (migration 0007).
        Index(
            "ix_transactions_accepted",
            "merchant_id",
            "received_at",
            "id",
            postgresql_where=ACCEPTED,
            sqlite_where=ACCEPTED,
        ),
        # Partial indexes: most rows are accepted, cite no original and carry no order
        # reference, so ingest does not pay for entries no query needs.
        Index(
            "ix_transactions_rejected",
            "merchant_id",
            "received_at",
            "id",
            postgresql_where=REJECTED,
            sqlite_where=REJECTED,
        ),
        # The rejections inbox by card (a rejection is one row in a hundred: a small index).
        Index(
            "ix_transactions_rejected_card",
            "merchant_id",
            "card_number",
            "id",
            postgresql_where=REJECTED,
            sqlite_where=REJECTED,
        ),
        Index("ix_transactions_voids", "related_transaction_id", postgresql_where=VOIDS, sqlite_where=VOIDS),
        Index(
            "uq_transactions_order_reference",
            "merchant_id",
            "order_reference",
            unique=True,
            postgresql_where=ACCEPTED_ORDER,
            sqlite_where=ACCEPTED_ORDER,
        ),
    )

    id: Mapped[str] = mapped_column(byte_order(36), primary_key=True)
    # No foreign key on PostgreSQL (migration 0004): the server writes only the merchant of
    # the authenticated caller, and a per-row check would be a third of the ingest's cost.
    merchant_id: Mapped[int] = mapped_column(Integer)
    store_id: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[str | None] = mapped_column(String(36))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    card_number: Mapped[str] = mapped_column(byte_order(32))
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40))
    stamps_delta: Mapped[int] = mapped_column(Integer)
    points_delta: Mapped[int] = mapped_column(Integer)
    purchase_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    order_reference: Mapped[str | None] = mapped_column(String(100))
    reward_id: Mapped[str | None] = mapped_column(String(50))
    related_transaction_id: Mapped[str | None] = mapped_column(byte_order(36))
    staff_id: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    program_version: Mapped[int | None] = mapped_column(Integer)
    transaction_at: Mapped[datetime] = mapped_column(UtcDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


HELD = text("released_at IS NULL")


class Allowance(Base):
    """Points and stamps held for one till's offline use on one card, until `valid_until`
    (docs/allowances.md). `points` and `stamps` are what is left; a released one holds nothing."""

    __tablename__ = "allowances"
    __table_args__ = (
        Index(
            "uq_allowances_held",
            "device_id",
            "card_id",
            unique=True,
            postgresql_where=HELD,
            sqlite_where=HELD,
        ),
        Index("ix_allowances_card", "card_id", postgresql_where=HELD, sqlite_where=HELD),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(36))
    store_id: Mapped[int] = mapped_column(Integer)
    card_id: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    stamps: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    released_why: Mapped[str | None] = mapped_column(String(40))


class StoreRegular(Base):
    """A card's last accepted activity at a store: the store's regulars, for allowances."""

    __tablename__ = "store_regulars"
    __table_args__ = (Index("ix_store_regulars_recent", "store_id", "last_at"),)

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DailyTotal(Base):
    """Accepted transactions per store, UTC day of transaction_at and type: the summary's rollup,
    kept in the same transaction as the ledger rows it counts (store 0: the server's own rows)."""

    __tablename__ = "daily_totals"

    merchant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    stamps_delta: Mapped[int] = mapped_column(BigInteger)
    points_delta: Mapped[int] = mapped_column(BigInteger)


class IdempotencyKey(Base):
    """A batch's Idempotency-Key: the request's canonical hash and the stored response."""

    __tablename__ = "idempotency_keys"

    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    top_seq: Mapped[int | None] = mapped_column(BigInteger)  # the batch's highest seq (retention)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_merchant_at", "merchant_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(200))
    old: Mapped[str | None] = mapped_column(Text)  # JSON
    new: Mapped[str | None] = mapped_column(Text)  # JSON


class ServerSecret(Base):
    """Server-wide secrets (the cursor signing key), created by the first migration."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


# --- head-office console (migration 0100_office_console) ----------------------------------------


class OfficeUser(Base):
    """A person who signs in to the console: one merchant, a role (admin or analyst), an argon2 hash."""

    __tablename__ = "office_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OfficeSession(Base):
    """A signed-in browser: the cookie holds a random token, stored here only as its SHA-256."""

    __tablename__ = "office_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("office_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)  # absolute limit, whatever the activity


class OfficeLoginThrottle(Base):
    """Failed sign-ins per user name, known or not (so a lockout never tells which names exist)."""

    __tablename__ = "office_login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RejectionReview(Base):
    """Head office's decision on a rejected transaction (no row: still open).

    `change_no` is taken from the merchant's change sequence when the state changes, so the
    till that made the transaction pulls the new state after its cursor (service/pull.py)."""

    __tablename__ = "rejection_reviews"
    __table_args__ = (Index("ix_rejection_reviews_device_change", "device_id", "change_no"),)

    transaction_id: Mapped[str] = mapped_column(byte_order(36), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    compensation_id: Mapped[str | None] = mapped_column(byte_order(36))
    owed_points: Mapped[int] = mapped_column(Integer, default=0)
    owed_stamps: Mapped[int] = mapped_column(Integer, default=0)
    change_no: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class TillSyncStatus(Base):
    """What a till last pulled: the merchant's change number it caught up to, when, and its client."""

    __tablename__ = "till_sync_status"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    caught_up_change_no: Mapped[int | None] = mapped_column(BigInteger)
    caught_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    client_version: Mapped[str | None] = mapped_column(String(100))
