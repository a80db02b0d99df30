"""The dashboard's figures per store and per day, made from the API's own summary (office/reports.py).

Days are UTC dates of `transaction_at`, as in `GET /v1/office/summary`, so the console and the
API can never disagree; rejections (not in the summary) are counted as `GET
/v1/office/rejections` lists them, over the same period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from server_stub.models import REJECTED, LedgerTransaction, Store
from server_stub.office.params import TimeRange
from server_stub.office.reports import in_range, summary, utc_date
from server_stub.office.schemas import SummaryRow
from sync.protocol import TransactionType
from sync.rules import LATEST_AHEAD

T = TransactionType
Tx = LedgerTransaction
PERIODS = {"today": 1, "7d": 7, "30d": 30}
PERIOD_LABELS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days"}
SERVER_MADE = "Head office (server-made)"


@dataclass(slots=True)
class Figures:
    """One store's (or all stores') figures over some days."""

    transactions: int = 0
    points_issued: int = 0  # points_earned and welcome_bonus
    points_redeemed: int = 0
    points_voided: int = 0
    points_expired: int = 0
    stamps: int = 0  # stamps earned
    rewards: int = 0  # points_redeemed and stamp_redeemed
    new_cards: int = 0
    rejections: int = 0

    def add_row(self, row: SummaryRow) -> None:
        self.transactions += row.count
        kind = row.type
        if kind in (T.POINTS_EARNED, T.WELCOME_BONUS):
            self.points_issued += row.points_delta
        elif kind == T.POINTS_REDEEMED:
            self.points_redeemed -= row.points_delta
        elif kind == T.POINTS_VOIDED:
            self.points_voided -= row.points_delta
        elif kind == T.POINTS_EXPIRED:
            self.points_expired -= row.points_delta
        elif kind == T.STAMP_EARNED:
            self.stamps += row.stamps_delta
        elif kind == T.CARD_CREATED:
            self.new_cards += row.count
        if kind in (T.POINTS_REDEEMED, T.STAMP_REDEEMED):
            self.rewards += row.count

    def add(self, other: Figures) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


FIGURE_LABELS = {
    "transactions": "Transactions",
    "points_issued": "Points issued",
    "points_redeemed": "Points redeemed",
    "points_voided": "Points voided",
    "points_expired": "Points expired",
    "stamps": "Stamps",
    "rewards": "Rewards",
    "new_cards": "New cards",
    "rejections": "Rejections",
}


@dataclass(slots=True)
class Dashboard:
    days: list[date]  # the last 30 UTC dates, oldest first
    per_day_store: dict[tuple[date, int | None], Figures]
    store_names: dict[int | None, str]
    store_zones: dict[int | None, str] = field(default_factory=dict)

    def period_days(self, period: str) -> list[date]:
        return self.days[-PERIODS[period] :]

    def by_store(self, period: str) -> dict[int | None, Figures]:
        wanted = set(self.period_days(period))
        stores: dict[int | None, Figures] = defaultdict(Figures)
        for (day, store_id), figures in self.per_day_store.items():
            if day in wanted:
                stores[store_id].add(figures)
        return dict(stores)

    def total(self, period: str) -> Figures:
        total = Figures()
        for figures in self.by_store(period).values():
            total.add(figures)
        return total

    def per_day(self) -> list[tuple[date, Figures]]:
        days: dict[date, Figures] = {day: Figures() for day in self.days}
        for (day, _store), figures in self.per_day_store.items():
            days[day].add(figures)
        return sorted(days.items())


def last_days(today: date, count: int = 30) -> TimeRange:
    start = datetime.combine(today - timedelta(days=count - 1), time(), tzinfo=UTC)
    return TimeRange(start=start, end=datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC))


def build_dashboard(session: Session, merchant_id: int, *, today: date) -> Dashboard:
    """The last 30 UTC days of the merchant, per store and day: the summary's rows plus rejections."""
    period = last_days(today)
    cells: dict[tuple[date, int | None], Figures] = defaultdict(Figures)
    for row in summary(session, merchant_id, period=period, store_id=None).rows:
        cells[(row.date, row.store_id)].add_row(row)
    for day, store_id, count in rejection_counts(session, merchant_id, period=period):
        cells[(day, store_id)].rejections += count
    stores = session.execute(
        select(Store.id, Store.name, Store.timezone)
        .where(Store.merchant_id == merchant_id)
        .order_by(Store.name)
    ).all()
    names: dict[int | None, str] = {store.id: store.name for store in stores}
    zones: dict[int | None, str] = {store.id: store.timezone for store in stores}
    names[None] = SERVER_MADE
    days = [today - timedelta(days=offset) for offset in range(29, -1, -1)]
    return Dashboard(days=days, per_day_store=dict(cells), store_names=names, store_zones=zones)


def rejection_counts(session: Session, merchant_id: int, *, period: TimeRange) -> Iterable[Any]:
    """Rejected transactions per UTC date and store, as the API's rejection list holds them.

    Read through the rejections' own partial index (the literal `status = 'rejected'` matches
    it), from a day before the period: a stored row arrived at most a day before its time
    (PROTOCOL.md row 1a), so no row of the period is missed and the rest of the ledger is not read.
    """
    day: ColumnElement[Any] = utc_date(Tx.transaction_at).label("day")
    query = select(day, Tx.store_id, func.count()).where(Tx.merchant_id == merchant_id, REJECTED)
    if period.start is not None:
        query = query.where(Tx.received_at >= period.start - LATEST_AHEAD)
    return session.execute(in_range(query, period).group_by(day, Tx.store_id)).all()


def store_rows(board: Dashboard, period: str) -> list[dict[str, Any]]:
    """The per-store table of a period: every store of the merchant, active or quiet."""
    figures = board.by_store(period)
    rows = []
    for store_id, name in board.store_names.items():
        found = figures.get(store_id)
        if found is None and store_id is None:
            continue  # no server-made rows in the period: no line for them
        values = found or Figures()
        rows.append({"store": name, **{item.name: getattr(values, item.name) for item in fields(values)}})
    return rows
