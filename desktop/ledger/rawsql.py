"""Core statements compiled once and run on the driver's own cursor: the verbs' hot path.

SQLAlchemy's per-statement machinery costs more than SQLite itself for these tiny statements
(a verb is a handful of them plus one fsync), so the verbs run their SQL, still written as
Core statements against the models' tables, directly on the sqlite3 connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ClauseElement
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler

from desktop.ledger.models import UtcDateTime, to_db_time

_DIALECT = sqlite.dialect(paramstyle="named")


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


class RawStatement:
    """A Core statement compiled for the sqlite3 driver, with its literal parameters."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
        self.sql = str(compiled)
        # Literal values compiled into parameters ('rejected', 1, ...); the rest the caller gives.
        self.defaults: dict[str, Any] = {k: v for k, v in compiled.params.items() if v is not None}
        # The one type the driver cannot store as we want: aware times (see models.to_db_time).
        self._times = [name for name, bind in compiled.binds.items() if isinstance(bind.type, UtcDateTime)]

    def _params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = {**self.defaults, **params} if params else dict(self.defaults)
        for name in self._times:
            value = merged.get(name)
            if isinstance(value, datetime):
                merged[name] = to_db_time(value)
        return merged

    def run(self, cursor: sqlite3.Cursor, params: Mapping[str, Any] | None = None) -> sqlite3.Cursor:
        return cursor.execute(self.sql, self._params(params))

    def run_each(self, cursor: sqlite3.Cursor, rows: list[dict[str, Any]]) -> None:
        for row in rows:  # a verb writes one or two rows: executemany would cost more than it saves
            cursor.execute(self.sql, self._params(row))

    def first(self, cursor: sqlite3.Cursor, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        row: dict[str, Any] | None = self.run(cursor, params).fetchone()
        return row

    def scalar(self, cursor: sqlite3.Cursor, params: Mapping[str, Any] | None = None) -> Any:
        row = self.first(cursor, params)
        return None if row is None else next(iter(row.values()))


def dict_cursor(connection: sqlite3.Connection) -> sqlite3.Cursor:
    cursor = connection.cursor()
    cursor.row_factory = _dict_row
    return cursor
