"""The accepted ledger as CSV, streamed in chunks, each read in its own short transaction.

CSV injection: a spreadsheet runs a cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula. Free-text columns (card_number, order_reference, reward_id)
that start with one of those, or with an apostrophe, get one leading apostrophe (`'`); a
reader recovers the stored value by dropping one leading apostrophe from those columns.
Card numbers may start with `-` (`^[A-Za-z0-9-]{1,32}$`), so `-A1` is written `'-A1`.
Numeric, id, type and time columns are never changed (a negative delta stays `-1`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from server_stub.models import ACCEPTED, LedgerTransaction
from server_stub.office.params import TimeRange
from server_stub.office.reports import in_range
from sync.rules import LATEST_AHEAD

Tx = LedgerTransaction
COLUMNS = (
    "id",
    "seq",
    "device_id",
    "store_id",
    "card_number",
    "type",
    "stamps_delta",
    "points_delta",
    "purchase_amount_cents",
    "order_reference",
    "reward_id",
    "related_transaction_id",
    "staff_id",
    "transaction_at",
    "received_at",
)
TEXT_COLUMNS = frozenset({"card_number", "order_reference", "reward_id"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
CHUNK_ROWS = 2000  # rows a chunk's transaction reads (about 1 MB of CSV)


def neutralise(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (see the module docstring)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


# Where the cells that are not written as they are sit in a row of COLUMNS.
TEXT_AT = tuple(index for index, column in enumerate(COLUMNS) if column in TEXT_COLUMNS)
TIME_AT = tuple(COLUMNS.index(column) for column in ("transaction_at", "received_at"))


def csv_row(row: Sequence[Any]) -> list[Any]:
    """A row's cells in COLUMNS order: numbers and ids as they are (the csv module writes None as
    an empty cell), times in RFC 3339, free text neutralised. Only those five cells are touched."""
    cells = list(row)
    for index in TEXT_AT:
        if cells[index] is not None:
            cells[index] = neutralise(cells[index])
    for index in TIME_AT:
        cells[index] = cells[index].isoformat()  # never null
    return cells


def ledger_csv(
    sessions: Callable[[], AbstractContextManager[Session]],
    merchant_id: int,
    *,
    period: TimeRange,
    received_until: datetime,
) -> Iterator[str]:
    """The header, then accepted rows in received order (received_at, id) up to `received_until`.

    Each chunk is read in its own transaction, so a long download never holds a lock
    (on SQLite every transaction is a writer); `received_until` fixes the end of the export.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield _drain(buffer)
    after: tuple[datetime, str] | None = None
    while True:
        with sessions() as session:
            rows = _chunk(session, merchant_id, period=period, received_until=received_until, after=after)
        if not rows:
            return
        writer.writerows(csv_row(row) for row in rows)
        yield _drain(buffer)
        last = rows[-1]
        after = (last.received_at, last.id)


def chunk_query(
    merchant_id: int, *, period: TimeRange, received_until: datetime, after: tuple[datetime, str] | None
) -> Select[Any]:
    """The next chunk: a seek on the accepted rows' (merchant_id, received_at, id) index.

    An accepted row's transaction_at is at most a day after its received_at (PROTOCOL.md row
    1a), so a lower time bound lets the scan start a day before it.
    """
    columns = [getattr(Tx, column) for column in COLUMNS]
    query = select(*columns).where(Tx.merchant_id == merchant_id, ACCEPTED, Tx.received_at <= received_until)
    if after is not None:
        query = query.where(tuple_(Tx.received_at, Tx.id) > tuple_(*after))
    elif period.start is not None:
        query = query.where(Tx.received_at >= period.start - LATEST_AHEAD)
    return in_range(query, period).order_by(Tx.received_at, Tx.id).limit(CHUNK_ROWS)


def _chunk(
    session: Session,
    merchant_id: int,
    *,
    period: TimeRange,
    received_until: datetime,
    after: tuple[datetime, str] | None,
) -> list[Any]:
    query = chunk_query(merchant_id, period=period, received_until=received_until, after=after)
    return list(session.execute(query).all())


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
