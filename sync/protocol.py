"""The wire contract of sync protocol v1 (PROTOCOL.md) as pydantic models shared by till and server."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    model_validator,
)

PROTOCOL_VERSION = 1
MAX_BATCH_ITEMS = 1000
MAX_BODY_BYTES = 1024 * 1024
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
MAX_PURCHASE_CENTS = 1_000_000_000
MAX_ADJUSTMENT = 100_000
CARD_NUMBER_PATTERN = r"^[A-Za-z0-9-]{1,32}$"
DEFAULT_PULL_LIMIT = 500
MAX_PULL_LIMIT = 1000
CARD_HISTORY_LIMIT = 50
PROBLEM_CONTENT_TYPE = "application/problem+json"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# Refused with its own message; the published schema states it as a pattern.
NoNul = AfterValidator(_no_nul)
NO_NUL_PATTERN = "^[^\\u0000]*$"
_NO_NUL_SCHEMA = Field(json_schema_extra={"pattern": NO_NUL_PATTERN})


def _integral(value: object) -> object:
    """A JSON number without a fraction (1.0, 1e2) is the integer it equals, as JSON Schema counts it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer on the wire: a JSON number whose value is whole (still no string, no boolean). After
# the field's bounds in an Annotated, so that the published schema keeps them as its own.
Integral = BeforeValidator(_integral)
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), NoNul, _NO_NUL_SCHEMA]
Email = Annotated[str, StringConstraints(max_length=254), NoNul, _NO_NUL_SCHEMA]
Phone = Annotated[str, StringConstraints(max_length=32), NoNul, _NO_NUL_SCHEMA]
ShortId = Annotated[str, StringConstraints(min_length=1, max_length=50), NoNul, _NO_NUL_SCHEMA]
OrderReference = Annotated[str, StringConstraints(min_length=1, max_length=100), NoNul, _NO_NUL_SCHEMA]
Notes = Annotated[str, StringConstraints(max_length=1000), NoNul, _NO_NUL_SCHEMA]
Label = Annotated[str, StringConstraints(max_length=255), NoNul, _NO_NUL_SCHEMA]
Code = Annotated[str, StringConstraints(min_length=1, max_length=255), NoNul, _NO_NUL_SCHEMA]


Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX), Integral]
PositiveId = Annotated[int, Field(ge=1, le=INT32_MAX), Integral]
NonNegInt32 = Annotated[int, Field(ge=0, le=INT32_MAX), Integral]
CardNumber = Annotated[str, StringConstraints(pattern=CARD_NUMBER_PATTERN)]
Timestamp = AwareDatetime


class TransactionType(enum.StrEnum):
    """Every kind of ledger transaction; points_expired is made by the server only."""

    STAMP_EARNED = "stamp_earned"
    STAMP_REDEEMED = "stamp_redeemed"
    STAMP_VOIDED = "stamp_voided"
    POINTS_EARNED = "points_earned"
    POINTS_REDEEMED = "points_redeemed"
    POINTS_VOIDED = "points_voided"
    STAMP_ADJUSTMENT = "stamp_adjustment"
    POINTS_ADJUSTMENT = "points_adjustment"
    CARD_CREATED = "card_created"
    CARD_DEACTIVATED = "card_deactivated"
    CARD_REACTIVATED = "card_reactivated"
    WELCOME_BONUS = "welcome_bonus"
    POINTS_EXPIRED = "points_expired"


class Reason(enum.StrEnum):
    """Why the server (or the till, provisionally) rejected a transaction."""

    DUPLICATE_ID = "duplicate_id"
    SEQUENCE_REUSED = "sequence_reused"
    INVALID_TRANSACTION_AT = "invalid_transaction_at"
    UNKNOWN_CARD = "unknown_card"
    CARD_NUMBER_TAKEN = "card_number_taken"
    UNKNOWN_STAFF = "unknown_staff"
    NOT_PERMITTED = "not_permitted"
    NOT_IN_PROGRAM = "not_in_program"
    CARD_INACTIVE = "card_inactive"
    CARD_ACTIVE = "card_active"
    INVALID_DELTA = "invalid_delta"
    REASON_REQUIRED = "reason_required"
    UNKNOWN_REWARD = "unknown_reward"
    INVALID_POINTS = "invalid_points"
    DUPLICATE_ORDER_REFERENCE = "duplicate_order_reference"
    DAILY_STAMP_LIMIT = "daily_stamp_limit"
    INVALID_WELCOME_BONUS = "invalid_welcome_bonus"
    UNKNOWN_RELATED_TRANSACTION = "unknown_related_transaction"
    ALREADY_VOIDED = "already_voided"
    INSUFFICIENT_POINTS = "insufficient_points"
    INSUFFICIENT_STAMPS = "insufficient_stamps"


class TxStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ProgramType(enum.StrEnum):
    STAMPS = "stamps"
    POINTS = "points"
    HYBRID = "hybrid"


class Role(enum.StrEnum):
    STAFF = "staff"
    STORE_MANAGER = "store_manager"
    MERCHANT_OWNER = "merchant_owner"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_ROLE_RANK = {Role.STAFF: 0, Role.STORE_MANAGER: 1, Role.MERCHANT_OWNER: 2}


