"""A merchant's world at any size, built in PostgreSQL itself: cards, a ledger, balances that equal it.

The ledger's indexes are dropped while its rows are inserted (generate_series, server side) and
built again after; the cards' balances, last activity, the daily totals and the tills' last seqs
are then derived from the ledger, so every invariant the server keeps holds from the start. One
card in a hundred was last used 400 to 500 days ago (expiry finds work), the rest within 300 days.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from server_stub.db import create_database, migrate
from server_stub.service.programs import save_program_version
from server_stub.service.world import (
    create_admin_token,
    create_device,
    create_merchant,
    create_staff,
    create_store,
)
from sync.protocol import ProgramFields, ProgramType, Reward, Role

ADMIN_DSN = os.environ.get("LOYALTY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
STORES = 4
TILLS = 16
PROGRAM = ProgramFields(
    type=ProgramType.POINTS,
    points_per_currency_unit=10,
    minimum_purchase_cents=100,
    rewards=[Reward(id="coffee", name="Coffee", points_cost=100)],
    points_expiration_days=365,
)


@dataclass
class World:
    name: str
    url: str
    merchant_id: int
    cards: int
    admin_token: str
    tills: list[str]  # device tokens
    devices: list[str]  # their ids
    staff: list[int]  # the staff member at each till's store
    next_seq: list[int] = field(default_factory=list)
    busiest_card: str = ""

    def card_number(self, index: int) -> str:
        return f"S-{index:08d}"


def build_world(name: str, *, cards: int, rows: int) -> World:
    """The world in database `name`; one built before with these sizes (and kept) is reused."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    dsn = f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    if exists:
        with psycopg.connect(dsn) as conn:
            kept = conn.execute("SELECT value FROM bench_world").fetchone()
            tops = dict(conn.execute("SELECT id, last_seq FROM devices").fetchall())
        if kept is not None:  # the tills go on from the seqs they used (its idle cards may have expired)
            world = World(**json.loads(kept[0]))
            world.next_seq = [int(str(tops[device])) + 1 for device in world.devices]
            return world
        drop_database(name)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    world = _people(name, url, cards=cards)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        _ledger(conn, world, rows=rows)
        _derive(conn, world)
        conn.execute("CREATE TABLE bench_world (value text)")
        conn.execute("INSERT INTO bench_world VALUES (%s)", (json.dumps(world.__dict__),))
    return world


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _people(name: str, url: str, *, cards: int) -> World:
    """Merchant, program, stores, tills, staff and an admin token, through the server's own code."""
    database = create_database(url, pool_size=1)
    migrate(database)
    now = datetime.now(UTC)
    with database.session() as session, session.begin():
        merchant = create_merchant(session, name="Scale", now=now)
        save_program_version(session, merchant_id=merchant.id, fields=PROGRAM, now=now)
        stores = [
            create_store(session, merchant_id=merchant.id, name=f"Store {i}", timezone="Europe/Dublin")
            for i in range(STORES)
        ]
        staff = [
            create_staff(
                session,
                merchant_id=merchant.id,
                name=f"staff {i}",
                role=Role.STAFF,
                store_id=s.id,
                pin="1234",
                now=now,
            ).id
            for i, s in enumerate(stores)
        ]
        devices = [
            create_device(session, store=stores[i % STORES], name=f"till {i}", now=now) for i in range(TILLS)
        ]
        admin = create_admin_token(session, merchant_id=merchant.id, name="bench", now=now)
        world = World(
            name=name,
            url=url,
            merchant_id=merchant.id,
            cards=cards,
            admin_token=admin.token,
            tills=[device.token for device in devices],
            devices=[device.id for device in devices],
            staff=[staff[i % STORES] for i in range(TILLS)],
        )
    database.dispose()
    return world


