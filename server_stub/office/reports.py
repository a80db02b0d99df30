"""Head-office reports: the daily summary, the rejection list and the device list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from server_stub.errors import ApiError
from server_stub.models import ACCEPTED, REJECTED, DailyTotal, Device, LedgerTransaction, Store
from server_stub.office.paging import Keyset, keyset_page
from server_stub.office.params import TimeRange
from server_stub.office.schemas import (
    DeviceItem,
    DevicePage,
    RejectionItem,
    RejectionPage,
    SummaryResponse,
    SummaryRow,
)

Tx = LedgerTransaction


class utc_date(FunctionElement[Any]):  # noqa: N801 - reads as the SQL function it compiles to
    """The date part of a stored (naive UTC) timestamp, on PostgreSQL and SQLite alike."""

    type = Date()
    name = "utc_date"
    inherit_cache = True


@compiles(utc_date)
def _utc_date_default(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores the timestamp as ISO text; date() keeps its first ten characters' meaning.
    return f"date({compiler.process(element.clauses, **kw)})"


def require_store(session: Session, merchant_id: int, store_id: int) -> Store:
    """The merchant's store, else 404 (another merchant's store answers as a missing one)."""
    store = session.get(Store, store_id)
    if store is None or store.merchant_id != merchant_id:
        raise ApiError(404, "not_found", "No such store.")
    return store


def require_device(session: Session, merchant_id: int, device_id: str) -> Device:
    device = session.get(Device, device_id.lower())
    if device is None or device.merchant_id != merchant_id:
        raise ApiError(404, "not_found", "No such device.")
    return device


def in_range(query: Select[Any], period: TimeRange) -> Select[Any]:
    if period.start is not None:
        query = query.where(Tx.transaction_at >= period.start)
    if period.end is not None:
        query = query.where(Tx.transaction_at < period.end)
    return query


def summary(
    session: Session, merchant_id: int, *, period: TimeRange, store_id: int | None
) -> SummaryResponse:
    """Accepted transactions per store, UTC date and type: how many, and their summed deltas.

    Whole days come from the daily totals the pushes keep; a bound that is not midnight UTC
    leaves a part of its day, which is read from the ledger (its time index).
    """
    if store_id is not None:
        require_store(session, merchant_id, store_id)
    days, edges = split_by_day(period)
    rows: dict[tuple[int | None, date, str], list[int]] = {}
    if days is not None:
        _add(rows, session.execute(_totals_query(merchant_id, days, store_id)).all())
    for edge in edges:
        _add(rows, session.execute(_ledger_query(merchant_id, edge, store_id)).all())
    return SummaryResponse(
        rows=[
            SummaryRow(
                store_id=store, date=day, type=kind, count=count, stamps_delta=stamps, points_delta=points
            )
            for (store, day, kind), (count, stamps, points) in sorted(rows.items(), key=_row_order)
        ]
    )


def split_by_day(period: TimeRange) -> tuple[TimeRange | None, list[TimeRange]]:
    """The whole UTC days of `period` (a range of midnights, None if there are none) and the
    parts of days at its ends, each within one day."""
    start, end = period.start, period.end
    if start is not None and end is not None and start >= end:
        return None, []
    first = start if start is None or start == _midnight(start) else _midnight(start) + timedelta(days=1)
    last = end if end is None or end == _midnight(end) else _midnight(end)
    if first is not None and last is not None and first > last:  # all within one day
        return None, [period]
    edges = []
    if start is not None and start != first:
        edges.append(TimeRange(start, first))
    if end is not None and end != last:
        edges.append(TimeRange(last, end))
    whole = first is None or last is None or first < last
    return (TimeRange(first, last) if whole else None), edges


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _totals_query(
    merchant_id: int, days: TimeRange, store_id: int | None
) -> Select[int, date, str, int, int, int]:
    query = select(
        DailyTotal.store_id,
        DailyTotal.day,
        DailyTotal.type,
        DailyTotal.count,
        DailyTotal.stamps_delta,
        DailyTotal.points_delta,
    ).where(DailyTotal.merchant_id == merchant_id)
    if days.start is not None:
        query = query.where(DailyTotal.day >= days.start.date())
    if days.end is not None:
        query = query.where(DailyTotal.day < days.end.date())
    if store_id is not None:
        query = query.where(DailyTotal.store_id == store_id)
    return query


def _ledger_query(merchant_id: int, edge: TimeRange, store_id: int | None) -> Select[Any]:
    day: ColumnElement[Any] = utc_date(Tx.transaction_at).label("day")
    query = select(
        func.coalesce(Tx.store_id, 0),
        day,
        Tx.type,
        func.count(),
        func.coalesce(func.sum(Tx.stamps_delta), 0),
        func.coalesce(func.sum(Tx.points_delta), 0),
    ).where(Tx.merchant_id == merchant_id, ACCEPTED)
    if store_id is not None:
        query = query.where(Tx.store_id == store_id)
    return in_range(query, edge).group_by(Tx.store_id, day, Tx.type)


def _add(rows: dict[tuple[int | None, date, str], list[int]], found: Sequence[Any]) -> None:
    """Sum rows of (store, day, type, count, stamps, points) in; store 0 is the server's (null)."""
    for store, day, kind, count, stamps, points in found:
        totals = rows.setdefault((store or None, _as_date(day), kind), [0, 0, 0])
        totals[0] += int(count)
        totals[1] += int(stamps)
        totals[2] += int(points)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _row_order(item: tuple[tuple[int | None, date, str], list[int]]) -> tuple[date, int, str]:
    (store, day, kind), _ = item
    return day, store or 0, kind


