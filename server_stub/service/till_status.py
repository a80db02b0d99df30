"""What each till last pulled: the change number it caught up to, when, and the client it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server_stub.db import is_postgres
from server_stub.models import TillSyncStatus

# A till caught up to the same number is written again only this long after (spares a write per pull).
REFRESH_AFTER = timedelta(seconds=60)
MAX_CLIENT = 100


def record_caught_up(session: Session, device_id: str, *, change_no: int, client: str | None) -> None:
    """The till has pulled every change up to `change_no`."""
    now = datetime.now(UTC)
    known = session.execute(
        select(
            TillSyncStatus.caught_up_change_no, TillSyncStatus.caught_up_at, TillSyncStatus.client_version
        ).where(TillSyncStatus.device_id == device_id)
    ).one_or_none()
    client = client[:MAX_CLIENT] if client else None
    if known is not None:
        same = known.caught_up_change_no == change_no and (client is None or client == known.client_version)
        if same and known.caught_up_at is not None and now - known.caught_up_at < REFRESH_AFTER:
            return
    values = {"caught_up_change_no": change_no, "caught_up_at": now}
    if client is not None:
        values["client_version"] = client
    insert = postgres_insert if is_postgres(session) else sqlite_insert
    statement = insert(TillSyncStatus).values(device_id=device_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["device_id"], set_=values))
