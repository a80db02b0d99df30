"""Allowances: the escrow a till holds for offline redemptions, granted, renewed and released.

A till calls `POST /v1/sync/allowances` when it is online (after syncing). In one transaction,
with the till's own lock (its pushes wait) and then the cards' locks in id order:
1. its allowances that have ended by its own clock are released, if the server has stored every
   seq the till says it recorded (a till holding unsent transactions keeps its escrow);
2. the store's regulars (accepted activity there within the programme's days, most recent first,
   up to its cap of cards) get an allowance, or have theirs renewed (when that moves its end on
   by a tenth of its validity or more) and topped up, from what the card holds for no other
   till. An allowance never shrinks here: a till may already have counted on what it was told.
Only the cards whose allowance changes are locked and written: an ask that changes nothing is a
few reads.
Head office releases a card's holds from the console, and revoking a till releases all of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import uuid6
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from server_stub.db import is_postgres
from server_stub.models import Allowance, Card, Device, StoreRegular
from server_stub.service.auth import DeviceContext
from server_stub.service.backend import AllowanceAmounts, Backend, CardHolds, backend_for
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
    """Release what has ended, then renew, top up and grant; the till's allowances as they now are.

    What the till holds is read first, without the cards' locks (the till's own lock keeps its
    pushes out); only the cards whose allowance would change are locked, read again and written.
    An ask that changes nothing writes nothing."""
    backend.lock_device(session, device.device_id)
    program = current_program(session, device.merchant_id)
    regulars = _regulars(session, device, program, now=now) if program.grants_allowances else []
    last_seq = session.execute(select(Device.last_seq).where(Device.id == device.device_id)).scalar_one()
    synced = recorded_seq is None or (last_seq is not None and last_seq >= recorded_seq)
    until = now + timedelta(hours=program.allowance_hours)
    plan = _Plan(program, {r.card_id for r in regulars}, synced=synced, till_time=till_time, until=until)
    told = {row.card_id: row for row in _holding(session, device.device_id)}
    changing = {card_id for card_id, row in told.items() if plan.changes(row)}
    changing |= {r.card_id for r in regulars if r.card_id not in told and plan.grants(r)}
    changed = _change(session, backend, device, plan, sorted(changing), now=now) if changing else {}
    kept = {card_id: row.out() for card_id, row in told.items() if card_id not in changing}
    kept.update(changed)
    return AllowanceResponse(
        allowances=[kept[card_id] for card_id in sorted(kept)],
        server_time=now,
        stored_seq=last_seq,
    )


def _change(
    session: Session,
    backend: Backend,
    device: DeviceContext,
    plan: _Plan,
    card_ids: list[int],
    *,
    now: datetime,
) -> dict[int, AllowanceOut]:
    """Under the cards' locks, with the till's allowances on them read again: release the ended,
    then renew, top up and grant for the store's active regulars, in a few set-wise statements.
    What they now hold, by card."""
    cards = _lock(session, card_ids)
    held = {hold.card_id: hold for hold in _holds_on(session, device.device_id, card_ids)}
    ended = [hold for hold in held.values() if plan.ends(hold)]
    for hold in ended:
        cards[hold.card_id].held_points -= hold.points
        cards[hold.card_id].held_stamps -= hold.stamps
        del held[hold.card_id]
    granted: list[_Hold] = []
    renewed: list[_Hold] = []
    for card_id in card_ids:
        card = cards[card_id]
        if card_id in plan.regulars and card.active:
            own = held.get(card_id)
            hold = _topped_up(plan, card, own)
            if own is None and hold.points == hold.stamps == 0:
                continue  # nothing to hold: no allowance
            held[card_id] = hold
            (granted if own is None else renewed).append(hold)
    for start in range(0, len(ended), 1000):
        ids = [hold.id for hold in ended[start : start + 1000]]
        session.execute(
            update(Allowance).where(Allowance.id.in_(ids)).values(released_at=now, released_why="ended")
        )
    backend.write_allowances(
        session, [AllowanceAmounts(h.id, h.points, h.stamps, h.valid_until) for h in renewed]
    )
    if granted:
        session.execute(
            insert(Allowance),
            [
                {
                    "id": h.id,
                    "merchant_id": device.merchant_id,
                    "device_id": device.device_id,
                    "store_id": device.store_id,
                    "card_id": h.card_id,
                    "points": h.points,
                    "stamps": h.stamps,
                    "valid_until": h.valid_until,
                    "granted_at": now,
                }
                for h in granted
            ],
        )
    _write_holds(session, backend, cards.values())
    return {
        card_id: AllowanceOut(
            id=h.id,
            card_number=cards[card_id].number,
            points=h.points,
            stamps=h.stamps,
            valid_until=h.valid_until,
        )
        for card_id, h in held.items()
    }


@dataclass(frozen=True)
class _Hold:
    """One of the till's allowances on a card (not released)."""

    id: str
    card_id: int
    points: int
    stamps: int
    valid_until: datetime


