"""Set-based statements per backend: array parameters and COPY on PostgreSQL, plain SQL on SQLite."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import psycopg
from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    any_,
    insert,
    literal,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeEngine

from server_stub.models import Card, LedgerTransaction, UtcDateTime

TRANSACTION_COLUMNS = tuple(column.name for column in LedgerTransaction.__table__.columns)


def _pg_type(kind: TypeEngine[Any]) -> str:
    """The PostgreSQL type name binary COPY needs for a column of the ledger table."""
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, UtcDateTime | DateTime):
        return "timestamp"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Boolean):
        return "bool"
    return "text"


TRANSACTION_COPY_TYPES = [_pg_type(column.type) for column in LedgerTransaction.__table__.columns]
_TIME_INDEXES = tuple(TRANSACTION_COLUMNS.index(name) for name in ("transaction_at", "received_at"))


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def one_of(
    session: Session, column: InstrumentedAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """`column IN (...)`; on PostgreSQL `column = ANY(:array)`, one parameter however many values."""
    if is_postgres(session):
        return column == any_(literal(list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def insert_transactions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """The batch's ledger rows in one go: COPY on PostgreSQL (times as naive UTC, as the columns hold)."""
    if not rows:
        return
    if not is_postgres(session):
        session.execute(insert(LedgerTransaction), list(rows))
        return
    driver = session.connection().connection.driver_connection
    assert driver is not None
    statement = f"COPY transactions ({', '.join(TRANSACTION_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    values_of = itemgetter(*TRANSACTION_COLUMNS)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(TRANSACTION_COPY_TYPES)
            for row in rows:
                values = list(values_of(row))
                for index in _TIME_INDEXES:
                    values[index] = _naive_utc(values[index])
                copy.write_row(values)
    except psycopg.errors.IntegrityError as exc:
        # As SQLAlchemy would raise it, so the caller's retry sees a concurrent batch's id.
        raise IntegrityError(statement, None, exc) from exc
    except psycopg.errors.OperationalError as exc:
        raise OperationalError(statement, None, exc) from exc


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def update_cards(session: Session, cards: Sequence[dict[str, Any]], *, now: datetime, change_no: int) -> None:
    """Write the batch's card states: one UPDATE ... FROM unnest(...) on PostgreSQL."""
    if not is_postgres(session):
        session.execute(update(Card), [dict(card, updated_at=now, change_no=change_no) for card in cards])
        return
    session.execute(
        text(
            "UPDATE cards AS c SET stamp_count = v.s, points_balance = v.p, is_active = v.a,"
            " welcome_bonus_granted = v.w, updated_at = :now, change_no = :change"
            " FROM unnest(CAST(:ids AS integer[]), CAST(:s AS bigint[]), CAST(:p AS bigint[]),"
            " CAST(:a AS boolean[]), CAST(:w AS boolean[])) AS v(id, s, p, a, w)"
            " WHERE c.id = v.id"
        ),
        {
            "now": now.astimezone(UTC).replace(tzinfo=None),
            "change": change_no,
            "ids": [card["id"] for card in cards],
            "s": [card["stamp_count"] for card in cards],
            "p": [card["points_balance"] for card in cards],
            "a": [card["is_active"] for card in cards],
            "w": [card["welcome_bonus_granted"] for card in cards],
        },
    )
