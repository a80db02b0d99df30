"""Allowances: the escrow a till holds for offline redemptions, granted, renewed and released.

A till calls `POST /v1/sync/allowances` when it is online (after syncing). In one transaction,
with the till's own lock (its pushes wait) and then the cards' locks in id order:
1. its allowances that have ended by its own clock are released, if the server has stored every
   seq the till says it recorded (a till holding unsent transactions keeps its escrow);
2. the store's regulars (accepted activity there within the programme's days, most recent first,
   up to its cap of cards) get an allowance, or have theirs renewed and topped up, from what the
   card holds for no other till. An allowance never shrinks here: a till may already have
   counted on what it was told.
Head office releases a card's holds from the console, and revoking a till releases all of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import uuid6
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server_stub.models import Allowance, Card, Device, StoreRegular
from server_stub.service.auth import DeviceContext
from server_stub.service.backend import Backend
from server_stub.service.programs import current_program
from sync.protocol import AllowanceOut, AllowanceResponse, Program


@dataclass
class _Card:
    id: int
    number: str
    points: int
    stamps: int
    held_points: int
    held_stamps: int
    active: bool


def sync_allowances(
    session: Session,
    backend: Backend,
    device: DeviceContext,
    *,
    recorded_seq: int | None,
    till_time: datetime,
    now: datetime,
) -> AllowanceResponse:
    """Release what has ended, then renew, top up and grant; the till's allowances as they now are."""
    backend.lock_device(session, device.device_id)
    program = current_program(session, device.merchant_id)
    regulars = _regulars(session, device, program, now=now) if _grants(program) else []
    cards = _lock(session, {a.card_id for a in _held(session, device_id=device.device_id)} | set(regulars))
    held = _held(session, device_id=device.device_id)  # again, under the cards' locks
    last_seq = session.execute(select(Device.last_seq).where(Device.id == device.device_id)).scalar_one()
    synced = recorded_seq is None or (last_seq is not None and last_seq >= recorded_seq)
    ending = [a for a in held if synced and a.valid_until <= till_time]
    cards.update(_lock(session, {a.card_id for a in held} - set(cards)))  # one granted meanwhile (rare)
    release(session, ending, cards, why="ended", now=now)
    kept = {a.card_id: a for a in held if a not in ending}
    until = now + timedelta(hours=program.allowance_hours)
    for card_id in regulars:
        card = cards[card_id]
        own = kept.get(card_id)
        if card.active:
            kept[card_id] = _top_up(session, device, program, card, own, until=until, now=now)
    _write_holds(session, cards.values())
    return AllowanceResponse(
        allowances=[
            AllowanceOut(
                id=a.id,
                card_number=cards[a.card_id].number,
                points=a.points,
                stamps=a.stamps,
                valid_until=a.valid_until,
            )
            for a in sorted(kept.values(), key=lambda a: a.card_id)
        ],
        server_time=now,
        stored_seq=last_seq,
    )


def _grants(program: Program) -> bool:
    return program.allowance_points > 0 or program.allowance_stamps > 0


def _held(
    session: Session,
    *,
    device_id: str | None = None,
    merchant_id: int | None = None,
    card_id: int | None = None,
) -> list[Allowance]:
    """The allowances not released, of a till or on a card, read as they are now."""
    query = select(Allowance).where(Allowance.released_at.is_(None))
    if device_id is not None:
        query = query.where(Allowance.device_id == device_id)
    if merchant_id is not None:
        query = query.where(Allowance.merchant_id == merchant_id)
    if card_id is not None:
        query = query.where(Allowance.card_id == card_id)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def _regulars(session: Session, device: DeviceContext, program: Program, *, now: datetime) -> list[int]:
    """The store's cards seen within the programme's days, most recent first, up to its cap."""
    since = now - timedelta(days=program.allowance_regular_days)
    return list(
        session.scalars(
            select(StoreRegular.card_id)
            .where(StoreRegular.store_id == device.store_id, StoreRegular.last_at >= since)
            .order_by(StoreRegular.last_at.desc())
            .limit(program.allowance_cards)
        )
    )


def _lock(session: Session, card_ids: Iterable[int]) -> dict[int, _Card]:
    """The cards locked in id order (every writer of cards locks in that order)."""
    wanted = sorted(set(card_ids))
    cards: dict[int, _Card] = {}
    for start in range(0, len(wanted), 1000):
        rows = session.execute(
            select(
                Card.id,
                Card.card_number,
                Card.points_balance,
                Card.stamp_count,
                Card.held_points,
                Card.held_stamps,
                Card.is_active,
            )
            .where(Card.id.in_(wanted[start : start + 1000]))
            .order_by(Card.id)
            .with_for_update()
        ).all()
        cards.update({row[0]: _Card(*row) for row in rows})
    return cards


def _top_up(
    session: Session,
    device: DeviceContext,
    program: Program,
    card: _Card,
    own: Allowance | None,
    *,
    until: datetime,
    now: datetime,
) -> Allowance:
    """The till's allowance on the card renewed and topped up to the programme's amounts, from what
    the card holds for no other till; never less than it was."""
    left_points = own.points if own is not None else 0
    left_stamps = own.stamps if own is not None else 0
    free_points = card.points - (card.held_points - left_points)
    free_stamps = card.stamps - (card.held_stamps - left_stamps)
    points = max(left_points, min(program.allowance_points, free_points))
    stamps = max(left_stamps, min(program.allowance_stamps, free_stamps))
    card.held_points += points - left_points
    card.held_stamps += stamps - left_stamps
    if own is None:
        own = Allowance(
            id=str(uuid6.uuid7()),
            merchant_id=device.merchant_id,
            device_id=device.device_id,
            store_id=device.store_id,
            card_id=card.id,
            points=points,
            stamps=stamps,
            valid_until=until,
            granted_at=now,
        )
        session.add(own)
    else:
        own.points, own.stamps = points, stamps
        own.valid_until = max(own.valid_until, until)
    return own


def release(
    session: Session, allowances: Sequence[Allowance], cards: dict[int, _Card], *, why: str, now: datetime
) -> None:
    """What the allowances hold goes back to their cards (locked by the caller)."""
    for allowance in allowances:
        card = cards[allowance.card_id]
        card.held_points -= allowance.points
        card.held_stamps -= allowance.stamps
        allowance.released_at = now
        allowance.released_why = why
    session.flush()


def _write_holds(session: Session, cards: Iterable[_Card]) -> None:
    rows = [{"id": c.id, "held_points": c.held_points, "held_stamps": c.held_stamps} for c in cards]
    if rows:
        session.flush()
        session.execute(update(Card), rows)


def release_holds(
    session: Session,
    *,
    merchant_id: int,
    card_id: int | None = None,
    device_id: str | None = None,
    why: str,
    now: datetime,
) -> int:
    """Head office: release every hold on a card, or every hold of a till (when it is revoked)."""
    found = _held(session, merchant_id=merchant_id, card_id=card_id, device_id=device_id)
    if not found:
        return 0
    cards = _lock(session, {a.card_id for a in found})
    allowances = _held(
        session, merchant_id=merchant_id, card_id=card_id, device_id=device_id
    )  # under the locks
    release(session, allowances, cards, why=why, now=now)
    _write_holds(session, cards.values())
    return len(allowances)
