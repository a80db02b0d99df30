"""Read-only questions the till asks its ledger; answers are frozen views."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, func, or_, select

from desktop.ledger.allowances import pending_redemptions
from desktop.ledger.cardstate import SELECT_CARD, card_view
from desktop.ledger.context import Context, store_day_bounds
from desktop.ledger.models import PENDING, REJECTED, cards, device_state, office_reviews, transactions
from desktop.ledger.views import CardView, PurchaseLimit, SyncStatus, TodayTotals, TransactionView
from desktop.ledger.wire import VOIDABLE_TYPES, transaction_view
from sync import rules
from sync.protocol import RejectionState, TransactionType

T = TransactionType
_VOID_TYPES = [kind.value for kind in rules.VOID_TYPES]
OPEN_STATE = RejectionState.OPEN.value


def find_card(ctx: Context, card_number: str) -> CardView | None:
    with ctx.db.read() as conn:
        row = conn.execute(SELECT_CARD, {"card_number": card_number.strip()}).mappings().first()
    return card_view(row) if row is not None and row["known"] else None


def card_of_transaction(ctx: Context, transaction_id: str) -> str | None:
    with ctx.db.read() as conn:
        query = select(transactions.c.card_number).where(transactions.c.id == transaction_id)
        number: str | None = conn.execute(query).scalar_one_or_none()
    return number


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_cards(ctx: Context, text: str, *, limit: int = 20) -> list[CardView]:
    """Cards whose customer name contains `text` (any case) or whose number starts with it."""
    needle = _escape_like(text.strip())
    if not needle:
        return []
    query = (
        select(cards)
        .where(
            cards.c.known,
            or_(
                func.lower(cards.c.customer_name).like(f"%{needle.lower()}%", escape="\\"),
                cards.c.card_number.like(f"{needle}%", escape="\\"),
            ),
        )
        .order_by(cards.c.card_number)
        .limit(max(limit, 0))
    )
    with ctx.db.read() as conn:
        return [card_view(row) for row in conn.execute(query).mappings()]


def _voided_amounts(conn: Connection, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    query = (
        select(
            transactions.c.related_transaction_id,
            func.sum(func.abs(transactions.c.stamps_delta + transactions.c.points_delta)),
        )
        .where(
            transactions.c.related_transaction_id.in_(ids),
            transactions.c.type.in_(_VOID_TYPES),
            transactions.c.sync_state != REJECTED,
        )
        .group_by(transactions.c.related_transaction_id)
    )
    return {str(related): int(total) for related, total in conn.execute(query)}


def _views(conn: Connection, rows: list[Any]) -> list[TransactionView]:
    voidable = [row["id"] for row in rows if row["type"] in VOIDABLE_TYPES]
    voided = _voided_amounts(conn, voidable)
    return [transaction_view(row, voided=voided.get(row["id"], 0)) for row in rows]


def card_history(ctx: Context, card_number: str, *, limit: int = 100) -> list[TransactionView]:
    query = (
        select(transactions)
        .where(transactions.c.card_number == card_number.strip())
        .order_by(transactions.c.seq.desc())
        .limit(max(limit, 0))
    )
    with ctx.db.read() as conn:
        return _views(conn, list(conn.execute(query).mappings()))


def voidable(ctx: Context, card_number: str) -> list[TransactionView]:
    """The card's non-rejected stamp_earned / points_earned with something left to void, newest first."""
    query = (
        select(transactions)
        .where(
            transactions.c.card_number == card_number.strip(),
            transactions.c.type.in_([kind.value for kind in VOIDABLE_TYPES]),
            transactions.c.sync_state != REJECTED,
        )
        .order_by(transactions.c.seq.desc())
    )
    with ctx.db.read() as conn:
        views = _views(conn, list(conn.execute(query).mappings()))
    return [view for view in views if (view.remaining_voidable or 0) > 0]


def rejections(ctx: Context, *, include_acknowledged: bool = False) -> list[TransactionView]:
    """Rejected transactions, newest first, with head office's state of each (open when none pulled)."""
    query = (
        select(
            transactions,
            office_reviews.c.state.label("office_state"),
            office_reviews.c.note.label("office_note"),
        )
        .outerjoin(office_reviews, office_reviews.c.transaction_id == transactions.c.id)
        .where(transactions.c.sync_state == REJECTED)
    )
    if not include_acknowledged:
        query = query.where(transactions.c.acknowledged.is_(False))
    with ctx.db.read() as conn:
        rows = list(conn.execute(query.order_by(transactions.c.seq.desc())).mappings())
        views = _views(conn, rows)
    return [
        replace(view, office_state=row["office_state"] or OPEN_STATE, office_note=row["office_note"])
        for view, row in zip(views, rows, strict=True)
    ]