REJECTION_ORDER = Keyset(kind="rejections", columns=(Tx.received_at, Tx.id), descending=True)


def rejections(
    session: Session,
    merchant_id: int,
    *,
    period: TimeRange,
    store_id: int | None,
    limit: int,
    cursor: str | None,
) -> RejectionPage:
    """Stored rejected transactions, newest received first."""
    query = select(Tx).where(Tx.merchant_id == merchant_id, REJECTED)  # literal: its partial index
    if store_id is not None:
        require_store(session, merchant_id, store_id)
        query = query.where(Tx.store_id == store_id)
    rows, next_cursor = keyset_page(
        session,
        in_range(query, period),
        keyset=REJECTION_ORDER,
        merchant_id=merchant_id,
        limit=limit,
        cursor=cursor,
        key=lambda row: (row[0].received_at, row[0].id),
    )
    return RejectionPage(
        items=[RejectionItem.model_validate(row[0]) for row in rows], next_cursor=next_cursor
    )


DEVICE_ORDER = Keyset(kind="devices", columns=(Device.created_at, Device.id))


def devices(
    session: Session, merchant_id: int, *, store_id: int | None, limit: int, cursor: str | None
) -> DevicePage:
    """The merchant's tills in the order they enrolled, revoked ones included."""
    query = select(Device).where(Device.merchant_id == merchant_id)
    if store_id is not None:
        require_store(session, merchant_id, store_id)
        query = query.where(Device.store_id == store_id)
    rows, next_cursor = keyset_page(
        session,
        query,
        keyset=DEVICE_ORDER,
        merchant_id=merchant_id,
        limit=limit,
        cursor=cursor,
        key=lambda row: (row[0].created_at, row[0].id),
    )
    return DevicePage(items=[device_item(row[0]) for row in rows], next_cursor=next_cursor)


def device_item(device: Device) -> DeviceItem:
    return DeviceItem(
        device_id=device.id,
        store_id=device.store_id,
        name=device.name,
        last_seen_at=device.last_seen_at,
        last_seq=device.last_seq,
        revoked=device.revoked_at is not None,
    )
