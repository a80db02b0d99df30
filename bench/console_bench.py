"""Benchmark: how fast each console page answers on a large merchant (PostgreSQL), over HTTP.

The world (built with COPY): one merchant with --cards cards (default 100,000) and --rows ledger
rows (default 1,000,000) over the last 90 days at 4 stores and 8 tills, 1% of them rejected (some
reviewed), and 5,000 audit entries. A signed-in client then fetches each page --repeat times
(default 20) through a real server; the median and the 95th percentile are printed beside two
baselines measured in the same run: GET /v1/health (the server's floor) and the office API's
30-day summary (the query the dashboard is made of). The target is 300 ms a page.

Run: .venv/bin/python bench/console_bench.py [--cards 100000] [--rows 1000000] [--repeat 20]
Needs PostgreSQL on 127.0.0.1:5432 (LOYALTY_TEST_PG to change); creates and drops its own database.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median, quantiles

os.environ.setdefault("LOYALTY_ARGON2_FAST", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from server_stub.console.accounts import OfficeRole, create_office_user  # noqa: E402
from server_stub.db import create_database, migrate  # noqa: E402
from server_stub.models import Merchant  # noqa: E402
from server_stub.service.programs import save_program_version  # noqa: E402
from server_stub.service.world import (  # noqa: E402
    create_admin_token,
    create_device,
    create_merchant,
    create_staff,
    create_store,
)
from sync.protocol import ProgramFields, ProgramType, Reward, Role  # noqa: E402
from tests.support.live_server import start_server  # noqa: E402

ADMIN_DSN = os.environ.get("LOYALTY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench password 123"
DAYS = 90
TYPES = [("points_earned", 0.55), ("stamp_earned", 0.3), ("points_redeemed", 0.05), ("welcome_bonus", 0.1)]
REASONS = ["insufficient_points", "daily_stamp_limit", "unknown_card", "duplicate_order_reference"]
FIRST_NAMES = ["ann", "bob", "cara", "dan", "eve", "finn", "gia", "hugo", "ida", "jon", "kim", "liam"]


def create_bench_database() -> tuple[str, str]:
    name = f"console_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_DSN.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def drop_bench_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_world(url: str) -> dict[str, object]:
    """The merchant, its stores, tills, staff, an admin token and a console user (through the services)."""
    database = create_database(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=2)
    migrate(database)
    now = datetime.now(UTC)
    with database.session() as session, session.begin():
        merchant = create_merchant(session, name="Bench Coffee", now=now)
        program = ProgramFields(
            type=ProgramType.HYBRID,
            points_per_currency_unit=10,
            rewards=[Reward(id="coffee", name="Coffee", points_cost=100)],
            welcome_bonus_points=50,
        )
        save_program_version(session, merchant_id=merchant.id, fields=program, now=now)
        stores = [
            create_store(session, merchant_id=merchant.id, name=f"Store {i}", timezone="Europe/Dublin")
            for i in range(4)
        ]
        devices = [
            create_device(session, store=store, name=f"{store.name} till {j}", now=now).id
            for store in stores
            for j in range(2)
        ]
        staff = [
            create_staff(
                session,
                merchant_id=merchant.id,
                name=f"Staff {store.id}",
                role=Role.STAFF,
                store_id=store.id,
                pin="1000",
                now=now,
            ).id
            for store in stores
        ]
        create_staff(
            session,
            merchant_id=merchant.id,
            name="Owner",
            role=Role.MERCHANT_OWNER,
            store_id=None,
            pin="9000",
            now=now,
        )
        token = create_admin_token(session, merchant_id=merchant.id, name="bench", now=now).token
        create_office_user(
            session,
            merchant_id=merchant.id,
            username="bench-admin",
            role=OfficeRole.ADMIN,
            password=PASSWORD,
            now=now,
        )
        world = {
            "merchant": merchant.id,
            "stores": [s.id for s in stores],
            "devices": devices,
            "staff": staff,
            "token": token,
        }
    database.dispose()
    return world


def copy_data(dsn: str, world: dict[str, object], *, cards: int, rows: int) -> str:
    """Cards and ledger rows with COPY; returns the busiest card's number."""
    rng = random.Random(7)
    merchant = world["merchant"]
    stores: list[int] = world["stores"]  # type: ignore[assignment]
    devices: list[str] = world["devices"]  # type: ignore[assignment]
    staff: list[int] = world["staff"]  # type: ignore[assignment]
    now = datetime.now(UTC)
    numbers = [f"C{index:08d}" for index in range(cards)]
    points = [0] * cards
    stamps = [0] * cards
    seqs = dict.fromkeys(devices, 0)
    kinds, weights = zip(*TYPES, strict=True)
    with psycopg.connect(dsn) as conn:
        tx_columns = (
            "id, merchant_id, store_id, device_id, seq, card_number, type, status, reason, stamps_delta,"
            " points_delta, purchase_amount_cents, staff_id, transaction_at, local_date, received_at"
        )
        with conn.cursor().copy(f"COPY transactions ({tx_columns}) FROM STDIN") as copy:
            for _ in range(rows):
                card = (
                    min(int(rng.paretovariate(1.2)) - 1, cards - 1)
                    if rng.random() < 0.2
                    else rng.randrange(cards)
                )
                device_index = rng.randrange(len(devices))
                device = devices[device_index]
                store = stores[device_index // 2]
                kind = rng.choices(kinds, weights)[0]
                rejected = rng.random() < 0.01
                at = now - timedelta(seconds=rng.randrange(DAYS * 86_400))
                seqs[device] += 1
                stamp, point, cents = 0, 0, None
                if kind == "points_earned":
                    cents = rng.randrange(100, 5000)
                    point = cents * 10 // 100
                elif kind == "stamp_earned":
                    stamp = 1
                elif kind == "welcome_bonus":
                    point = 50
                elif points[card] >= 100 and not rejected:
                    point = -100
                else:
                    kind, point, cents = "points_earned", 10, 100
                if not rejected:
                    points[card] += point
                    stamps[card] += stamp
                copy.write_row(
                    (
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        merchant,
                        store,
                        device,
                        seqs[device],
                        numbers[card],
                        kind,
                        "rejected" if rejected else "accepted",
                        rng.choice(REASONS) if rejected else None,
                        stamp,
                        point,
                        cents,
                        staff[device_index // 2],
                        at,
                        at.date(),
                        at + timedelta(seconds=30),
                    )
                )
        with conn.cursor().copy(
            "COPY cards (merchant_id, card_number, customer_name, customer_email, stamp_count,"
            " points_balance, is_active, welcome_bonus_granted, change_no, created_at, updated_at)"
            " FROM STDIN"
        ) as copy:
            for index, number in enumerate(numbers):
                name = f"{rng.choice(FIRST_NAMES)} {index}"
                copy.write_row(
                    (
                        merchant,
                        number,
                        name,
                        f"{name.replace(' ', '.')}@example.ie",
                        stamps[index],
                        points[index],
                        True,
                        True,
                        0,
                        now - timedelta(days=DAYS),
                        now,
                    )
                )
        conn.execute(
            "INSERT INTO rejection_reviews (transaction_id, merchant_id, device_id, state, note, owed_points,"
            " owed_stamps, change_no, updated_at, updated_by)"
            " SELECT id, merchant_id, device_id, 'acknowledged', 'seen', 0, 0, 1, now(), 'bench'"
            " FROM transactions WHERE status = 'rejected' AND random() < 0.5"
        )
        conn.execute(
            "INSERT INTO audit_log (merchant_id, at, actor, action, target, old, new)"
            " SELECT %s, now() - make_interval(mins => g), 'bench (console)', 'card.adjust',"
            " 'card:C' || g, '{}', '{}' FROM generate_series(1, 5000) AS g",
            (merchant,),
        )
        for device in devices:
            conn.execute(
                "UPDATE devices SET last_seq = %s, last_seen_at = now() WHERE id = %s", (seqs[device], device)
            )
        # What the pushes keep beside the ledger: the daily totals and the cards' last activity.
        conn.execute(
            "INSERT INTO daily_totals (merchant_id, day, store_id, type, count, stamps_delta, points_delta)"
            " SELECT merchant_id, transaction_at::date, coalesce(store_id, 0), type, count(*),"
            " sum(stamps_delta), sum(points_delta) FROM transactions WHERE status = 'accepted'"
            " GROUP BY 1, 2, 3, 4"
        )
        conn.execute(
            "UPDATE cards SET last_activity_at = a.last_at,"
            " points_active_on = CASE WHEN cards.points_balance > 0 THEN a.last_at::date END"
            " FROM (SELECT card_number, max(transaction_at) AS last_at FROM transactions"
            " WHERE status = 'accepted' GROUP BY card_number) AS a WHERE cards.card_number = a.card_number"
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return numbers[0]


def timed(client: httpx.Client, path: str, repeat: int) -> list[float]:
    client.get(path).raise_for_status()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def sign_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get("/office/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/office/login",
        data={
            "username": "bench-admin",
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "/office/",
        },
    )
    assert answer.status_code in (200, 303), answer.text
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure a database kept by an earlier --keep")
    args = parser.parse_args()
    if args.reuse:
        return measure_kept(args.reuse, args.repeat)
    name, dsn = create_bench_database()
    try:
        started = time.perf_counter()
        world = build_world(dsn)
        busy_card = copy_data(dsn, world, cards=args.cards, rows=args.rows)
        print(
            f"world: {args.cards:,} cards, {args.rows:,} ledger rows in {time.perf_counter() - started:.0f} s"
        )
        server = start_server(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            measure(server.url, str(world["token"]), busy_card, args.repeat)
        finally:
            server.stop()
    finally:
        if args.keep:
            print(f"kept: {dsn}")
        else:
            drop_bench_database(name)
    return 0


def measure_kept(name: str, repeat: int) -> int:
    """The pages of a kept world again (after a change to the server), with a new admin token."""
    dsn = f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    database = create_database(url, pool_size=1)
    with database.session() as session, session.begin():
        merchant_id = session.execute(select(Merchant.id).order_by(Merchant.id).limit(1)).scalar_one()
        token = create_admin_token(
            session, merchant_id=merchant_id, name="bench again", now=datetime.now(UTC)
        ).token
        busy_card = session.execute(
            text("SELECT card_number FROM transactions GROUP BY card_number ORDER BY count(*) DESC LIMIT 1")
        ).scalar_one()
    database.dispose()
    server = start_server(url)
    try:
        measure(server.url, token, busy_card, repeat)
    finally:
        server.stop()
    return 0


def measure(url: str, token: str, busy_card: str, repeat: int) -> None:
    pages = {
        "baseline: GET /v1/health": "/v1/health",
        "baseline: API summary, 30 days": "/v1/office/summary?from={start}",
        "dashboard, today": "/office/",
        "dashboard, 30 days": "/office/?period=30d",
        "tills": "/office/tills",
        "rejections, newest first": "/office/rejections",
        "rejections, open only": "/office/rejections?state=open",
        "rejections, by card": "/office/rejections?sort=card_number&dir=asc",
        "cards: number prefix": "/office/cards?q=C0001",
        "cards: name prefix": "/office/cards?q=hugo",
        "cards: email prefix": "/office/cards?q=ida.12",
        f"card page (busiest, {busy_card})": f"/office/cards/{busy_card}",
        "staff": "/office/staff",
        "program": "/office/program",
        "audit": "/office/audit",
        "rejections CSV": "/office/rejections?format=csv",
    }
    start = (datetime.now(UTC).date() - timedelta(days=29)).isoformat()
    console = sign_in(url)
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    try:
        print(f"{'page':45} {'median ms':>10} {'p95 ms':>8}")
        for label, path in pages.items():
            client = api if path.startswith("/v1/") else console
            times = timed(client, path.format(start=start), repeat)
            p95 = quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
            flag = "" if label.startswith("baseline") or p95 <= 300 else "  over 300 ms"
            print(f"{label:45} {median(times):10.1f} {p95:8.1f}{flag}")

    finally:
        console.close()
        api.close()


if __name__ == "__main__":
    sys.exit(main())
