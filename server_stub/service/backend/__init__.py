"""The database steps of a batch, one object per backend (PostgreSQL, SQLite): the only place they differ."""

from __future__ import annotations

from server_stub.service.backend.base import (
    AllowanceAmounts,
    AnswerRow,
    Backend,
    CardHolds,
    KeyClaim,
    LedgerWriter,
    StoredAnswer,
    Writes,
)
from server_stub.service.backend.postgres import PostgresBackend
from server_stub.service.backend.sqlite import SqliteBackend

__all__ = [
    "AllowanceAmounts",
    "AnswerRow",
    "CardHolds",
    "Backend",
    "KeyClaim",
    "LedgerWriter",
    "PostgresBackend",
    "SqliteBackend",
    "StoredAnswer",
    "Writes",
    "backend_for",
]


def backend_for(*, postgres: bool) -> Backend:
    return PostgresBackend() if postgres else SqliteBackend()
