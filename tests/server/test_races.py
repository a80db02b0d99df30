"""Every fact a rule reads is judged under the card's lock: two stores pushing at once, on PostgreSQL.

Each test releases two tills at two stores with a barrier, ten rounds. In the even rounds the test
holds the card's row lock until both pushes wait behind it (so each has done whatever it does
before the lock), then lets them go: with a fact read before the lock, the second push judges
against a state the first has since changed, every time. The odd rounds are the bare race.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from server_stub.models import Card
from server_stub.service.world import create_staff
from sync.protocol import Role
from tests.server.conftest import Backend
from tests.server.factories import Till, World
from tests.server.ledger_checks import balances_match_ledger

ROUNDS = 10
WAIT_S = 30.0

# Row locks and a snapshot per statement are PostgreSQL's; SQLite has one writer at a time.
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgres"], indirect=True)]


@pytest.fixture
def pg(backend: Backend) -> Backend:
    return backend


Push = Callable[[], httpx.Response]


def push_of(till: Till, txs: list[dict[str, Any]]) -> Push:
    client = httpx.Client(base_url=till.client.base_url, headers=till.client.headers, timeout=60)

    def push() -> httpx.Response:
        with client:
            return client.post(
                "/v1/sync/push",
                json={"transactions": txs},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )

    return push


def race(
    pg: Backend,
    world: World,
    pushes: list[Push],
    *,
    hold: str | None,
    meanwhile: Callable[[], None] | None = None,
) -> list[list[dict[str, Any]]]:
    """Release the pushes together; with `hold`, only once each waits behind that card's lock
    (and `meanwhile` has run). Every push must answer 200; their results, in order."""
    barrier = threading.Barrier(len(pushes))
    answers: list[httpx.Response | BaseException | None] = [None] * len(pushes)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=WAIT_S)
            answers[index] = pushes[index]()
        except BaseException as exc:  # reported by the test thread
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(pushes))]
    with holding(pg, world, hold) as waiters:
        for thread in threads:
            thread.start()
        if hold is not None:
            waiters(len(pushes))
            if meanwhile is not None:
                meanwhile()
    for thread in threads:
        thread.join(WAIT_S * 2)
        assert not thread.is_alive(), "a push hung"
    results = []
    for answer in answers:
        assert isinstance(answer, httpx.Response), answer
        assert answer.status_code == 200, answer.text
        results.append(answer.json()["results"])
    return results


@contextlib.contextmanager
def holding(pg: Backend, world: World, card: str | None) -> Iterator[Callable[[int], None]]:
    """Hold `card`'s row lock (if any); the callable waits until `n` sessions wait for a lock."""
    if card is None:
        yield lambda _n: None
        return
    with pg.database.session() as session, session.begin():
        session.execute(
            select(Card.id)
            .where(Card.merchant_id == world.merchant_id, Card.card_number == card)
            .with_for_update()
        ).one()

        def wait_for(n: int) -> None:
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                if lock_waiters(pg) >= n:
                    return
                time.sleep(0.01)  # another session's lock wait has no signal to wait on
            raise AssertionError(f"fewer than {n} pushes waited for the card's lock")

        yield wait_for


def lock_waiters(pg: Backend) -> int:
    with pg.database.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def statuses(results: list[list[dict[str, Any]]]) -> list[tuple[str, str | None]]:
    return sorted((item["status"], item["reason"]) for batch in results for item in batch)


def hold_in(round_no: int, card: str) -> str | None:
    return card if round_no % 2 == 0 else None


def noon_utc() -> str:
    """Today noon UTC: the same calendar day in Dublin and in Los Angeles (the world's two stores)."""
    return datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0).isoformat()


@contextlib.contextmanager
def no_retries(pg: Backend) -> Iterator[None]:
    """The pushes inside never had to run again (a conflict found only when writing)."""
    log = pg.server.log_path
    start = log.stat().st_size
    yield
    with log.open("rb") as handle:
        handle.seek(start)
        assert b"retried" not in handle.read()


