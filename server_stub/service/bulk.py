"""Set-based statements per backend: array parameters and COPY on PostgreSQL, plain SQL on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import psycopg
from psycopg import _copy_base
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Executable,
    Integer,
    any_,
    bindparam,
    insert,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeEngine

from server_stub.models import Card, CardChange, LedgerTransaction
from server_stub.service.changes import next_change_number

# The values of a ledger row, in this order (times and the day as `LedgerWriter` makes them).
LEDGER_COLUMNS = (
    "id",
    "merchant_id",
    "store_id",
    "device_id",
    "seq",
    "card_number",
    "type",
    "status",
    "reason",
    "stamps_delta",
    "points_delta",
    "purchase_amount_cents",
    "order_reference",
    "reward_id",
    "related_transaction_id",
    "staff_id",
    "notes",
    "program_version",
    "transaction_at",
    "local_date",
    "received_at",
)
LedgerRow = tuple[Any, ...]


def _pg_type(kind: TypeEngine[Any]) -> str:
    """How COPY dumps a value of a ledger column: numbers by type, everything else (times too) as text."""
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    return "text"


LEDGER_COPY_TYPES = [_pg_type(LedgerTransaction.__table__.c[name].type) for name in LEDGER_COLUMNS]
# The rows stream while the batch is judged, and the database should store each as it comes,
# so that it has little left to do when the COPY ends. Two buffers stand in the way:
# - PostgreSQL's COPY FROM buffers rows and inserts them 64 KiB at a time (a multi-insert),
#   so the last ~400 rows of a batch waited for the end (2.4 ms of a 19 ms push). It inserts
#   row by row when the COPY has a volatile WHERE clause: this one is never false, and the
#   rows COPY reports stored are checked against the rows sent (`ledger_rows`).
# - psycopg sends rows in 32 KiB chunks (its `_copy_base.BUFFER_SIZE`, with no public
#   setting): `LEDGER_CHUNK_BYTES` instead. Together the COPY's end fell from 2.4 to 0.25 ms.
LEDGER_COPY = (
    f"COPY transactions ({', '.join(LEDGER_COLUMNS)}) FROM STDIN WHERE clock_timestamp() IS NOT NULL"
)
LEDGER_CHUNK_BYTES = 8 * 1024
_copy_base.BUFFER_SIZE = LEDGER_CHUNK_BYTES  # read by psycopg's COPY row formatter per row


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def listed(column: InstrumentedAttribute[Any], name: str, *, postgres: bool) -> ColumnElement[bool]:
    """`column` is one of the values bound as `name` (a list): `= ANY(:name)` on PostgreSQL,
    one array parameter however many values; an expanding `IN (...)` on SQLite."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def run(session: Session, statement: Executable, params: dict[str, Any]) -> CursorResult[*tuple[Any, ...]]:
    """Execute a prebuilt Core statement (types converted as usual) in the session's transaction.

    The hot path's statements are built once (module constants, or `functools.cache` per
    backend) and run on the connection, not built and compiled through the ORM per push.
    """
    return session.connection().execute(statement, params)


Query = tuple[Executable, dict[str, Any]]


def rows_of_each(
    session: Session, queries: Sequence[Query], *, meanwhile: Callable[[], None] | None = None
) -> list[Sequence[Any]]:
    """The rows of each query, in order; on PostgreSQL all sent at once (one round trip).

    For queries whose parameters and columns need no type conversion but times (see
    `_pipelined`). `meanwhile` runs after the queries are sent, before their rows are read:
    Python work the database's work hides.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        rows = [connection.execute(statement, params).all() for statement, params in queries]
        if meanwhile is not None:
            meanwhile()
        return rows
    with _pipelined(connection, queries, meanwhile=meanwhile) as cursors:
        return [cursor.fetchall() for cursor in cursors]


def run_each(session: Session, statements: Sequence[Query]) -> list[int]:
    """Run statements that answer no rows, in order; the rows each changed.

    On PostgreSQL all are sent at once (one round trip, see `_pipelined`); SQLite runs them
    one by one through SQLAlchemy.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return [_rowcount(connection.execute(statement, params)) for statement, params in statements]
    with _pipelined(connection, statements) as cursors:
        return [cursor.rowcount for cursor in cursors]


