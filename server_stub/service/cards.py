"""A card as a till looks it up: its state and its last transactions (no contact details)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.models import Allowance, Card, LedgerTransaction
from server_stub.service.auth import DeviceContext
from server_stub.service.pull import card_out
from sync.protocol import CARD_HISTORY_LIMIT, CARD_NUMBER_PATTERN, CardDetail, CardTxOut, HoldOut

_CARD_NUMBER = re.compile(CARD_NUMBER_PATTERN)


def card_detail(session: Session, *, device: DeviceContext, card_number: str) -> CardDetail | None:
    """None when the number is invalid or no card of this merchant has it."""
    if not _CARD_NUMBER.fullmatch(card_number):
        return None
    card = session.execute(
        select(Card).where(Card.merchant_id == device.merchant_id, Card.card_number == card_number)
    ).scalar_one_or_none()
    if card is None:
        return None
    rows = session.execute(
        select(LedgerTransaction)
        .where(
            LedgerTransaction.merchant_id == device.merchant_id, LedgerTransaction.card_number == card_number
        )
        .order_by(
            LedgerTransaction.received_at.desc(), LedgerTransaction.seq.desc(), LedgerTransaction.id.desc()
        )
        .limit(CARD_HISTORY_LIMIT)
    ).scalars()
    holds = session.execute(
        select(Allowance.store_id, Allowance.points, Allowance.stamps, Allowance.valid_until)
        .where(Allowance.card_id == card.id, Allowance.released_at.is_(None))
        .order_by(Allowance.valid_until)
    ).all()
    return CardDetail(
        card=card_out(card),
        transactions=[CardTxOut.model_validate(row) for row in rows],
        held_points=card.held_points,
        held_stamps=card.held_stamps,
        holds=[HoldOut(store_id=s, points=p, stamps=t, valid_until=u) for s, p, t, u in holds],
    )
