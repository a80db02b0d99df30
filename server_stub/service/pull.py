"""The pull feed: program, staff and cards changed since an HMAC-signed position in the change sequence."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from server_stub.models import Card, ServerSecret, Staff
from server_stub.security import sign, signature_matches
from server_stub.service.auth import DeviceContext
from server_stub.service.programs import current_program
from sync.protocol import CardOut, PullResponse, StaffOut, StoreOut

CURSOR_SECRET = "cursor_hmac"  # noqa: S105 (the name of the secret, not a secret)


class InvalidCursor(Exception):
    """A cursor this server did not issue (or issued to another merchant)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a till is: the last card sent (change number, id), the program version, the staff mark."""

    merchant: int
    change: int = 0
    card: int = 0
    program: int = 0
    staff: int = 0


def cursor_secret(session: Session) -> str:
    return session.execute(select(ServerSecret.value).where(ServerSecret.name == CURSOR_SECRET)).scalar_one()


def encode_cursor(position: Position, secret: str) -> str:
    payload = json.dumps(asdict(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + sign(secret, payload)


def decode_cursor(cursor: str, secret: str, *, merchant_id: int) -> Position:
    try:
        encoded, signature = cursor.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not signature_matches(secret, payload, signature):
            raise InvalidCursor
        position = Position(**json.loads(payload))
    except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor from exc
    if position.merchant != merchant_id:
        raise InvalidCursor
    return position


def pull_page(session: Session, *, device: DeviceContext, cursor: str | None, limit: int) -> PullResponse:
    secret = cursor_secret(session)
    start = (
        decode_cursor(cursor, secret, merchant_id=device.merchant_id)
        if cursor
        else Position(merchant=device.merchant_id)
    )
    program = current_program(session, device.merchant_id)
    staff_mark = int(
        session.execute(
            select(func.max(Staff.change_no)).where(Staff.merchant_id == device.merchant_id)
        ).scalar()
        or 0
    )
    rows = _cards_after(session, start, limit=limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    end = Position(
        merchant=device.merchant_id,
        change=last.change_no if last else start.change,
        card=last.id if last else start.card,
        program=program.version,
        staff=staff_mark,
    )
    return PullResponse(
        store=StoreOut(id=device.store_id, name=device.store_name, timezone=device.store_timezone),
        program=program if cursor is None or program.version != start.program else None,
        staff=_staff(session, device) if cursor is None or staff_mark != start.staff else None,
        cards=[card_out(row) for row in rows],
        cursor=encode_cursor(end, secret),
        has_more=has_more,
    )


def _cards_after(session: Session, start: Position, *, limit: int) -> list[Card]:
    """The merchant's cards after `start` in (change_no, id) order."""
    after = or_(Card.change_no > start.change, and_(Card.change_no == start.change, Card.id > start.card))
    query = select(Card).where(Card.merchant_id == start.merchant, after).order_by(Card.change_no, Card.id)
    return list(session.execute(query.limit(limit)).scalars())


def _staff(session: Session, device: DeviceContext) -> list[StaffOut]:
    rows = session.execute(
        select(Staff)
        .where(
            Staff.merchant_id == device.merchant_id,
            or_(Staff.store_id.is_(None), Staff.store_id == device.store_id),
        )
        .order_by(Staff.id)
    ).scalars()
    return [StaffOut.model_validate(row) for row in rows]


def card_out(row: Card) -> CardOut:
    return CardOut(
        card_number=row.card_number,
        customer_name=row.customer_name,
        stamp_count=row.stamp_count,
        points_balance=row.points_balance,
        is_active=row.is_active,
        updated_at=row.updated_at,
    )