@contextmanager
def _pipelined(
    connection: Connection, queries: Sequence[Query], *, meanwhile: Callable[[], None] | None = None
) -> Iterator[list[psycopg.Cursor[Any]]]:
    """The queries sent through the driver in pipeline mode; their cursors, once all have answered.

    Each statement's SQL is compiled once (for the small statements of a push, SQLAlchemy's
    per-execution work and a round trip each cost more than the statements); aware datetimes
    among the parameters go as the naive UTC the columns hold. Driver errors are raised as
    SQLAlchemy raises them.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    cursors = [driver.cursor() for _ in queries]
    try:
        with _as_sqlalchemy_errors("pipelined statements"):
            with driver.pipeline():
                for cursor, (statement, params) in zip(cursors, queries, strict=True):
                    sql, constants = _postgres_sql(statement, connection.dialect)
                    cursor.execute(sql, {**constants, **_naive_times(params)})  # sent: the database starts
                if meanwhile is not None:
                    meanwhile()
            yield cursors
    finally:
        for cursor in cursors:
            cursor.close()


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _naive_times(params: dict[str, Any]) -> dict[str, Any]:
    return {
        name: naive_utc(value) if isinstance(value, datetime) and value.tzinfo is not None else value
        for name, value in params.items()
    }


@contextmanager
def _as_sqlalchemy_errors(statement: str) -> Iterator[None]:
    """Driver errors as SQLAlchemy raises them, so callers' retries see a conflict or deadlock."""
    try:
        yield
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc
    except psycopg.errors.OperationalError as exc:
        raise OperationalError(statement, None, exc) from exc


