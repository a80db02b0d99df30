"""A chain for the allowance benchmarks, built through the server's own code on PostgreSQL: a
merchant and its programme, stores with tills and staff, cards with opening balances, and last
month's visits (pushed by each store's old till) that made cards the regulars of stores."""

from __future__ import annotations

import hashlib
import os
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import select

from server_stub.db import Database, create_database, migrate
from server_stub.models import Merchant
from server_stub.service.auth import DeviceContext
from server_stub.service.judging import Submitter
from server_stub.service.programs import save_program_version
from server_stub.service.push import InFlightKeys, PushStatus, apply_server_batch, push_batch
from server_stub.service.world import create_device, create_merchant, create_staff, create_store
from sync.protocol import MAX_BATCH_ITEMS, ProgramFields, ProgramType, Reward, Role, TransactionType, Tx
from sync.rules import points_for_purchase
from tests.support.live_server import LiveServer, start_server

T = TransactionType
ADMIN_DSN = os.environ.get("LOYALTY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REWARD = "coffee"
REWARD_POINTS = 300  # a free coffee; a till's allowance on a card is one of them
CASHIER_PIN, MANAGER_PIN = "1234", "5678"


def program(*, allowances: bool) -> ProgramFields:
    """A coffee chain's points programme (10 points a euro), with or without allowances."""
    return ProgramFields(
        type=ProgramType.POINTS,
        points_per_currency_unit=10,
        minimum_purchase_cents=100,
        rewards=[Reward(id=REWARD, name="Free coffee", points_cost=REWARD_POINTS)],
        allowance_points=REWARD_POINTS if allowances else 0,
        allowance_hours=12,
        allowance_cards=5000,
        allowance_regular_days=30,
    )


@dataclass(frozen=True)
class TillIssued:
    """A till's device as head office issued it, and the staff of its store."""

    device_id: str
    token: str
    store_index: int
    cashier_id: int
    manager_id: int


@dataclass
class Chain:
    merchant_id: int
    owner_id: int  # makes the cards and their opening balances
    tills: list[TillIssued]
    regulars: list[list[str]]  # per store: its regular cards
    travellers: dict[str, list[int]] = field(default_factory=dict)  # card -> the stores it visits
    balances: dict[str, int] = field(default_factory=dict)  # opening points


# --- databases ------------------------------------------------------------------------------


def sqlalchemy_url(name: str) -> str:
    return ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def _admin(sql: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)  # names are ours, made below


@contextmanager
def databases() -> Iterator[list[str]]:
    """Collects the databases made during the run and drops them all at the end."""
    names: list[str] = []
    try:
        yield names
    finally:
        for name in names:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_database(names: list[str], *, template: str | None = None) -> str:
    name = f"loyalty_bench_{uuid.uuid4().hex[:10]}"
    names.append(name)
    _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


@contextmanager
def serving(name: str, log_path: Path) -> Iterator[LiveServer]:
    server = start_server(sqlalchemy_url(name), log_path=log_path)
    try:
        yield server
    finally:
        server.stop()


def vacuum_analyze(name: str) -> None:
    """What autovacuum would have done by now (this machine's CI configuration turns it off): the
    planner's statistics fresh, dead rows gone. Without it a table filled since the last ANALYZE
    (the allowances) is planned as if empty."""
    with psycopg.connect(f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def set_program(name: str, *, allowances: bool) -> None:
    """The chain's programme as its next version (both worlds get a version 2, on or off)."""
    database = create_database(sqlalchemy_url(name), pool_size=1)
    try:
        with database.session() as session, session.begin():
            merchant_id = session.execute(select(Merchant.id).order_by(Merchant.id).limit(1)).scalar_one()
            save_program_version(
                session, merchant_id=merchant_id, fields=program(allowances=allowances), now=datetime.now(UTC)
            )
    finally:
        database.dispose()


# --- the chain --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainPlan:
    stores: int
    tills: int  # till i works at store i % stores
    regulars_per_store: int
    travellers: int = 0  # cards that visit 2 to 4 stores (regulars of each)
    others: int = 0  # cards no store has seen for a month (no one's regular)
    opening: tuple[int, int] = (0, 600)  # opening points, uniform
    history_before: datetime = field(default_factory=lambda: datetime.now(UTC))
    seed: int = 17


def build_chain(name: str, plan: ChainPlan) -> Chain:
    """The chain in the (empty) database `name`. Its programme's version 1 grants allowances, so
    last month's visits make the stores' regulars (a store records visits only then); each run
    sets version 2, on or off (`set_program`)."""
    database = create_database(sqlalchemy_url(name), pool_size=1)
    try:
        migrate(database)
        chain, old_tills, submitter = _people(database, plan)
        rng = random.Random(plan.seed)
        _cards(database, chain, plan, rng, submitter)
        _history(database, chain, plan, rng, old_tills)
        return chain
    finally:
        database.dispose()


def _people(database: Database, plan: ChainPlan) -> tuple[Chain, list[DeviceContext], Submitter]:
    """Merchant, programme, stores with a cashier and a manager, the tills, and each store's old till."""
    now = datetime.now(UTC)
    with database.session() as session, session.begin():
        merchant = create_merchant(session, name="Allowance bench coffee", now=now)
        save_program_version(session, merchant_id=merchant.id, fields=program(allowances=True), now=now)
        stores = [
            create_store(session, merchant_id=merchant.id, name=f"Store {i}", timezone="UTC")
            for i in range(plan.stores)
        ]
        staff = [
            tuple(
                create_staff(
                    session,
                    merchant_id=merchant.id,
                    name=f"{role.value} {i}",
                    role=role,
                    store_id=store.id,
                    pin=pin,
                    now=now,
                ).id
                for role, pin in ((Role.STAFF, CASHIER_PIN), (Role.STORE_MANAGER, MANAGER_PIN))
            )
            for i, store in enumerate(stores)
        ]
        tills = []
        for i in range(plan.tills):
            index = i % plan.stores
            issued = create_device(session, store=stores[index], name=f"till {i}", now=now)
            tills.append(TillIssued(issued.id, issued.token, index, staff[index][0], staff[index][1]))
        old = [
            DeviceContext(
                create_device(session, store=store, name="last month's till", now=now).id,
                merchant.id,
                store.id,
                store.name,
                store.timezone,
            )
            for store in stores
        ]
        owner = create_staff(
            session,
            merchant_id=merchant.id,
            name="owner",
            role=Role.MERCHANT_OWNER,
            store_id=None,
            pin=MANAGER_PIN,
            now=now,
        )
        submitter = Submitter(merchant_id=merchant.id, store_id=stores[0].id, timezone="UTC", device_id=None)
        chain = Chain(merchant_id=merchant.id, owner_id=owner.id, tills=tills, regulars=[[] for _ in stores])
    return chain, old, submitter


def _cards(
    database: Database, chain: Chain, plan: ChainPlan, rng: random.Random, submitter: Submitter
) -> None:
    """Every card made by head office with its opening balance (server-made rows, no store)."""
    numbers = [f"R{s:03d}-{i:05d}" for s in range(plan.stores) for i in range(plan.regulars_per_store)]
    numbers += [f"TRV-{i:05d}" for i in range(plan.travellers)]
    numbers += [f"OTH-{i:05d}" for i in range(plan.others)]
    at = plan.history_before - timedelta(days=60)
    manager = chain.owner_id
    txs = []
    for number in numbers:
        points = rng.randint(*plan.opening)
        chain.balances[number] = points
        txs.append(_tx(len(txs) + 1, T.CARD_CREATED, number, at=at, staff_id=manager))
        if points:
            txs.append(
                _tx(
                    len(txs) + 1,
                    T.POINTS_ADJUSTMENT,
                    number,
                    at=at,
                    staff_id=manager,
                    points=points,
                    notes="opening",
                )
            )
    for start in range(0, len(txs), MAX_BATCH_ITEMS):
        with database.session() as session, session.begin():
            verdicts = apply_server_batch(
                session, database.backend, submitter, txs[start : start + MAX_BATCH_ITEMS], now=at
            )
        if any(verdict.reason is not None for verdict in verdicts):
            raise RuntimeError(f"an opening card was refused: {[v.reason for v in verdicts if v.reason][:3]}")
    for s in range(plan.stores):
        chain.regulars[s] = [n for n in numbers if n.startswith(f"R{s:03d}-")]
    for number in (n for n in numbers if n.startswith("TRV-")):
        visited = rng.sample(range(plan.stores), min(plan.stores, rng.randint(2, 4)))
        chain.travellers[number] = visited
        for s in visited:
            chain.regulars[s].append(number)


def _history(
    database: Database,
    chain: Chain,
    plan: ChainPlan,
    rng: random.Random,
    old_tills: Sequence[DeviceContext],
) -> None:
    """A small purchase of each regular at its store's old till, 1 to 25 days ago (so each is a
    regular there when the day starts); the balances count what it earned."""
    fields = program(allowances=False)
    in_flight = InFlightKeys()
    for s, old in enumerate(old_tills):
        cashier = next(t.cashier_id for t in chain.tills if t.store_index == s)
        txs = []
        for number in sorted(chain.regulars[s]):
            at = plan.history_before - timedelta(days=rng.randint(1, 25), minutes=rng.randint(0, 600))
            points = points_for_purchase(fields, 100)
            chain.balances[number] += points
            txs.append(_tx(len(txs) + 1, T.POINTS_EARNED, number, at=at, staff_id=cashier, points=points))
        for start in range(0, len(txs), MAX_BATCH_ITEMS):
            _push_in_process(database, in_flight, old, txs[start : start + MAX_BATCH_ITEMS])


def _push_in_process(
    database: Database, in_flight: InFlightKeys, device: DeviceContext, txs: list[Tx]
) -> None:
    key = str(uuid.uuid4())
    outcome = push_batch(
        database,
        in_flight,
        device=device,
        key=key,
        request_hash=hashlib.sha256(key.encode()).hexdigest(),
        txs=txs,
        clock=lambda: datetime.now(UTC),
    )
    refused = [v.reason for v in outcome.verdicts if v.reason is not None]
    if outcome.status is not PushStatus.ANSWERED or refused:
        raise RuntimeError(f"last month's visits were refused: {outcome.status} {refused[:3]}")


def _tx(
    seq: int,
    kind: TransactionType,
    number: str,
    *,
    at: datetime,
    staff_id: int,
    points: int = 0,
    notes: str | None = None,
) -> Tx:
    return Tx.model_validate(
        {
            "id": str(uuid.uuid4()),
            "seq": seq,
            "type": kind,
            "card_number": number,
            "staff_id": staff_id,
            "transaction_at": at.isoformat(),
            "points_delta": points,
            "notes": notes,
            **({"purchase_amount_cents": 100} if kind == T.POINTS_EARNED else {}),
        },
        strict=False,
    )


def earns(
    numbers: Sequence[str], *, staff_id: int, first_seq: int, at: Callable[[int], datetime], cents: int = 500
) -> list[Tx]:
    """Purchases on the cards (one each), as a till would send them: seqs from `first_seq`."""
    points = points_for_purchase(program(allowances=False), cents)
    return [
        Tx.model_validate(
            {
                "id": str(uuid.uuid4()),
                "seq": first_seq + i,
                "type": T.POINTS_EARNED,
                "card_number": number,
                "staff_id": staff_id,
                "transaction_at": at(i).isoformat(),
                "points_delta": points,
                "purchase_amount_cents": cents,
            },
            strict=False,
        )
        for i, number in enumerate(numbers)
    ]
