"""The points expiry job: cards idle longer than the program allows lose their points (server-made rows).

Cards are found through the cards' `points_active_on` index: a day on or before the card's last
activity, set when it starts holding points (`backend.base.active_on`). A push leaves that day
alone, so the balance update stays a HOT update; the job moves it on instead. Each candidate
(its day before the cutoff) is locked, in id order, a chunk per transaction; those idle since
before the cutoff lose their points (one batch of the server's own `points_expired`), and the
others, used since, get the day of their last use: found once, not again until that day is
itself past the cutoff. So the job's time follows the cards that expire, plus each card used
since its day about once per expiry period, never the ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from server_stub.db import Database
from server_stub.models import Card, ProgramVersion
from server_stub.service.backend import Backend
from server_stub.service.judging import Submitter, new_tx_id, server_tx
from server_stub.service.programs import current_program
from server_stub.service.push import apply_server_batch
from sync.protocol import TransactionType, TxStatus

log = logging.getLogger(__name__)
T = TransactionType
CHUNK_CARDS = 1000


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run is: a merchant's cards to check (found at its start), and how many are done."""

    merchant_id: int
    idle: int  # the cards to check: their day in the expiry index is before the cutoff
    done: int
    expired: int  # of those done, the ones that lost points (the rest were used since)
    finished: bool = False  # the merchant is done


def expire_points(database: Database, *, now: datetime) -> int:
    """Expire idle balances for every merchant; how many cards lost points. Idempotent."""
    expired = 0
    for progress in expiring(database, now=now):
        if progress.finished:
            expired += progress.expired
    return expired


def expiring(database: Database, *, now: datetime) -> Iterator[Progress]:
    """Expire idle balances merchant by merchant, a chunk of cards per transaction, telling
    the progress after each chunk (and once for a merchant with nothing to expire)."""
    with database.session() as session:
        # A merchant without a program yet has nothing to expire.
        merchants = session.execute(
            select(ProgramVersion.merchant_id).distinct().order_by(ProgramVersion.merchant_id)
        ).scalars()
        plans = [(merchant, _cutoff(session, merchant, now)) for merchant in merchants]
    for merchant_id, cutoff in plans:
        if cutoff is None:
            continue
        with database.session() as session:
            due = _due_ids(session, merchant_id, cutoff)
        done = expired = 0
        for start in range(0, len(due), CHUNK_CARDS):
            with database.session() as session, session.begin():
                found, lost = _expire_chunk(
                    session,
                    database.backend,
                    merchant_id=merchant_id,
                    cutoff=cutoff,
                    ids=due[start : start + CHUNK_CARDS],
                    now=now,
                )
            done, expired = done + found, expired + lost
            yield Progress(merchant_id, len(due), done, expired)
        log.info("merchant %d: expired the points of %d cards", merchant_id, expired)
        yield Progress(merchant_id, len(due), done, expired, finished=True)


def _cutoff(session: Session, merchant_id: int, now: datetime) -> datetime | None:
    program = current_program(session, merchant_id)
    if program.points_expiration_days is None or not program.has_points:
        return None
    return now - timedelta(days=program.points_expiration_days)


def _due(merchant_id: int, cutoff: datetime) -> ColumnElement[bool]:
    """Cards to check: their day in the expiry index is before the cutoff's (the index alone)."""
    return and_(Card.merchant_id == merchant_id, Card.points_active_on <= cutoff.date())


def _idle(cutoff: datetime) -> ColumnElement[bool]:
    """Of those, the cards that lose points: unused since before `cutoff`, holding points beyond
    what tills hold for offline use (which does not expire)."""
    return and_(Card.last_activity_at < cutoff, Card.points_balance > Card.held_points)


def _due_ids(session: Session, merchant_id: int, cutoff: datetime) -> list[int]:
    """The ids of the cards to check, in id order (read through the day's index, then sorted: a
    walk of the primary key in id order would pass over every card that is not due)."""
    return list(session.execute(select(Card.id).where(_due(merchant_id, cutoff)).order_by(Card.id)).scalars())


def _expire_chunk(
    session: Session, backend: Backend, *, merchant_id: int, cutoff: datetime, ids: list[int], now: datetime
) -> tuple[int, int]:
    """Lock the cards of `ids` still due (in id order), expire the idle ones and give the others
    the day of their last use; how many were checked and how many lost points."""
    locked = session.execute(
        select(
            Card.id,
            Card.card_number,
            Card.points_balance - Card.held_points,
            Card.points_balance,
            Card.last_activity_at,
            _idle(cutoff),
        )
        .where(Card.id.in_(ids), _due(merchant_id, cutoff))
        .order_by(Card.id)
        .with_for_update()
    ).all()
    if not locked:
        return 0, 0
    txs = [
        server_tx(
            tx_id=new_tx_id(), kind=T.POINTS_EXPIRED, card_number=number, at=now, points_delta=-int(balance)
        )
        for _, number, balance, _, _, idle in locked
        if idle
    ]
    expired = 0
    if txs:
        submitter = Submitter(
            merchant_id=merchant_id, store_id=None, timezone="UTC", device_id=None, made_by_server=True
        )
        verdicts = apply_server_batch(session, backend, submitter, txs, now=now)
        expired = sum(1 for verdict in verdicts if verdict.status == TxStatus.ACCEPTED)
    # The cards used since get the day of their last use (the expired ones got theirs with the
    # batch): they leave the candidates until that day is past a later run's cutoff.
    used = [
        {"id": card_id, "points_active_on": _day(last) if points > 0 else None}
        for card_id, _, _, points, last, idle in locked
        if not idle
    ]
    if used:
        session.execute(update(Card), used)
    return len(locked), expired


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None
