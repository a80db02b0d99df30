"""The ledger's side of sync (sync.ports.LedgerPort): pending transactions out, results and pulls in."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, null, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from desktop.ledger.cardstate import SELECT_CARDS, Confirmed, refresh_views, store_confirmed
from desktop.ledger.context import BUMP_GENERATION, Context
from desktop.ledger.errors import NothingPending
from desktop.ledger.models import (
    PENDING,
    RowLike,
    device_state,
    office_reviews,
    staff,
    to_db_time,
    transactions,
)
from desktop.ledger.rawsql import RawStatement
from desktop.ledger.wire import WIRE_COLUMNS, wire_tx_of
from sync.ports import DeviceIdentity, Mismatch, PendingSummary
from sync.protocol import (
    MAX_BATCH_ITEMS,
    CardState,
    ImportRequest,
    PullResponse,
    PushResult,
    RejectionReviewOut,
    TransactionType,
    Tx,
    TxStatus,
    first_unmatched,
    uuid_texts,
)

log = logging.getLogger(__name__)

MARK_ANSWERED = (
    update(transactions)
    .where(transactions.c.id == bindparam("key"))
    .values(sync_state=bindparam("state"), reason=bindparam("why"), synced_at=bindparam("at"))
)
# Run on the driver (rawsql): SQLAlchemy's per-row processing cost more than SQLite's reading.
SELECT_PENDING = RawStatement(
    select(*(transactions.c[name] for name in WIRE_COLUMNS))
    .where(transactions.c.sync_state == PENDING, transactions.c.seq > bindparam("after"))
    .order_by(transactions.c.seq)
    .limit(bindparam("n"))
)
MARK_ANSWERED_SQL = RawStatement(MARK_ANSWERED).sql
# Most answers are acceptances: one statement for all of them (SQLite loops in C), not one each;
# by seq, the rows' own key (a third faster than through the index of ids).
MARK_ACCEPTED = RawStatement(
    update(transactions)
    .where(transactions.c.seq.in_(select(func.json_each(bindparam("seqs")).table_valued("value").c.value)))
    .values(sync_state=TxStatus.ACCEPTED.value, reason=null(), synced_at=bindparam("at"))
)


def identity(ctx: Context) -> DeviceIdentity | None:
    with ctx.db.read() as conn:
        return ctx.config.current(conn).identity


def save_identity(ctx: Context, ident: DeviceIdentity) -> None:
    fields = {
        "device_id": ident.device_id,
        "token": ident.token,
        "server_url": ident.server_url,
        "store_id": ident.store_id,
        "store_name": ident.store_name,
        "store_timezone": ident.store_timezone,
        "merchant_id": ident.merchant_id,
        "merchant_name": ident.merchant_name,
    }
    with ctx.db.write() as conn:
        conn.execute(update(device_state).where(device_state.c.id == 1).values(**fields))
        conn.execute(BUMP_GENERATION)
    log.info("till enrolled as device %s of store %s", ident.device_id, ident.store_id)


def pending_transactions(ctx: Context, limit: int, after_seq: int | None = None) -> list[Tx]:
    """Up to `limit` pending transactions, lowest seq first; only those after `after_seq` if given."""
    with ctx.db.raw_read(mappings=False) as cursor:
        rows = SELECT_PENDING.run(cursor, {"n": max(limit, 0), "after": after_seq or 0}).fetchall()
    return [wire_tx_of(row) for row in rows]


def pending_summary(ctx: Context) -> PendingSummary:
    query = select(func.count(), func.min(transactions.c.recorded_at)).where(
        transactions.c.sync_state == PENDING
    )
    with ctx.db.read() as conn:
        count, oldest = conn.execute(query).one()
    return PendingSummary(count=count, oldest_recorded_at=oldest)


def export_pending(ctx: Context) -> ImportRequest:
    """The oldest pending transactions (at most one batch) as a file head office can import."""
    ident = identity(ctx)
    batch = pending_transactions(ctx, MAX_BATCH_ITEMS)
    if ident is None or not batch:
        raise NothingPending()
    return ImportRequest.model_construct(device_id=ident.device_id, transactions=batch)


def apply_push_results(ctx: Context, sent: Sequence[Tx], results: Sequence[PushResult]) -> None:
    """Each sent transaction leaves pending; each answered card state becomes the confirmed one."""
    if len(sent) != len(results):
        raise ValueError(f"{len(results)} results for {len(sent)} transactions")
    keys = uuid_texts([tx.id for tx in sent])
    unmatched = first_unmatched(sent, [result.id for result in results], keys)
    if unmatched is not None:
        raise ValueError(f"result for {results[unmatched].id} where {sent[unmatched].id} was sent")
    if not sent:
        return
    now = ctx.now()
    at = to_db_time(now)
    accepted = [
        tx.seq for tx, result in zip(sent, results, strict=True) if result.status == TxStatus.ACCEPTED
    ]
    others = [
        {"key": key, "state": result.status.value, "why": _reason(result), "at": at}
        for key, result in zip(keys, results, strict=True)
        if result.status != TxStatus.ACCEPTED
    ]
    newest: dict[str, CardState] = {}  # a card answered several times: its last answer is newest
    welcomed: set[str] = set()
    for tx, result in zip(sent, results, strict=True):
        if result.card is not None:
            newest[result.card.card_number] = result.card
        if result.status == TxStatus.ACCEPTED and tx.type == TransactionType.WELCOME_BONUS:
            welcomed.add(tx.card_number)
    touched = {tx.card_number for tx in sent} | set(newest)
    confirmed = [Confirmed(card, welcome=card.card_number in welcomed) for card in newest.values()]
    with ctx.db.write() as conn:
        if accepted:
            seqs = json.dumps(accepted)
            conn.exec_driver_sql(MARK_ACCEPTED.sql, {**MARK_ACCEPTED.defaults, "seqs": seqs, "at": at})
        if others:
            conn.exec_driver_sql(MARK_ANSWERED_SQL, others)
        store_confirmed(conn, confirmed, now=now)
        refresh_views(conn, touched, now=now)


def _reason(result: PushResult) -> str | None:
    if result.status == TxStatus.ACCEPTED:
        return None
    return result.reason.value if result.reason is not None else None


def pull_cursor(ctx: Context) -> str | None:
    with ctx.db.read() as conn:
        cursor: str | None = conn.execute(select(device_state.c.pull_cursor)).scalar_one()
    return cursor


def apply_pull_page(ctx: Context, page: PullResponse) -> None:
    now = ctx.now()
    with ctx.db.write() as conn:
        values: dict[str, object] = {"pull_cursor": page.cursor}
        if page.program is not None:
            values["program_version"] = page.program.version
            values["program_json"] = page.program.model_dump_json()
        ident = ctx.config.current(conn).identity
        store = page.store
        if ident is not None and (ident.store_name, ident.store_timezone) != (store.name, store.timezone):
            values["store_name"] = store.name
            values["store_timezone"] = store.timezone
        conn.execute(update(device_state).where(device_state.c.id == 1).values(**values))
        if page.staff is not None:
            conn.execute(delete(staff).where(staff.c.id.not_in([member.id for member in page.staff])))
            for member in page.staff:
                fields = member.model_dump(include={"name", "role", "store_id", "pin_hash", "is_active"})
                statement = sqlite_insert(staff).values(id=member.id, **fields)
                conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=fields))
        if page.program is not None or page.staff is not None or len(values) > 1:
            conn.execute(BUMP_GENERATION)
        confirmed = [
            Confirmed(
                CardState(
                    card_number=card.card_number,
                    stamp_count=card.stamp_count,
                    points_balance=card.points_balance,
                    is_active=card.is_active,
                ),
                customer_name=card.customer_name,
            )
            for card in page.cards
        ]
        store_confirmed(conn, confirmed, now=now)
        refresh_views(conn, {card.card_number for card in page.cards}, now=now)
        if page.rejections:
            _store_office_reviews(conn, page.rejections)


def _store_office_reviews(conn: Connection, reviews: Sequence[RejectionReviewOut]) -> None:
    """Head office's state of this till's rejections (a review of an id the till does not hold is
    kept too: harmless, and it applies if the row is there later)."""
    for review in reviews:
        fields = {"state": review.state[:20], "note": review.note, "updated_at": review.updated_at}
        statement = sqlite_insert(office_reviews).values(transaction_id=review.id.lower(), **fields)
        conn.execute(statement.on_conflict_do_update(index_elements=["transaction_id"], set_=fields))


def reconcile(ctx: Context, server_cards: Sequence[CardState]) -> list[Mismatch]:
    """For cards with nothing pending: the till's view must equal the server's; repair it if not."""
    now = ctx.now()
    given = json.dumps([server.card_number for server in server_cards])
    with ctx.db.write() as conn:
        rows = {row["card_number"]: row for row in conn.execute(SELECT_CARDS, {"cards": given}).mappings()}
        mismatches: list[Mismatch] = []
        repaired: list[Confirmed] = []  # a card new to the till is simply taken in
        for server in server_cards:
            row = rows.get(server.card_number)
            if row is not None and row["pending_count"] > 0:
                continue  # still moving: compared after its transactions are answered
            if row is not None and row["known"]:
                local = _view_of(row)
                if local == server:
                    continue
                _log_mismatch(local, server)
                mismatches.append(Mismatch(card_number=server.card_number, local=local, server=server))
            repaired.append(Confirmed(server))
        store_confirmed(conn, repaired, now=now)
        refresh_views(conn, {item.state.card_number for item in repaired}, now=now)
    return mismatches


def _view_of(row: RowLike) -> CardState:
    return CardState(
        card_number=row["card_number"],
        stamp_count=row["stamp_count"],
        points_balance=row["points_balance"],
        is_active=bool(row["is_active"]),
    )


def _log_mismatch(local: CardState, server: CardState) -> None:
    log.warning(
        "card %s: till view %s/%s/%s differs from the server's %s/%s/%s; repaired from the server",
        server.card_number,
        local.stamp_count,
        local.points_balance,
        local.is_active,
        server.stamp_count,
        server.points_balance,
        server.is_active,
    )


def record_sync(ctx: Context, *, at: datetime, succeeded: bool, message: str | None = None) -> None:
    values: dict[str, object] = {"last_sync_attempt_at": at}
    if succeeded:
        values.update(last_sync_at=at, last_sync_error=None)
    else:
        values["last_sync_error"] = message or "sync failed"
    with ctx.db.write() as conn:
        conn.execute(update(device_state).where(device_state.c.id == 1).values(**values))
