"""`/office/`: today, the last 7 and the last 30 days per store, with a chart per day."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server_stub.console.charts import Series, bar_chart
from server_stub.console.dashboard import FIGURE_LABELS, PERIOD_LABELS, build_dashboard, store_rows
from server_stub.console.tables import Column, Table, render_or_csv, sort_rows, table_state, text_filter
from server_stub.console.web import DbSession, User, page

router = APIRouter()

COLUMNS = [Column("store", "Store"), *(Column(key, label, "number") for key, label in FIGURE_LABELS.items())]


@router.get("/")
def dashboard(request: Request, user: User, session: DbSession) -> Response:
    period = request.query_params.get("period", "today")
    if period not in PERIOD_LABELS:
        period = "today"
    today = datetime.now(UTC).date()
    board = build_dashboard(session, user.merchant_id, today=today)
    state = table_state(request, COLUMNS, default_sort="store", filters=("period",))
    rows = sort_rows(text_filter(store_rows(board, period), state.q, ["store"]), state)
    table = Table(COLUMNS, rows, state, "/office/", f"{PERIOD_LABELS[period]} per store (UTC days)")
    per_day = board.per_day()
    days = [day for day, _ in per_day]
    charts = [
        bar_chart(
            "Transactions per day, last 30 days",
            days,
            [Series("Transactions", [f.transactions for _, f in per_day])],
        ),
        bar_chart(
            "Points issued and redeemed per day, last 30 days",
            days,
            [
                Series("Points issued", [f.points_issued for _, f in per_day]),
                Series("Points redeemed", [f.points_redeemed for _, f in per_day], "bar2"),
            ],
        ),
    ]
    return render_or_csv(
        request,
        table,
        filename=f"dashboard-{period}-{today}.csv",
        render=lambda: page(
            request,
            "dashboard.html",
            {
                "table": table,
                "period": period,
                "periods": PERIOD_LABELS,
                "total": board.total(period),
                "labels": FIGURE_LABELS,
                "charts": charts,
                "today": today,
            },
        ),
    )
