"""Head-office request and response models (the wire models of PROTOCOL.md's office section)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from sync.protocol import (
    Name,
    OutModel,
    PositiveId,
    Reason,
    Role,
    TransactionType,
    WireModel,
)

DEFAULT_PAGE_LIMIT = 100
MAX_PAGE_LIMIT = 1000
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]


class SummaryRow(OutModel):
    store_id: int | None = Field(description="null for rows the server made itself (points_expired)")
    date: dt.date = Field(description="the UTC date of transaction_at")
    type: TransactionType
    count: int
    stamps_delta: int
    points_delta: int


class SummaryResponse(OutModel):
    rows: list[SummaryRow]


class RejectionItem(OutModel):
    id: str
    device_id: str | None
    store_id: int | None
    card_number: str
    type: TransactionType
    reason: Reason | None
    transaction_at: dt.datetime
    received_at: dt.datetime


class RejectionPage(OutModel):
    items: list[RejectionItem]
    next_cursor: str | None


class DeviceItem(OutModel):
    device_id: str
    store_id: int
    name: str
    last_seen_at: dt.datetime | None
    last_seq: int | None
    revoked: bool


class DevicePage(OutModel):
    items: list[DeviceItem]
    next_cursor: str | None


class StaffItem(OutModel):
    id: int
    name: str
    role: Role
    store_id: int | None
    is_active: bool


class StaffPage(OutModel):
    items: list[StaffItem]
    next_cursor: str | None


class AuditItem(OutModel):
    at: dt.datetime
    actor: str
    action: str
    target: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


class AuditPage(OutModel):
    items: list[AuditItem]
    next_cursor: str | None


class StaffCreate(WireModel):
    name: Name
    role: Role
    store_id: PositiveId | None = Field(description="null: merchant-wide")
    pin: Pin = Field(description="4 to 8 digits; stored as an argon2 hash, never returned")


class StaffPatch(WireModel):
    """Any subset of the fields; an explicit `"store_id": null` makes the member merchant-wide."""

    name: Name | None = None
    role: Role | None = None
    store_id: PositiveId | None = None
    pin: Pin | None = None
    is_active: bool | None = None


class EnrolmentCodeRequest(WireModel):
    store_id: PositiveId


class EnrolmentCodeResponse(OutModel):
    enrolment_code: str
    expires_at: dt.datetime


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body that the route reads and validates from the raw bytes."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, definitions)}},
        }
    }


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """Replace local `$ref`s by their definitions (our request models are not recursive)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node
