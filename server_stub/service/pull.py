"""The pull feed: program, staff and cards changed since an HMAC-signed position in the change sequence.

A first pull lists the merchant's cards by number, noting the change number committed when it
began; from there, and for every later cursor, cards come from the card change log in
(change number, card id) order, each at its last change only. A card changed while a till
pages is sent again (later, in its new state): nothing committed is skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server_stub.models import Card, CardChange, RejectionReview, ServerSecret, Staff
from server_stub.security import sign, signature_matches
from server_stub.service.auth import DeviceContext
from server_stub.service.changes import current_change_number
from server_stub.service.programs import current_program
from server_stub.service.till_status import record_caught_up
from sync.protocol import CardOut, PullResponse, RejectionReviewOut, StaffOut, StoreOut

CURSOR_SECRET = "cursor_hmac"  # noqa: S105 (the name of the secret, not a secret)


class InvalidCursor(Exception):
    """A cursor this server did not issue (or issued to another merchant)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a till is: the last card sent (change number, id), the program version, the staff mark.

    `listed` is set during a first pull's listing: the last card number listed ("" before the
    first); `change` is then the change number the listing began at, where the log takes over.
    """

    merchant: int
    change: int = 0
    card: int = 0
    program: int = 0
    staff: int = 0
    listed: str | None = None
    rejections: int = 0  # the change number of the last rejection state sent (0: none yet)


# After every card of a change (card ids are 32-bit): where the log resumes past a change.
PAST_THE_CHANGE = 2**31
LOG_ROWS = 100  # log entries read per query
LOOKUP_IDS = 1000  # card ids looked up per query


def cursor_secret(session: Session) -> str:
    return session.execute(select(ServerSecret.value).where(ServerSecret.name == CURSOR_SECRET)).scalar_one()


def encode_cursor(position: Position, secret: str) -> str:
    payload = json.dumps(asdict(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + sign(secret, payload)


# The longest cursor this server issues is far shorter; a longer one is not ours.
MAX_CURSOR_LENGTH = 4096


def decode_cursor(cursor: str, secret: str, *, merchant_id: int) -> Position:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor
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


def pull_page(
    session: Session, *, device: DeviceContext, cursor: str | None, limit: int, client: str | None = None
) -> PullResponse:
    """One page of the feed; a last page (nothing more) records that the till caught up (and `client`,
    the till's User-Agent, when the route passes it)."""
    secret = cursor_secret(session)
    # Read first: every change numbered up to here is committed, so this page sends them all.
    reached = current_change_number(session, device.merchant_id)
    start = (
        decode_cursor(cursor, secret, merchant_id=device.merchant_id)
        if cursor
        else Position(
            merchant=device.merchant_id, change=current_change_number(session, device.merchant_id), listed=""
        )
    )
    program = current_program(session, device.merchant_id)
    staff_mark = int(
        session.execute(
            select(func.max(Staff.change_no)).where(Staff.merchant_id == device.merchant_id)
        ).scalar()
        or 0
    )
    rows, end, has_more = _cards_page(session, start, limit=limit)
    reviews, more_reviews = _reviews_after(session, device, start.rejections, limit=limit)
    review_mark = reviews[-1].change_no if reviews else start.rejections
    end = replace(end, program=program.version, staff=staff_mark, rejections=review_mark)
    has_more = has_more or more_reviews
    if not has_more:
        record_caught_up(session, device.device_id, change_no=reached, client=client)
    return PullResponse(
        store=StoreOut(id=device.store_id, name=device.store_name, timezone=device.store_timezone),
        program=program if cursor is None or program.version != start.program else None,
        staff=_staff(session, device) if cursor is None or staff_mark != start.staff else None,
        cards=[card_out(row) for row in rows],
        cursor=encode_cursor(end, secret),
        has_more=has_more,
        rejections=[review_out(review) for review in reviews] or None,
    )


def _reviews_after(
    session: Session, device: DeviceContext, mark: int, *, limit: int
) -> tuple[list[RejectionReview], bool]:
    """This till's rejections whose head-office state changed after `mark`, in change order (at most
    `limit`; the change numbers commit in order, as the cards' do), and whether more follow."""
    rows = list(
        session.scalars(
            select(RejectionReview)
            .where(RejectionReview.device_id == device.device_id, RejectionReview.change_no > mark)
            .order_by(RejectionReview.change_no)
            .limit(limit + 1)
        )
    )
    return rows[:limit], len(rows) > limit


def review_out(review: RejectionReview) -> RejectionReviewOut:
    return RejectionReviewOut(
        id=review.transaction_id, state=review.state, note=review.note, updated_at=review.updated_at
    )


def _cards_page(session: Session, start: Position, *, limit: int) -> tuple[list[Card], Position, bool]:
    """Up to `limit` cards after `start`, the position after them, and whether more follow."""
    if start.listed is None:
        return _changed_after(session, start, limit=limit)
    listing = list(
        session.scalars(
            select(Card)
            .where(Card.merchant_id == start.merchant, Card.card_number > start.listed)
            .order_by(Card.card_number)
            .limit(limit + 1)
        )
    )
    if len(listing) > limit:
        return listing[:limit], replace(start, listed=listing[limit - 1].card_number), True
    # Listed to the end: the log continues after the change the listing began at.
    rest, end, has_more = _changed_after(
        session, replace(start, listed=None, card=PAST_THE_CHANGE), limit=limit - len(listing)
    )
    again = {card.id for card in rest}  # changed since the listing began: sent once, from the log
    return [card for card in listing if card.id not in again] + rest, end, has_more


def _changed_after(session: Session, start: Position, *, limit: int) -> tuple[list[Card], Position, bool]:
    """The cards whose last change is after `start` in (change number, id) order, from the log.

    Log entries are read in number order, a window at a time; a card is taken at its latest
    entry, and only if that is still its last change (else a later entry has it). Numbers
    commit in order, so once an entry is seen every lower one is committed and was seen.
    """
    found: list[Card] = []
    seen = None  # the highest change number read
    while len(found) <= limit:
        after = CardChange.change_no >= start.change if seen is None else CardChange.change_no > seen
        entries = session.execute(
            select(CardChange.change_no, CardChange.card_ids)
            .where(CardChange.merchant_id == start.merchant, after)
            .order_by(CardChange.change_no)
            .limit(LOG_ROWS)
        ).all()
        at: dict[int, int] = {}  # card id -> its latest change among these entries
        for change_no, card_ids in entries:
            for card_id in card_ids:
                if change_no > start.change or card_id > start.card:
                    at[card_id] = change_no
        cards = _cards_by_id(session, list(at))
        found += sorted(
            (card for card in cards if card.change_no == at[card.id]),
            key=lambda card: (card.change_no, card.id),
        )
        if entries:
            seen = entries[-1].change_no
        if len(entries) < LOG_ROWS:
            break
    if len(found) > limit:  # more to come: resume after the last card sent
        if not limit:
            return [], start, True
        last = found[limit - 1]
        return found[:limit], replace(start, change=last.change_no, card=last.id), True
    # The log is read to its end: resume past the last change read.
    end = start if seen is None else replace(start, change=seen, card=PAST_THE_CHANGE)
    return found, end, False


def _cards_by_id(session: Session, ids: Sequence[int]) -> list[Card]:
    cards: list[Card] = []
    for i in range(0, len(ids), LOOKUP_IDS):
        cards += session.scalars(select(Card).where(Card.id.in_(ids[i : i + LOOKUP_IDS])))
    return cards


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
