"""Head-office reports: the daily summary, the rejection list and the device list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Date, Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from server_stub.errors import ApiError
from server_stub.models import Device, LedgerTransaction, Store
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
from sync.protocol import TxStatus

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
    """Accepted transactions per store, UTC date and type: how many, and their summed deltas."""
    day: ColumnElement[Any] = utc_date(Tx.transaction_at).label("day")
    query = select(
        Tx.store_id,
        day,
        Tx.type,
        func.count().label("count"),
        func.coalesce(func.sum(Tx.stamps_delta), 0).label("stamps_delta"),
        func.coalesce(func.sum(Tx.points_delta), 0).label("points_delta"),
    ).where(Tx.merchant_id == merchant_id, Tx.status == TxStatus.ACCEPTED.value)
    if store_id is not None:
        require_store(session, merchant_id, store_id)
        query = query.where(Tx.store_id == store_id)
    query = in_range(query, period).group_by(Tx.store_id, day, Tx.type)
    rows = session.execute(query.order_by(day, Tx.store_id, Tx.type)).all()
    return SummaryResponse(
        rows=[
            SummaryRow(
                store_id=row.store_id,
                date=row.day,
                type=row.type,
                count=row.count,
                stamps_delta=row.stamps_delta,
                points_delta=row.points_delta,
            )
            for row in rows
        ]
    )


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
    query = select(Tx).where(Tx.merchant_id == merchant_id, Tx.status == TxStatus.REJECTED.value)
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
