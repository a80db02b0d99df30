"""Keyset paging of the office lists, with opaque cursors signed by the server's key."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from server_stub.errors import ApiError
from server_stub.models import ServerSecret
from server_stub.security import sign, signature_matches

MAX_CURSOR_LENGTH = 4096
CURSOR_SECRET_NAME = "cursor_hmac"  # noqa: S105 - the name of the secret, not a secret


@dataclass(frozen=True, slots=True)
class Keyset:
    """A list's order: unique together, all ascending or all descending; `kind` binds cursors to it."""

    kind: str
    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool = False


def keyset_page(
    session: Session,
    query: Select[Any],
    *,
    keyset: Keyset,
    merchant_id: int,
    limit: int,
    cursor: str | None,
    key: Callable[[Row[Any]], Sequence[Any]],
) -> tuple[list[Row[Any]], str | None]:
    """One page of `query` after `cursor`, and the cursor of the next page (None on the last)."""
    secret = cursor_secret(session)
    if cursor is not None:
        position = decode_cursor(secret, cursor, kind=keyset.kind, merchant_id=merchant_id)
        if len(position) != len(keyset.columns):
            raise bad_cursor()
        query = query.where(_after(keyset, [_load(value) for value in position]))
    order = [column.desc() if keyset.descending else column.asc() for column in keyset.columns]
    rows = list(session.execute(query.order_by(*order).limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    position = [_dump(value) for value in key(rows[-1])]
    return rows, encode_cursor(secret, kind=keyset.kind, merchant_id=merchant_id, position=position)


def _after(keyset: Keyset, position: Sequence[Any]) -> ColumnElement[bool]:
    """(a, b, c) after (x, y, z): a beyond x, or a == x and (b, c) after (y, z)."""
    column, value = keyset.columns[0], position[0]
    beyond: ColumnElement[bool] = column < value if keyset.descending else column > value
    if len(keyset.columns) == 1:
        return beyond
    rest = Keyset(kind=keyset.kind, columns=keyset.columns[1:], descending=keyset.descending)
    return or_(beyond, and_(column == value, _after(rest, position[1:])))


def _dump(value: Any) -> Any:
    return {"t": value.isoformat()} if isinstance(value, datetime) else value


def _load(value: Any) -> Any:
    return datetime.fromisoformat(value["t"]) if isinstance(value, dict) else value


def cursor_secret(session: Session) -> str:
    return session.execute(
        select(ServerSecret.value).where(ServerSecret.name == CURSOR_SECRET_NAME)
    ).scalar_one()


def encode_cursor(secret: str, *, kind: str, merchant_id: int, position: list[Any]) -> str:
    """An opaque cursor: the position, bound to one list and one merchant, signed with the server's key."""
    payload = json.dumps([kind, merchant_id, position], separators=(",", ":")).encode("utf-8")
    body = base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")
    return f"{body}.{sign(secret, payload)}"


def decode_cursor(secret: str, cursor: str, *, kind: str, merchant_id: int) -> list[Any]:
    """The position inside a cursor this server issued for this list and merchant; else 400."""
    if len(cursor) > MAX_CURSOR_LENGTH:  # longer than any this server issues
        raise bad_cursor()
    body, _, signature = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if not signature_matches(secret, payload, signature):
            raise ValueError("bad signature")
        found_kind, found_merchant, position = json.loads(payload)
    except (ValueError, TypeError, binascii.Error):
        raise bad_cursor() from None
    if found_kind != kind or found_merchant != merchant_id or not isinstance(position, list):
        raise bad_cursor()
    return position


def bad_cursor() -> ApiError:
    return ApiError(400, "invalid_cursor", "This cursor was not issued by this server for this list.")
