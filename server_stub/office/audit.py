"""The office audit log: who changed what, with the values before and after (never PINs or tokens)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server_stub.models import AuditEntry
from server_stub.office.paging import Keyset, keyset_page
from server_stub.office.schemas import AuditItem, AuditPage
from server_stub.service.auth import AdminContext

log = logging.getLogger(__name__)

# Keys whose values are secrets: an audit entry says only that they changed.
SECRET_KEYS = frozenset({"pin", "pin_hash", "token", "token_hash", "enrolment_code", "code", "code_hash"})
CHANGED = "changed"


# The admin token acting: its merchant, and its name as the audit's actor.
Actor = AdminContext


def redact(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: (CHANGED if key in SECRET_KEYS else value) for key, value in values.items()}


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    target: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    """Add an entry in the caller's transaction, so the write and its audit commit together."""
    session.add(
        AuditEntry(
            merchant_id=actor.merchant_id,
            at=now,
            actor=actor.name,
            action=action,
            target=target,
            old=_dump(redact(old)),
            new=_dump(redact(new)),
        )
    )
    log.info("office %s on %s by %s (merchant %s)", action, target, actor.name, actor.merchant_id)


def _dump(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, sort_keys=True, default=str)


AUDIT_ORDER = Keyset(kind="audit", columns=(AuditEntry.at, AuditEntry.id), descending=True)


def audit_page(session: Session, merchant_id: int, *, limit: int, cursor: str | None) -> AuditPage:
    """Newest first."""
    rows, next_cursor = keyset_page(
        session,
        select(AuditEntry).where(AuditEntry.merchant_id == merchant_id),
        keyset=AUDIT_ORDER,
        merchant_id=merchant_id,
        limit=limit,
        cursor=cursor,
        key=lambda row: (row[0].at, row[0].id),
    )
    return AuditPage(items=[_item(row[0]) for row in rows], next_cursor=next_cursor)


def _item(entry: AuditEntry) -> AuditItem:
    return AuditItem(
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        target=entry.target,
        old=json.loads(entry.old) if entry.old is not None else None,
        new=json.loads(entry.new) if entry.new is not None else None,
    )
