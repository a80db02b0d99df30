"""The points expiry job: cards idle longer than the program allows lose their points (server-made rows)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server_stub.db import Database
from server_stub.models import Card, LedgerTransaction, ProgramVersion
from server_stub.service.backend import Backend
from server_stub.service.judging import Submitter
from server_stub.service.programs import current_program
from server_stub.service.push import apply_server_batch
from sync.protocol import TransactionType, Tx, TxStatus

log = logging.getLogger(__name__)
T = TransactionType


def expire_points(database: Database, *, now: datetime) -> int:
    """Expire idle balances for every merchant; returns how many cards lost points. Idempotent."""
    with database.session() as session:
        # A merchant without a program yet has nothing to expire.
        merchant_ids = list(
            session.execute(
                select(ProgramVersion.merchant_id).distinct().order_by(ProgramVersion.merchant_id)
            ).scalars()
        )
    total = 0
    for merchant_id in merchant_ids:
        with database.session() as session, session.begin():
            total += _expire_merchant(session, database.backend, merchant_id=merchant_id, now=now)
    return total


def _expire_merchant(session: Session, backend: Backend, *, merchant_id: int, now: datetime) -> int:
    program = current_program(session, merchant_id)
    if program.points_expiration_days is None or not program.has_points:
        return 0
    cutoff = now - timedelta(days=program.points_expiration_days)
    idle = _idle_cards(session, merchant_id=merchant_id, cutoff=cutoff)
    txs = [
        Tx(
            id=uuid.uuid4(),
            seq=1,
            type=T.POINTS_EXPIRED,
            card_number=number,
            staff_id=1,
            transaction_at=now,
            points_delta=-balance,
        )
        for number, balance in idle
    ]
    if not txs:
        return 0
    submitter = Submitter(
        merchant_id=merchant_id, store_id=None, timezone="UTC", device_id=None, made_by_server=True
    )
    verdicts = apply_server_batch(session, backend, submitter, txs, now=now)
    expired = sum(1 for verdict in verdicts if verdict.status == TxStatus.ACCEPTED)
    log.info("merchant %d: expired the points of %d cards", merchant_id, expired)
    return expired


def _idle_cards(session: Session, *, merchant_id: int, cutoff: datetime) -> list[tuple[str, int]]:
    """The idle cards holding points, locked (in id order) so their balances stay as read."""
    latest = (
        select(LedgerTransaction.card_number, func.max(LedgerTransaction.transaction_at).label("last_at"))
        .where(
            LedgerTransaction.merchant_id == merchant_id,
            LedgerTransaction.status == TxStatus.ACCEPTED.value,
            LedgerTransaction.type != T.POINTS_EXPIRED.value,
        )
        .group_by(LedgerTransaction.card_number)
        .subquery()
    )
    rows = session.execute(
        select(Card.card_number, Card.points_balance)
        .join(latest, latest.c.card_number == Card.card_number)
        .where(Card.merchant_id == merchant_id, Card.points_balance > 0, latest.c.last_at < cutoff)
        .order_by(Card.id)
        .with_for_update(of=Card)
    ).all()
    return [(number, int(balance)) for number, balance in rows]