class WireModel(BaseModel):
    """Base of every wire model: strict JSON types, unknown fields ignored, UUIDs lower-case."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class OutModel(BaseModel):
    """Base of models the server builds itself (lax, so ORM values convert)."""

    model_config = ConfigDict(extra="ignore", frozen=True, from_attributes=True)


# --- transactions -------------------------------------------------------------------------


class Customer(WireModel):
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None


class Tx(WireModel):
    """One transaction as a till sends it."""

    id: uuid.UUID
    seq: Annotated[int, Field(ge=1, le=INT32_MAX), Integral]
    type: TransactionType
    card_number: CardNumber
    staff_id: PositiveId
    transaction_at: Timestamp
    stamps_delta: Int32 = 0
    points_delta: Int32 = 0
    purchase_amount_cents: Annotated[int, Field(ge=0, le=MAX_PURCHASE_CENTS), Integral] | None = None
    order_reference: OrderReference | None = None
    reward_id: ShortId | None = None
    related_transaction_id: uuid.UUID | None = None
    notes: Notes | None = None
    customer: Customer | None = None
    program_version: PositiveId | None = None
    # v1.1 (docs/allowances.md): the allowance a redemption was counted against (null: at risk).
    allowance_id: uuid.UUID | None = None

    @field_serializer("id", "related_transaction_id", "allowance_id")
    def _uuid_lower(self, value: uuid.UUID | None) -> str | None:
        return None if value is None else str(value)


def uuid_texts(values: list[uuid.UUID]) -> list[str]:
    """`[str(value) for value in values]`, in C: orjson writes a UUID as its canonical lower-case
    text (a thousand in 0.06 ms, against 0.5 ms for UUID.__str__, which is Python code)."""
    texts: list[str] = orjson.loads(orjson.dumps(values))
    return texts


def first_unmatched(
    txs: Sequence[Tx], result_ids: Sequence[str], texts: Sequence[str] | None = None
) -> int | None:
    """The index of the first result id that does not name its transaction, or None when each
    does (same length assumed). Compared as text first (the canonical lower-case form, `texts`
    if the caller made them already); any other spelling of the same UUID is parsed."""
    if texts is None:
        texts = uuid_texts([tx.id for tx in txs])
    for index, (text, tx, result_id) in enumerate(zip(texts, txs, result_ids, strict=True)):
        if result_id == text:
            continue
        try:
            if uuid.UUID(result_id) == tx.id:
                continue
        except ValueError:
            pass
        return index
    return None


class PushRequest(WireModel):
    transactions: Annotated[list[Tx], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]

    @model_validator(mode="after")
    def _ordered_and_distinct(self) -> PushRequest:
        txs = self.transactions
        seqs = [tx.seq for tx in txs]
        ids = {tx.id.int for tx in txs}  # the ints: a UUID's own hash is Python code
        if len(ids) == len(txs) and seqs == sorted(set(seqs)):  # strictly increasing
            return self  # the usual batch; otherwise the loop below names the first item at fault
        seen: set[uuid.UUID] = set()
        previous_seq = 0
        for index, tx in enumerate(self.transactions):
            if tx.seq <= previous_seq:
                raise ValueError(f"transactions/{index}: seq must be strictly increasing")
            if tx.id in seen:
                raise ValueError(f"transactions/{index}: id repeated within the batch")
            seen.add(tx.id)
            previous_seq = tx.seq
        return self


class CardState(OutModel):
    """A card's authoritative balances, as answered after each pushed item."""

    card_number: str
    stamp_count: int
    points_balance: int
    is_active: bool


class PushResult(OutModel):
    id: str
    status: TxStatus
    reason: Reason | None = None
    replayed: bool = False
    card: CardState | None = None


class PushResponse(OutModel):
    results: list[PushResult]
    server_time: datetime


class ImportRequest(WireModel):
    """A till's export-pending file, imported by head office."""

    device_id: ShortId
    transactions: Annotated[list[Tx], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]

    @model_validator(mode="after")
    def _ordered_and_distinct(self) -> ImportRequest:
        PushRequest(transactions=self.transactions)
        return self


# --- enrolment ------------------------------------------------------------------------------


class RegisterRequest(WireModel):
    enrolment_code: Code
    device_name: Name


class StoreOut(OutModel):
    id: int
    name: str
    timezone: str


class MerchantOut(OutModel):
    id: int
    name: str


class RegisterResponse(OutModel):
    device_id: str
    token: str
    store: StoreOut
    merchant: MerchantOut


# --- program, staff, cards --------------------------------------------------------------------


class Reward(WireModel):
    id: ShortId
    name: Name
    points_cost: Annotated[int, Field(ge=1, le=INT32_MAX), Integral]