def test_two_stores_stamping_one_card_at_once_get_exactly_the_daily_limit(pg: Backend, world: World) -> None:
    north, west = world.tills
    staff = (world.staff["staff0"], world.staff["staff1"])
    for round_no in range(ROUNDS):
        card = world.new_card()
        at = noon_utc()
        pushes = [
            push_of(
                till,
                [till.tx("stamp_earned", card, who, stamps_delta=1, transaction_at=at) for _ in range(2)],
            )
            for till, who in zip((north, west), staff, strict=True)
        ]
        results = race(pg, world, pushes, hold=hold_in(round_no, card))
        assert statuses(results) == [("accepted", None)] * 2 + [("rejected", "daily_stamp_limit")] * 2, (
            round_no
        )
        assert north.card(card)["card"]["stamp_count"] == 2
    assert balances_match_ledger(world.database, world.merchant_id)


@pytest.mark.parametrize(("each_voids", "accepted"), [(39, 1), (40, 1), (20, 2)])
def test_two_stores_voiding_one_purchase_at_once_never_void_more_than_it_gave(
    pg: Backend, world: World, each_voids: int, accepted: int
) -> None:
    north, west = world.tills
    staff = (world.staff["manager0"], world.staff["manager1"])
    for round_no in range(ROUNDS):
        card = world.new_card()
        [bought] = north.push_ok(
            [north.tx("points_earned", card, staff[0], points_delta=40, purchase_amount_cents=400)]
        )
        pushes = [
            push_of(
                till,
                [
                    till.tx(
                        "points_voided",
                        card,
                        who,
                        points_delta=-each_voids,
                        related_transaction_id=bought["id"],
                    )
                ],
            )
            for till, who in zip((north, west), staff, strict=True)
        ]
        results = race(pg, world, pushes, hold=hold_in(round_no, card))
        refused = [("rejected", "already_voided")] * (2 - accepted)
        assert statuses(results) == [("accepted", None)] * accepted + refused, round_no
        assert north.card(card)["card"]["points_balance"] == 40 - accepted * each_voids
    assert balances_match_ledger(world.database, world.merchant_id)


def earning(till: Till, card: str, staff_id: int, order: str) -> Push:
    """A push of one purchase of 10 points with this order reference."""
    tx = till.tx(
        "points_earned", card, staff_id, points_delta=10, purchase_amount_cents=100, order_reference=order
    )
    return push_of(till, [tx])


def test_one_order_reference_sent_from_two_stores_at_once_earns_once(pg: Backend, world: World) -> None:
    north, west = world.tills
    staff = (world.staff["staff0"], world.staff["staff1"])
    for round_no in range(ROUNDS):
        card = world.new_card()
        order = f"sale-{uuid.uuid4().hex[:8]}"
        pushes = [earning(till, card, who, order) for till, who in zip((north, west), staff, strict=True)]
        with no_retries(pg):  # judged under the card's lock, not caught later by the unique index
            results = race(pg, world, pushes, hold=hold_in(round_no, card))
        assert statuses(results) == [("accepted", None), ("rejected", "duplicate_order_reference")], round_no
        assert north.card(card)["card"]["points_balance"] == 10
    assert balances_match_ledger(world.database, world.merchant_id)


