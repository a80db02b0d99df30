"""The console's tables: columns, the sort and filter a person chose (from the URL), CSV of what is shown."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from server_stub.console.formatting import local_time_text
from server_stub.office.ledger_csv import neutralise

MAX_FILTER = 100
ROW_LIMIT = 500  # rows a table shows (and its CSV holds); a filter narrows further


@dataclass(frozen=True, slots=True)
class Column:
    """`kind`: text, number, time (a `tz` key in the row names its zone), link (href in `link`), state."""

    key: str
    label: str
    kind: str = "text"
    sortable: bool = True
    link: str | None = None  # the row key holding this cell's URL


@dataclass(frozen=True, slots=True)
class TableState:
    sort: str
    descending: bool
    q: str
    filters: Mapping[str, str] = field(default_factory=dict)

    def query(self, **changes: str) -> str:
        """This state's URL query, with `changes` applied."""
        values = {"sort": self.sort, "dir": "desc" if self.descending else "asc", "q": self.q}
        values.update(self.filters)
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value})

    def sort_query(self, key: str) -> str:
        """The query that sorts by `key`: ascending first, the other way on a second click."""
        if key == self.sort:
            return self.query(dir="asc" if self.descending else "desc")
        return self.query(sort=key, dir="asc")


@dataclass(slots=True)
class Table:
    columns: Sequence[Column]
    rows: list[dict[str, Any]]
    state: TableState
    path: str
    caption: str
    limited: bool = False  # more rows matched than are shown

    @property
    def csv_href(self) -> str:
        return f"{self.path}?{self.state.query(format='csv')}"


def table_state(
    request: Request,
    columns: Sequence[Column],
    *,
    default_sort: str,
    descending: bool = False,
    filters: Sequence[str] = (),
) -> TableState:
    """The sort and filter in the URL; anything unknown falls back to the default."""
    params = request.query_params
    sortable = {column.key for column in columns if column.sortable}
    sort = params.get("sort", default_sort)
    direction = params.get("dir")
    if sort not in sortable:
        sort, direction = default_sort, None
    is_descending = descending if direction not in ("asc", "desc") else direction == "desc"
    chosen = {name: params.get(name, "")[:MAX_FILTER] for name in filters if params.get(name)}
    return TableState(
        sort=sort, descending=is_descending, q=params.get("q", "").strip()[:MAX_FILTER], filters=chosen
    )


def sort_rows(rows: list[dict[str, Any]], state: TableState) -> list[dict[str, Any]]:
    """Rows sorted in Python (for the short lists: tills, staff); empty values last."""
    present = [row for row in rows if row.get(state.sort) is not None]
    missing = [row for row in rows if row.get(state.sort) is None]
    present.sort(key=lambda row: _sort_key(row[state.sort]), reverse=state.descending)
    return present + missing


def _sort_key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def text_filter(rows: list[dict[str, Any]], q: str, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Rows where any of `keys` contains `q` (any case)."""
    needle = q.casefold()
    if not needle:
        return rows
    return [row for row in rows if any(needle in str(row.get(key) or "").casefold() for key in keys)]


def csv_value(column: Column, row: Mapping[str, Any]) -> str:
    value = row.get(column.key)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time_text(value, row.get("tz"))
    if column.kind == "number" and isinstance(value, int):
        return str(value)
    return neutralise(str(value))  # a spreadsheet must not run a customer's text as a formula


def csv_response(table: Table, filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.label for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(column, row) for column in table.columns])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv"


def render_or_csv(
    request: Request, table: Table, *, filename: str, render: Callable[[], Response]
) -> Response:
    return csv_response(table, filename) if wants_csv(request) else render()