class ProgramFields(WireModel):
    """The program's settings as head office writes them (PUT /v1/office/program)."""

    type: ProgramType
    stamps_target: Annotated[int, Field(ge=1, le=1000), Integral] = 10
    stamps_reward_description: Label = ""
    points_per_currency_unit: Annotated[int, Field(ge=0, le=1_000_000), Integral] = 1
    minimum_purchase_cents: Annotated[int, Field(ge=0, le=MAX_PURCHASE_CENTS), Integral] = 0
    rewards: Annotated[list[Reward], Field(max_length=200)] = Field(default_factory=list)
    welcome_bonus_points: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT), Integral] = 0
    points_expiration_days: Annotated[int, Field(ge=1, le=36500), Integral] | None = None
    max_daily_stamps: Annotated[int, Field(ge=1, le=1000), Integral] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    pin_max_attempts: Annotated[int, Field(ge=1, le=100), Integral] = 5
    pin_lockout_minutes: Annotated[int, Field(ge=1, le=1440), Integral] = 15
    # Offline spending allowances (docs/allowances.md); 0 points and 0 stamps: none granted.
    allowance_points: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT), Integral] = 0
    allowance_stamps: Annotated[int, Field(ge=0, le=1000), Integral] = 0
    allowance_hours: Annotated[int, Field(ge=1, le=168), Integral] = 12
    allowance_cards: Annotated[int, Field(ge=1, le=20_000), Integral] = 5000
    allowance_regular_days: Annotated[int, Field(ge=1, le=365), Integral] = 30
    at_risk_redemptions: bool = True  # false: a till refuses a redemption no allowance covers

    @model_validator(mode="after")
    def _reward_ids_distinct(self) -> ProgramFields:
        ids = [reward.id for reward in self.rewards]
        if len(ids) != len(set(ids)):
            raise ValueError("reward ids must be distinct")
        return self

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards if r.id == reward_id), None)

    @property
    def has_stamps(self) -> bool:
        return self.type in (ProgramType.STAMPS, ProgramType.HYBRID)

    @property
    def has_points(self) -> bool:
        return self.type in (ProgramType.POINTS, ProgramType.HYBRID)

    @property
    def grants_allowances(self) -> bool:
        """Whether tills get offline spending allowances (docs/allowances.md)."""
        return self.allowance_points > 0 or self.allowance_stamps > 0


class Program(ProgramFields):
    """The program as pulled, with its version."""

    version: PositiveId


class StaffOut(OutModel):
    """A staff member as pulled by a till (with the PIN hash, for offline login)."""

    id: int
    name: str
    role: Role
    store_id: int | None
    pin_hash: str
    is_active: bool


class CardOut(OutModel):
    """A card as pulled or looked up: no contact details, no wallet ids."""

    card_number: str
    customer_name: str | None
    stamp_count: int
    points_balance: int
    is_active: bool
    updated_at: datetime


class RejectionState(enum.StrEnum):
    """Head office's decision on a rejected transaction (docs/protocol-choices.md, "Rejection states")."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    COMPENSATED = "compensated"
    CUSTOMER_OWES = "customer_owes"


class RejectionReviewOut(OutModel):
    """The state of one of this till's own rejected transactions, as head office set it.

    `state` is text, not the enum: a till shows a state a newer server adds as it is."""

    id: str
    state: str
    note: str | None = None
    updated_at: datetime


class PullResponse(OutModel):
    store: StoreOut
    program: Program | None
    staff: list[StaffOut] | None
    cards: list[CardOut]
    cursor: str
    has_more: bool
    # Optional (added after v1's first release; older servers omit it, older tills ignore it):
    # this till's rejected transactions whose head-office state changed since the cursor.
    rejections: list[RejectionReviewOut] | None = None


class CardTxOut(OutModel):
    id: str
    type: TransactionType
    stamps_delta: int
    points_delta: int
    transaction_at: datetime
    store_id: int | None
    status: TxStatus
    reason: Reason | None


class HoldOut(OutModel):
    """Points and stamps held for one till's offline use (v1.1): where and until when."""

    store_id: int
    points: int
    stamps: int
    valid_until: datetime


class CardDetail(OutModel):
    card: CardOut
    transactions: list[CardTxOut]
    # v1.1: what is held for tills' offline use (the balance less these is what others may spend).
    held_points: int = 0
    held_stamps: int = 0
    holds: list[HoldOut] = Field(default_factory=list)


class AllowanceRequest(WireModel):
    """POST /v1/sync/allowances (v1.1): what the till has recorded, and its clock."""

    recorded_seq: Annotated[int, Field(ge=1, le=INT32_MAX), Integral] | None
    till_time: Timestamp


class AllowanceOut(OutModel):
    id: str
    card_number: str
    points: int  # what is left of it
    stamps: int
    valid_until: datetime


class AllowanceResponse(OutModel):
    allowances: list[AllowanceOut]
    server_time: datetime
    # The highest seq of this till the server had stored when it counted what is left: the till
    # takes its own later spends (seq above it) off what it was told (docs/allowances.md).
    stored_seq: int | None = None


class Health(OutModel):
    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable"]


# --- errors -----------------------------------------------------------------------------------


class ProblemError(OutModel):
    loc: str
    msg: str


class Problem(OutModel):
    """RFC 9457 problem details, with the machine code this protocol adds."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemError] | None = None