def today_totals(ctx: Context, *, now: datetime | None = None) -> TodayTotals:
    moment = now or ctx.now()
    with ctx.db.read() as conn:
        identity = ctx.config.current(conn).identity
        timezone = identity.store_timezone if identity is not None else "UTC"
        start, end = store_day_bounds(moment, timezone)
        query = (
            select(
                transactions.c.type,
                transactions.c.sync_state,
                func.count(),
                func.sum(transactions.c.stamps_delta),
                func.sum(transactions.c.points_delta),
            )
            .where(transactions.c.transaction_at >= start, transactions.c.transaction_at < end)
            .group_by(transactions.c.type, transactions.c.sync_state)
        )
        rows = conn.execute(query).all()
        pending = conn.execute(select(func.count()).where(transactions.c.sync_state == PENDING)).scalar_one()
    return _totals(rules.local_day(moment, timezone), rows, pending_count=pending)


def _totals(day: date, rows: Sequence[Any], *, pending_count: int) -> TodayTotals:
    counts: Counter[TransactionType] = Counter()
    stamps: Counter[TransactionType] = Counter()
    points: Counter[TransactionType] = Counter()
    rejected = 0
    for kind, state, count, stamps_sum, points_sum in rows:
        if state == REJECTED:
            rejected += count
            continue
        kind = TransactionType(kind)
        counts[kind] += count
        stamps[kind] += stamps_sum or 0
        points[kind] += points_sum or 0
    return TodayTotals(
        day=day,
        counts=MappingProxyType(dict(counts)),
        stamps_by_type=MappingProxyType(dict(stamps)),
        points_by_type=MappingProxyType(dict(points)),
        transactions=sum(counts.values()),
        stamps_given=stamps[T.STAMP_EARNED] + stamps[T.STAMP_VOIDED],
        stamps_voided=-stamps[T.STAMP_VOIDED],
        stamps_redeemed=-stamps[T.STAMP_REDEEMED],
        points_given=points[T.POINTS_EARNED] + points[T.WELCOME_BONUS] + points[T.POINTS_VOIDED],
        points_voided=-points[T.POINTS_VOIDED],
        points_redeemed=-points[T.POINTS_REDEEMED],
        rewards_redeemed=counts[T.POINTS_REDEEMED] + counts[T.STAMP_REDEEMED],
        voids=counts[T.STAMP_VOIDED] + counts[T.POINTS_VOIDED],
        rejected=rejected,
        pending_count=pending_count,
    )


# A purchase above the limit needs a manager's approval at the till (a guard against a slip of the
# finger: the server accepts any purchase the rules allow). Until the programme carries a limit,
# the till uses its own setting, else 100 x its average purchase, else 1,000.00.
DEFAULT_PURCHASE_LIMIT_CENTS = 100_000
AVERAGE_PURCHASE_MULTIPLE = 100
AVERAGE_OVER_LAST = 200  # purchases: recent enough to follow the shop, many enough to be steady
AVERAGE_NEEDS_AT_LEAST = 20


def purchase_limit(ctx: Context, configured_cents: int | None = None) -> PurchaseLimit:
    if configured_cents is not None and configured_cents > 0:
        return PurchaseLimit(configured_cents, "setting")
    recent = (
        select(transactions.c.purchase_amount_cents.label("cents"))
        .where(
            transactions.c.type == T.POINTS_EARNED.value,
            transactions.c.sync_state != REJECTED,
            transactions.c.purchase_amount_cents.is_not(None),
        )
        .order_by(transactions.c.seq.desc())
        .limit(AVERAGE_OVER_LAST)
        .subquery()
    )
    with ctx.db.read() as conn:
        count, average = conn.execute(select(func.count(), func.avg(recent.c.cents))).one()
    if count < AVERAGE_NEEDS_AT_LEAST or not average:
        return PurchaseLimit(DEFAULT_PURCHASE_LIMIT_CENTS, "default")
    return PurchaseLimit(round(average * AVERAGE_PURCHASE_MULTIPLE), "average")


def sync_status(ctx: Context) -> SyncStatus:
    with ctx.db.read() as conn:
        state = conn.execute(select(device_state)).mappings().one()
        count, oldest = conn.execute(
            select(func.count(), func.min(transactions.c.recorded_at)).where(
                transactions.c.sync_state == PENDING
            )
        ).one()
        open_rejections = conn.execute(
            select(func.count()).where(
                transactions.c.sync_state == REJECTED, transactions.c.acknowledged.is_(False)
            )
        ).scalar_one()
    covered, at_risk = pending_redemptions(ctx)
    return SyncStatus(
        pending_covered=covered,
        pending_at_risk=at_risk,
        pending_count=count,
        oldest_pending_at=oldest,
        last_sync_at=state["last_sync_at"],
        last_sync_error=state["last_sync_error"],
        cursor=state["pull_cursor"],
        rejections_open=open_rejections,
    )