def test_one_order_reference_on_two_cards_at_once_earns_once(pg: Backend, world: World) -> None:
    """Two cards share no lock: the unique index decides, and the loser is judged again."""
    north, west = world.tills
    staff = (world.staff["staff0"], world.staff["staff1"])
    for _ in range(ROUNDS // 2):
        cards = [world.new_card(), world.new_card()]
        order = f"sale-{uuid.uuid4().hex[:8]}"
        pushes = [
            earning(till, card, who, order)
            for till, who, card in zip((north, west), staff, cards, strict=True)
        ]
        results = race(pg, world, pushes, hold=None)
        assert statuses(results) == [("accepted", None), ("rejected", "duplicate_order_reference")]
    assert balances_match_ledger(world.database, world.merchant_id)


def test_two_stores_giving_the_welcome_bonus_at_once_give_it_once(pg: Backend, world: World) -> None:
    north, west = world.tills
    staff = (world.staff["staff0"], world.staff["staff1"])
    for round_no in range(ROUNDS):
        card = world.new_card()
        pushes = [
            push_of(till, [till.tx("welcome_bonus", card, who, points_delta=50)])
            for till, who in zip((north, west), staff, strict=True)
        ]
        results = race(pg, world, pushes, hold=hold_in(round_no, card))
        assert statuses(results) == [("accepted", None), ("rejected", "invalid_welcome_bonus")], round_no
        assert north.card(card)["card"]["points_balance"] == 50
    assert balances_match_ledger(world.database, world.merchant_id)


def test_a_deactivation_racing_a_redemption_leaves_the_card_inactive_and_the_ledger_whole(
    pg: Backend, world: World
) -> None:
    north, west = world.tills
    for round_no in range(ROUNDS):
        card = world.new_card(points=300)
        deactivate = north.tx("card_deactivated", card, world.staff["manager0"])
        redeem = west.tx(
            "points_redeemed", card, world.staff["staff1"], points_delta=-100, reward_id="coffee"
        )
        results = race(
            pg, world, [push_of(north, [deactivate]), push_of(west, [redeem])], hold=hold_in(round_no, card)
        )
        [[deactivated], [redeemed]] = results
        assert deactivated["status"] == "accepted", round_no
        assert redeemed["status"] == "accepted" or redeemed["reason"] == "card_inactive", round_no
        state = north.card(card)["card"]
        assert state["is_active"] is False
        assert state["points_balance"] == (200 if redeemed["status"] == "accepted" else 300), round_no
    assert balances_match_ledger(world.database, world.merchant_id)


def test_a_staff_member_deactivated_by_head_office_while_pushes_wait_is_refused(
    pg: Backend, world: World
) -> None:
    north, west = world.tills
    office = world.client(world.admin_token)
    for round_no in range(ROUNDS):
        card = world.new_card()
        with world.database.session() as session, session.begin():
            member = create_staff(
                session,
                merchant_id=world.merchant_id,
                name=f"temp {round_no}",
                role=Role.STAFF,
                store_id=None,
                pin="4321",
                now=datetime.now(UTC),
            ).id
        pushes = [
            push_of(till, [till.tx("stamp_earned", card, member, stamps_delta=1)]) for till in (north, west)
        ]

        def deactivate(member: int = member) -> None:
            response = office.patch(f"/v1/office/staff/{member}", json={"is_active": False})
            assert response.status_code == 200, response.text

        if round_no % 2 == 0:  # both pushes wait for the card while head office deactivates
            results = race(pg, world, pushes, hold=card, meanwhile=deactivate)
            assert statuses(results) == [("rejected", "unknown_staff")] * 2, round_no
        else:  # the bare race: a push accepted with them committed before the deactivation did
            deactivation = threading.Thread(target=deactivate)
            deactivation.start()
            results = race(pg, world, pushes, hold=None)
            deactivation.join(WAIT_S)
            assert all(item["reason"] in (None, "unknown_staff") for batch in results for item in batch)
        late = north.push_ok([north.tx("stamp_earned", world.new_card(), member, stamps_delta=1)])
        assert late[0]["reason"] == "unknown_staff"
    assert balances_match_ledger(world.database, world.merchant_id)


def test_two_stores_creating_one_card_number_at_once_create_it_once(pg: Backend, world: World) -> None:
    north, west = world.tills
    staff = (world.staff["staff0"], world.staff["staff1"])
    for _ in range(ROUNDS):
        number = f"NEW-{uuid.uuid4().hex[:10]}"
        pushes = [
            push_of(till, [till.tx("card_created", number, who, customer={"name": f"at {till.store_id}"})])
            for till, who in zip((north, west), staff, strict=True)
        ]
        with no_retries(pg):  # the number's lock decides, not the unique key found when writing
            results = race(pg, world, pushes, hold=None)
        assert statuses(results) == [("accepted", None), ("rejected", "card_number_taken")]
        with world.database.session() as session:
            count = session.execute(
                select(Card.id).where(Card.merchant_id == world.merchant_id, Card.card_number == number)
            ).all()
        assert len(count) == 1
