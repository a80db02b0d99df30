"""`loyalty-server seed-demo` and `expire-points` as a user runs them; health when the database is gone."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import func, select

from server_stub.db import create_database
from server_stub.models import Card, LedgerTransaction
from tests.conftest import PG_ADMIN_DSN
from tests.support.live_server import run_cli, seed_demo, start_server


def ledger_matches_balances(url: str) -> bool:
    database = create_database(url)
    try:
        with database.session() as session:
            sums = {
                row[0]: (int(row[1]), int(row[2]))
                for row in session.execute(
                    select(
                        LedgerTransaction.card_number,
                        func.sum(LedgerTransaction.stamps_delta),
                        func.sum(LedgerTransaction.points_delta),
                    )
                    .where(LedgerTransaction.status == "accepted")
                    .group_by(LedgerTransaction.merchant_id, LedgerTransaction.card_number)
                )
            }
            cards = session.execute(select(Card.card_number, Card.stamp_count, Card.points_balance)).all()
        return all(sums.get(c.card_number, (0, 0)) == (c.stamp_count, c.points_balance) for c in cards)
    finally:
        database.dispose()


def test_seed_demo_prints_one_world_whose_balances_the_ledger_backs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    world = seed_demo(url)
    first, second = world["merchants"]
    assert first["program"]["type"] == "hybrid"
    for merchant in (first, second):
        assert len(merchant["stores"]) >= 2
        assert {d["store_id"] for d in merchant["devices"]} == {s["id"] for s in merchant["stores"]}
        assert {s["role"] for s in merchant["staff"]} == {"staff", "store_manager", "merchant_owner"}
        active = [c for c in merchant["cards"] if c["is_active"]]
        assert len(active) >= 5
        assert all(c["points_balance"] > 0 for c in active)
        assert merchant["admin_token"]
    assert all(c["stamp_count"] > 0 for c in first["cards"])
    assert ledger_matches_balances(url)


def test_seed_demo_refuses_a_second_run_with_a_clear_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    seed_demo(url)
    again = run_cli("seed-demo", "--database-url", url)
    assert again.returncode != 0
    assert again.stdout == ""
    assert "already" in again.stderr


def test_expire_points_takes_idle_balances_once_with_server_made_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    world = seed_demo(url)
    later = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    first = run_cli("expire-points", "--now", later, "--database-url", url)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"expired_cards": len(world["merchants"][0]["cards"])}
    second = run_cli("expire-points", "--now", later, "--database-url", url)
    assert json.loads(second.stdout) == {"expired_cards": 0}
    database = create_database(url)
    try:
        with database.session() as session:
            rows = (
                session.execute(select(LedgerTransaction).where(LedgerTransaction.type == "points_expired"))
                .scalars()
                .all()
            )
    finally:
        database.dispose()
    assert rows and all(r.device_id is None and r.seq is None and r.status == "accepted" for r in rows)
    assert ledger_matches_balances(url)


def test_expire_points_refuses_a_time_without_an_offset(tmp_path: Path) -> None:
    result = run_cli(
        "expire-points", "--now", "2030-01-01T00:00:00", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"
    )
    assert result.returncode == 2
    assert "offset" in result.stderr


@pytest.mark.postgres
def test_health_is_503_when_the_database_is_unreachable(
    tmp_path: Path, pg_database_factory: Callable[[], str]
) -> None:
    url = pg_database_factory()
    server = start_server(url, log_path=tmp_path / "server.log")
    try:
        assert httpx.get(f"{server.url}/v1/health").status_code == 200
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        response = httpx.get(f"{server.url}/v1/health", timeout=30)
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "unreachable"}
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("version", "refused"), [((11, 22), True), ((9, 6, 24), True), ((12, 0), False), ((15, 20), False)]
)
def test_postgresql_before_12_is_refused_by_name(version: tuple[int, ...], refused: bool) -> None:
    """The ledger's COPY ... WHERE came in PostgreSQL 12."""
    from server_stub.db import UnsupportedDatabase, require_postgres_version

    if refused:
        with pytest.raises(UnsupportedDatabase, match=r"PostgreSQL 12 or later is needed; this server is "):
            require_postgres_version(version)
    else:
        require_postgres_version(version)


@pytest.mark.postgres
def test_a_database_server_too_old_stops_the_cli_before_any_change(
    pg_database_factory: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A server "too old" (by a raised minimum) is named, and its database is left as it was."""
    from server_stub import cli
    from server_stub import db as db_module

    url = pg_database_factory()
    monkeypatch.setattr(db_module, "MIN_POSTGRES", (999, 0))
    assert cli.main(["seed-demo", "--database-url", url]) == 2
    assert "PostgreSQL 999 or later is needed; this server is " in capsys.readouterr().err
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)


def test_serve_refuses_workers_on_sqlite(tmp_path: Path) -> None:
    """SQLite has one writer: one server process."""
    result = run_cli("serve", "--workers", "2", "--database-url", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr
