"""Fixtures every test package shares: offscreen Qt, fast argon2, PostgreSQL databases per run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

# Before anything imports Qt or the PIN hasher.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LOYALTY_ARGON2_FAST"] = "1"

PG_ADMIN_DSN = os.environ.get("LOYALTY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def pg_database_factory() -> Iterator[Callable[[], str]]:
    """Creates fresh PostgreSQL databases (dropped when the run ends); returns SQLAlchemy URLs."""
    import psycopg

    created: list[str] = []

    def create() -> str:
        name = f"loyalty_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base}/{name}"

    yield create
    if created:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url(pg_database_factory: Callable[[], str]) -> str:
    """One PostgreSQL database for the whole run."""
    return pg_database_factory()