def _holds_on(session: Session, device_id: str, card_ids: Sequence[int]) -> list[_Hold]:
    """The till's allowances not released on these cards, read as they are now."""
    found: list[_Hold] = []
    for start in range(0, len(card_ids), 1000):
        rows = session.execute(
            select(
                Allowance.id, Allowance.card_id, Allowance.points, Allowance.stamps, Allowance.valid_until
            ).where(
                Allowance.device_id == device_id,
                Allowance.released_at.is_(None),
                Allowance.card_id.in_(card_ids[start : start + 1000]),
            )
        )
        found.extend(_Hold(*row) for row in rows)
    return found


def _topped_up(plan: _Plan, card: _Card, own: _Hold | None) -> _Hold:
    """The till's allowance on the card (locked) renewed and topped up to the programme's amounts,
    from what the card holds for no other till; never less than it was. The card's holds follow."""
    left_points = own.points if own is not None else 0
    left_stamps = own.stamps if own is not None else 0
    free_points = spare(card.points, card.held_points - left_points, plan.program.allowance_points)
    free_stamps = spare(card.stamps, card.held_stamps - left_stamps, plan.program.allowance_stamps)
    if own is None:  # a grant: what the card can spare, up to the programme's amounts
        points = max(0, min(plan.program.allowance_points, free_points))
        stamps = max(0, min(plan.program.allowance_stamps, free_stamps))
    else:
        points = topped(left_points, plan.program.allowance_points, free_points)
        stamps = topped(left_stamps, plan.program.allowance_stamps, free_stamps)
    card.held_points += points - left_points
    card.held_stamps += stamps - left_stamps
    if own is None:
        return _Hold(str(uuid6.uuid7()), card.id, points, stamps, plan.until)
    return _Hold(own.id, card.id, points, stamps, max(own.valid_until, plan.until))


# An allowance is renewed when that moves its end on by at least this share of its validity (12
# hours: about every 72 minutes), so most asks of a till online all day change nothing.
RENEW_STEP = 0.1


@dataclass(frozen=True)
class _Told:
    """One of the till's allowances with its card, as read before any lock."""

    id: str
    card_id: int
    card_number: str
    points: int
    stamps: int
    valid_until: datetime
    card_points: int
    card_stamps: int
    card_held_points: int
    card_held_stamps: int
    card_active: bool

    def out(self) -> AllowanceOut:
        return AllowanceOut(
            id=self.id,
            card_number=self.card_number,
            points=self.points,
            stamps=self.stamps,
            valid_until=self.valid_until,
        )


