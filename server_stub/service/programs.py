"""Program versions: every version kept, the highest is current; transactions may cite an older one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server_stub.models import ProgramVersion
from server_stub.service.changes import next_change_number
from sync.protocol import Program, ProgramFields


def program_from_row(row: ProgramVersion) -> Program:
    return parsed_program(row.version, row.settings)


@lru_cache(maxsize=256)
def parsed_program(version: int, settings: str) -> Program:
    """A stored version's settings, parsed once: a version never changes, and Program is frozen."""
    fields = ProgramFields.model_validate_json(settings)
    return Program(version=version, **fields.model_dump())


def current_program(session: Session, merchant_id: int) -> Program:
    version, settings = session.execute(
        select(ProgramVersion.version, ProgramVersion.settings)
        .where(ProgramVersion.merchant_id == merchant_id)
        .order_by(ProgramVersion.version.desc())
        .limit(1)
    ).one()
    return parsed_program(version, settings)


def programs_by_version(session: Session, merchant_id: int, versions: Iterable[int]) -> dict[int, Program]:
    """The requested versions that exist (missing ones are simply absent)."""
    wanted = set(versions)
    if not wanted:
        return {}
    rows = session.execute(
        select(ProgramVersion).where(
            ProgramVersion.merchant_id == merchant_id, ProgramVersion.version.in_(wanted)
        )
    ).scalars()
    return {row.version: program_from_row(row) for row in rows}


def save_program_version(
    session: Session, *, merchant_id: int, fields: ProgramFields, now: datetime
) -> Program:
    """Store `fields` as the next version (the office PUT and the seed call this)."""
    latest = session.execute(
        select(func.max(ProgramVersion.version)).where(ProgramVersion.merchant_id == merchant_id)
    ).scalar_one_or_none()
    version = int(latest or 0) + 1
    row = ProgramVersion(
        merchant_id=merchant_id,
        version=version,
        settings=ProgramFields.model_validate(fields.model_dump()).model_dump_json(),
        change_no=next_change_number(session, merchant_id),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return program_from_row(row)
