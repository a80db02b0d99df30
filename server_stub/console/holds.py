"""A card's offline allowances on its console page, and head office releasing them (docs/allowances.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.console.accounts import OfficeUserView
from server_stub.models import Allowance, Card, Device, Store
from server_stub.office import audit
from server_stub.service.allowances import release_holds

RELEASED_WHY = "head office"


@dataclass(frozen=True, slots=True)
class Hold:
    """One unreleased allowance on the card, as the page shows it."""

    id: str
    store: str
    till: str
    tz: str
    points: int
    stamps: int
    granted_at: datetime
    valid_until: datetime


@dataclass(frozen=True, slots=True)
class Released:
    allowances: int  # 0: nothing was held, nothing changed
    points: int
    stamps: int


def card_holds(session: Session, merchant_id: int, card_id: int) -> list[Hold]:
    """The card's unreleased allowances, soonest ending first: one query on `ix_allowances_card`."""
    found = session.execute(
        select(Allowance, Store.name, Store.timezone, Device.name)
        .join(Store, Store.id == Allowance.store_id)
        .join(Device, Device.id == Allowance.device_id)
        .where(
            Allowance.card_id == card_id,
            Allowance.released_at.is_(None),
            Allowance.merchant_id == merchant_id,
        )
        .order_by(Allowance.valid_until, Allowance.id)
    ).all()
    return [
        Hold(
            id=allowance.id,
            store=store,
            till=till,
            tz=timezone or "UTC",
            points=allowance.points,
            stamps=allowance.stamps,
            granted_at=allowance.granted_at,
            valid_until=allowance.valid_until,
        )
        for allowance, store, timezone, till in found
    ]


def release_card_holds(session: Session, user: OfficeUserView, card: Card, *, now: datetime) -> Released:
    """Every hold on the card goes back to it, audited in the same transaction; nothing held: no change."""
    # The card's lock first, so what is audited is exactly what is released (every writer of a
    # card's allowances holds its lock; release_holds takes it again, a no-op).
    held = select(Card.held_points, Card.held_stamps).where(Card.id == card.id)
    old_points, old_stamps = session.execute(held.with_for_update()).one()
    before = card_holds(session, user.merchant_id, card.id)
    if not before:
        return Released(allowances=0, points=0, stamps=0)
    count = release_holds(session, merchant_id=user.merchant_id, card_id=card.id, why=RELEASED_WHY, now=now)
    new_points, new_stamps = session.execute(held).one()
    audit.record(
        session,
        user.actor,
        action="card.release_holds",
        target=f"card:{card.card_number}",
        old={
            "held_points": old_points,
            "held_stamps": old_stamps,
            "allowances": [
                {"id": h.id, "store": h.store, "till": h.till, "points": h.points, "stamps": h.stamps}
                for h in before
            ],
        },
        new={"held_points": new_points, "held_stamps": new_stamps, "released_why": RELEASED_WHY},
        now=now,
    )
    return Released(allowances=count, points=old_points - new_points, stamps=old_stamps - new_stamps)
