"""The backend objects: locks before facts, and the facts as the ledger holds them once the locks are held."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from server_stub.models import Card, LedgerTransaction
from server_stub.service.judging import BatchFacts, Submitter
from server_stub.service.world import create_merchant
from sync import rules
from sync.protocol import TransactionType, Tx
from tests.server.conftest import Backend
from tests.server.factories import World
from tests.server.test_races import lock_waiters

T = TransactionType


def stamp(card: str, staff_id: int, *, seq: int = 1) -> Tx:
    return Tx(
        id=uuid.uuid4(),
        seq=seq,
        type=T.STAMP_EARNED,
        card_number=card,
        staff_id=staff_id,
        transaction_at=datetime.now(UTC),
        stamps_delta=1,
    )


def submitter(world: World) -> Submitter:
    return Submitter(
        merchant_id=world.merchant_id,
        store_id=world.store_ids[0],
        timezone="Europe/Dublin",
        device_id=world.tills[0].device_id,
    )


def gather(backend: Backend, world: World, txs: list[Tx]) -> BatchFacts:
    with backend.database.session() as session, session.begin():
        return backend.database.backend.lock_and_gather(
            session, submitter(world), txs, [str(tx.id) for tx in txs]
        )


def test_the_facts_see_what_committed_while_the_batch_waited_for_its_card(
    backend: Backend, world: World
) -> None:
    """The statements after the lock in one pipeline take their snapshots after it was granted."""
    if backend.name != "postgres":
        pytest.skip("SQLite's one writer: nothing commits while a batch waits")
    card = world.new_card()
    staff = world.staff["staff0"]
    day = rules.local_day(datetime.now(UTC), "Europe/Dublin")
    found: list[BatchFacts] = []
    with backend.database.session() as holder, holder.begin():
        holder.execute(
            select(Card.id)
            .where(Card.merchant_id == world.merchant_id, Card.card_number == card)
            .with_for_update()
        ).one()
        waiting = threading.Thread(target=lambda: found.append(gather(backend, world, [stamp(card, staff)])))
        waiting.start()
        while lock_waiters(backend) < 1:
            waiting.join(0.01)  # the other session's lock wait has no signal to wait on
        now = datetime.now(UTC)
        holder.execute(
            LedgerTransaction.__table__.insert().values(
                id=str(uuid.uuid4()),
                merchant_id=world.merchant_id,
                store_id=world.store_ids[1],
                card_number=card,
                type="stamp_earned",
                status="accepted",
                stamps_delta=1,
                points_delta=0,
                staff_id=staff,
                transaction_at=now,
                local_date=day,
                received_at=now,
            )
        )
        holder.execute(
            update(Card)
            .where(Card.merchant_id == world.merchant_id, Card.card_number == card)
            .values(stamp_count=1)
        )
    waiting.join(30)
    [facts] = found
    assert facts.stamps_per_day == {(card, day): 1}
    assert facts.cards[card].state.stamp_count == 1


def test_the_batch_locks_its_cards_within_its_merchant_only(backend: Backend, world: World) -> None:
    ours = world.new_card()
    other = f"X{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    with backend.database.session() as session, session.begin():
        elsewhere = create_merchant(session, name="elsewhere", now=now)
        session.add(Card(merchant_id=elsewhere.id, card_number=other, created_at=now, updated_at=now))
    facts = gather(
        backend, world, [stamp(ours, world.staff["staff0"]), stamp(other, world.staff["staff0"], seq=2)]
    )
    assert set(facts.cards) == {ours}


def test_the_staff_and_programs_read_are_the_merchants_own(backend: Backend, world: World) -> None:
    card = world.new_card()
    facts = gather(backend, world, [stamp(card, world.staff["staff0"]), stamp(card, 10**6, seq=2)])
    assert set(facts.staff) == {world.staff["staff0"]}
    assert facts.current.version == max(facts.programs)