@cache
def _postgres_sql(statement: Executable, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The statement's SQL, and the values of the parameters it binds itself (its literals)."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    return str(compiled), {name: value for name, value in compiled.params.items() if value is not None}


@dataclass(frozen=True, slots=True)
class LedgerWriter:
    """Where a batch's ledger rows go: `write` takes a row in LEDGER_COLUMNS order whose times
    are `time(t)` of an aware time `t` and whose day is `day(d)` (the backend's own forms)."""

    write: Callable[[LedgerRow], None]
    time: Callable[[datetime], Any]
    day: Callable[[date], Any]


@contextmanager
def ledger_rows(session: Session) -> Iterator[LedgerWriter]:
    """A writer for the batch's ledger rows, as they are made.

    On PostgreSQL the rows stream through one COPY while the batch is still being
    judged, so the database stores the first rows while Python judges the later ones (no
    other statement may run on the connection until the block ends); the times go as ISO
    text. SQLite inserts them all at the end of the block.
    """
    if not is_postgres(session):
        rows: list[LedgerRow] = []
        yield LedgerWriter(write=rows.append, time=_utc, day=_same)
        if rows:
            session.execute(
                insert(LedgerTransaction), [dict(zip(LEDGER_COLUMNS, row, strict=True)) for row in rows]
            )
        return
    driver = session.connection().connection.driver_connection
    assert driver is not None
    sent = 0
    with _as_sqlalchemy_errors(LEDGER_COPY), driver.cursor() as cursor:
        with cursor.copy(LEDGER_COPY) as copy:
            copy.set_types(LEDGER_COPY_TYPES)
            write_row = copy.write_row

            def write(row: LedgerRow) -> None:
                nonlocal sent
                sent += 1
                write_row(row)

            yield LedgerWriter(write=write, time=utc_text, day=date.isoformat)
        check_copied(cursor.rowcount, sent)


class LedgerRowsLost(RuntimeError):
    """COPY stored fewer ledger rows than were sent: the batch must not commit."""


def check_copied(stored: int, sent: int) -> None:
    if stored != sent:
        raise LedgerRowsLost(f"COPY stored {stored} of the {sent} ledger rows sent")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _same(value: date) -> date:
    return value


def utc_text(value: datetime) -> str:
    """An aware time as ISO text of the same instant in UTC.

    The text keeps its `+00:00`: a `timestamp` column's input ignores a zone, by PostgreSQL's
    documented rule, so the column holds the UTC time. (psycopg's own text dumper for
    datetimes costs three times as much.)
    """
    text = value.isoformat()
    if text.endswith("+00:00"):  # UTC already, as tills send times: one call into the zone, not two
        return text
    if value.utcoffset() is None:
        raise ValueError("naive datetime given where an aware one is needed")
    return value.astimezone(UTC).isoformat()


def naive_utc(value: datetime) -> datetime:
    """An aware time as the naive UTC the columns hold (half the cost of `astimezone(UTC)` for UTC times)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given where UTC is needed")
    naive = value.replace(tzinfo=None)
    return naive - offset if offset else naive


# The change number is taken in the same statement (the counter's row lock after the cards'),
# and the change is logged with its cards' ids for the pull feed.
_UPDATE_CARDS = text(
    "WITH counter AS (UPDATE change_counters SET value = value + 1 WHERE merchant_id = :merchant"
    " RETURNING value),"
    " logged AS (INSERT INTO card_changes (merchant_id, change_no, card_ids)"
    " SELECT :merchant, value, CAST(:ids AS integer[]) FROM counter)"
    " UPDATE cards AS c SET stamp_count = v.s, points_balance = v.p, is_active = v.a,"
    " welcome_bonus_granted = v.w, updated_at = :now, change_no = counter.value"
    " FROM counter, unnest(CAST(:ids AS integer[]), CAST(:s AS bigint[]), CAST(:p AS bigint[]),"
    " CAST(:a AS boolean[]), CAST(:w AS boolean[])) AS v(id, s, p, a, w)"
    " WHERE c.id = v.id"
)


@dataclass(frozen=True, slots=True)
class CardUpdate:
    """The state a batch leaves a card in."""

    id: int
    stamp_count: int
    points_balance: int
    is_active: bool
    welcome_bonus_granted: bool


def update_cards_sqlite(
    session: Session, cards: Sequence[CardUpdate], *, merchant_id: int, now: datetime
) -> None:
    """Write the batch's card states under the merchant's next change number, on SQLite: the
    number, the change's log entry, then an executemany (PostgreSQL sends `cards_update` with
    the batch's last writes)."""
    change_no = next_change_number(session, merchant_id)
    session.execute(
        insert(CardChange).values(
            merchant_id=merchant_id, change_no=change_no, card_ids=[card.id for card in cards]
        )
    )
    session.execute(
        update(Card),
        [
            {
                "id": card.id,
                "stamp_count": card.stamp_count,
                "points_balance": card.points_balance,
                "is_active": card.is_active,
                "welcome_bonus_granted": card.welcome_bonus_granted,
                "updated_at": now,
                "change_no": change_no,
            }
            for card in cards
        ],
    )


def cards_update(cards: Sequence[CardUpdate], *, merchant_id: int, now: datetime) -> Query:
    """The batch's card states under the merchant's next change number, on PostgreSQL: one
    `UPDATE ... FROM unnest(...)` that takes the number and logs the change too (check its
    row count with `check_cards_updated`)."""
    return (
        _UPDATE_CARDS,
        {
            "merchant": merchant_id,
            "now": now,
            "ids": _integer_array([card.id for card in cards]),
            "s": _integer_array([card.stamp_count for card in cards]),
            "p": _integer_array([card.points_balance for card in cards]),
            "a": _boolean_array([card.is_active for card in cards]),
            "w": _boolean_array([card.welcome_bonus_granted for card in cards]),
        },
    )


# The arrays as PostgreSQL's array text, which the statement casts: a third less time than
# psycopg adapting each element of a list (for a batch's 200 cards, 0.36 ms of 1.1).
def _integer_array(values: list[int]) -> str:
    if any(type(value) is not int for value in values):
        raise TypeError("an integer array of other values")
    return "{" + ",".join(map(str, values)) + "}"


def _boolean_array(values: list[bool]) -> str:
    return "{" + ",".join("t" if value else "f" for value in values) + "}"


def check_cards_updated(changed: int, cards: Sequence[CardUpdate], *, merchant_id: int) -> None:
    if changed != len(cards):
        raise LookupError(f"merchant {merchant_id} has no change counter, or a card vanished")