@dataclass(frozen=True)
class _Plan:
    """What an ask does to each allowance: the same tests before the locks (to choose the cards
    to lock) and under them (to act)."""

    program: Program
    regulars: set[int]
    synced: bool
    till_time: datetime
    until: datetime

    def ends(self, allowance: _Hold | _Told) -> bool:
        return self.synced and allowance.valid_until <= self.till_time

    def grants(self, regular: _Regular) -> bool:
        """A regular without an allowance would get one (something to hold)."""
        return regular.active and (
            spare(regular.points, regular.held_points, self.program.allowance_points) > 0
            or spare(regular.stamps, regular.held_stamps, self.program.allowance_stamps) > 0
        )

    def changes(self, told: _Told) -> bool:
        if self.ends(told):
            return True
        if told.card_id not in self.regulars or not told.card_active:
            return False
        step = timedelta(hours=self.program.allowance_hours * RENEW_STEP)
        if told.valid_until <= self.until - step:
            return True
        free_points = spare(
            told.card_points, told.card_held_points - told.points, self.program.allowance_points
        )
        free_stamps = spare(
            told.card_stamps, told.card_held_stamps - told.stamps, self.program.allowance_stamps
        )
        return topped(told.points, self.program.allowance_points, free_points) > told.points or (
            topped(told.stamps, self.program.allowance_stamps, free_stamps) > told.stamps
        )


def spare(balance: int, held_by_others: int, amount: int) -> int:
    """What a till may hold of a card's balance: what no other till holds, less one allowance's
    worth that stays free for anyone. Holding a whole balance would refuse the customer at every
    other till, online (a chain's day with both: 47% of redemptions refused, against 0.2% without
    allowances); so a card is held only beyond what one reward elsewhere needs."""
    return max(0, balance - held_by_others - amount)


def topped(left: int, amount: int, free: int) -> int:
    """An allowance's new amount: the programme's `amount` if the card's `free` balance allows, else
    what is free, but raised only when that fills it or adds at least half the amount (a card
    earning a little at a time is not rewritten at every ask); never less than `left`."""
    wanted = min(amount, free)
    if wanted >= amount or wanted - left >= amount / 2:
        return max(left, wanted)
    return left


def _holding(session: Session, device_id: str) -> list[_Told]:
    """The till's allowances not released, each with its card (no lock)."""
    rows = session.execute(
        select(
            Allowance.id,
            Allowance.card_id,
            Card.card_number,
            Allowance.points,
            Allowance.stamps,
            Allowance.valid_until,
            Card.points_balance,
            Card.stamp_count,
            Card.held_points,
            Card.held_stamps,
            Card.is_active,
        )
        .join(Card, Card.id == Allowance.card_id)
        .where(Allowance.device_id == device_id, Allowance.released_at.is_(None))
    )
    return [_Told(*row) for row in rows]


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


@dataclass(frozen=True)
class _Regular:
    """One of the store's regulars, with its card as read before any lock."""

    card_id: int
    points: int
    stamps: int
    held_points: int
    held_stamps: int
    active: bool


def _regulars(session: Session, device: DeviceContext, program: Program, *, now: datetime) -> list[_Regular]:
    """The store's cards seen within the programme's days, most recent first, up to its cap."""
    since = now - timedelta(days=program.allowance_regular_days)
    rows = session.execute(
        select(
            StoreRegular.card_id,
            Card.points_balance,
            Card.stamp_count,
            Card.held_points,
            Card.held_stamps,
            Card.is_active,
        )
        .join(Card, Card.id == StoreRegular.card_id)
        .where(StoreRegular.store_id == device.store_id, StoreRegular.last_at >= since)
        .order_by(StoreRegular.last_at.desc())
        .limit(program.allowance_cards)
    )
    return [_Regular(*row) for row in rows]


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


def _write_holds(session: Session, backend: Backend, cards: Iterable[_Card]) -> None:
    session.flush()
    backend.write_holds(session, [CardHolds(c.id, c.held_points, c.held_stamps) for c in cards])


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
    _write_holds(session, backend_for(postgres=is_postgres(session)), cards.values())
    return len(allowances)