def _ledger(conn: psycopg.Connection[tuple[object, ...]], world: World, *, rows: int) -> None:
    """One card_created per card, then points_earned of 10 points spread over the cards."""
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'transactions'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'transactions'::regclass)"
    ).fetchall()
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'transactions'::regclass"
    ).fetchall()
    for index, _ in indexes:
        conn.execute(f'DROP INDEX "{index}"')
    for constraint, _ in constraints:
        conn.execute(f'ALTER TABLE transactions DROP CONSTRAINT "{constraint}"')
    conn.execute(
        """
        INSERT INTO transactions (id, merchant_id, store_id, device_id, seq, card_number, type,
            status, stamps_delta, points_delta, purchase_amount_cents, staff_id, transaction_at,
            local_date, received_at)
        SELECT gen_random_uuid()::text, %(merchant)s, s.store_id, s.device_id, i,
            'S-' || lpad(c::text, 8, '0'),
            CASE WHEN i <= %(cards)s THEN 'card_created' ELSE 'points_earned' END, 'accepted',
            0, CASE WHEN i <= %(cards)s THEN 0 ELSE 10 END, CASE WHEN i <= %(cards)s THEN NULL ELSE 100 END,
            s.staff_id, t.at, t.at::date, t.at + interval '1 minute'
        FROM generate_series(1, %(rows)s) AS i
        CROSS JOIN LATERAL (
            SELECT CASE WHEN i <= %(cards)s THEN i ELSE (i::bigint * 7919) %% %(cards)s + 1 END AS c) AS k
        CROSS JOIN LATERAL (SELECT (%(devices)s::text[])[i %% %(tills)s + 1] AS device_id,
            (%(stores)s::int[])[i %% %(tills)s + 1] AS store_id,
            (%(staff)s::int[])[i %% %(tills)s + 1] AS staff_id) AS s
        CROSS JOIN LATERAL (SELECT now() AT TIME ZONE 'UTC' - CASE WHEN c %% 100 = 0
            THEN interval '400 days' + (i %% 100) * interval '1 day'
            ELSE (i::float / %(rows)s) * interval '300 days' * -1 + interval '300 days' END
            - (i %% 86400) * interval '1 second' AS at) AS t
        """,
        {
            "merchant": world.merchant_id,
            "cards": world.cards,
            "rows": rows,
            "tills": TILLS,
            "devices": world.devices,
            "stores": [_store_of(conn, device) for device in world.devices],
            "staff": world.staff,
        },
    )
    for constraint, definition in constraints:
        conn.execute(f'ALTER TABLE transactions ADD CONSTRAINT "{constraint}" {definition}')
    for _, definition in indexes:
        conn.execute(definition)


def _store_of(conn: psycopg.Connection[tuple[object, ...]], device: str) -> int:
    row = conn.execute("SELECT store_id FROM devices WHERE id = %s", (device,)).fetchone()
    assert row is not None
    return int(str(row[0]))


def _derive(conn: psycopg.Connection[tuple[object, ...]], world: World) -> None:
    """Cards, their balances and last activity, the daily totals and the tills' seqs, from the ledger."""
    conn.execute(
        """
        INSERT INTO cards (merchant_id, card_number, customer_name, stamp_count, points_balance, is_active,
            welcome_bonus_granted, change_no, created_at, updated_at, last_activity_at, points_active_on)
        SELECT %(merchant)s, card_number, 'Customer ' || card_number, 0, sum(points_delta), true, false, 0,
            min(transaction_at), max(received_at), max(transaction_at),
            CASE WHEN sum(points_delta) > 0 THEN max(transaction_at)::date END
        FROM transactions WHERE merchant_id = %(merchant)s GROUP BY card_number ORDER BY card_number
        """,
        {"merchant": world.merchant_id},
    )
    conn.execute(
        "INSERT INTO daily_totals (merchant_id, day, store_id, type, count, stamps_delta, points_delta)"
        " SELECT merchant_id, transaction_at::date, coalesce(store_id, 0), type, count(*), sum(stamps_delta),"
        " sum(points_delta) FROM transactions WHERE status = 'accepted' GROUP BY 1, 2, 3, 4"
    )
    conn.execute(
        "UPDATE devices SET last_seq = m.top FROM (SELECT device_id, max(seq) AS top FROM transactions"
        " GROUP BY device_id) AS m WHERE devices.id = m.device_id"
    )
    tops = dict(conn.execute("SELECT id, last_seq FROM devices").fetchall())
    world.next_seq = [int(str(tops[device])) + 1 for device in world.devices]
    busiest = conn.execute(
        "SELECT card_number FROM transactions GROUP BY card_number ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    assert busiest is not None
    world.busiest_card = str(busiest[0])
    conn.execute("VACUUM ANALYZE")
