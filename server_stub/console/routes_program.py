"""`/office/program` (the current version, its history, a form for the next one) and `/office/audit`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server_stub.console.tables import ROW_LIMIT, Column, Table, render_or_csv, sort_rows, table_state
from server_stub.console.web import Admin, DbSession, User, check_csrf, page
from server_stub.models import AuditEntry, ProgramVersion
from server_stub.office import admin as office_admin
from server_stub.service.programs import current_program, program_from_row
from sync.protocol import ProgramFields, ProgramType

router = APIRouter()
PROGRAM_COLUMNS = [
    Column("version", "Version", "number"),
    Column("created_at", "Made", "time"),
    Column("type", "Type"),
    Column("points_per_currency_unit", "Points per currency unit", "number"),
    Column("stamps_target", "Stamps for a reward", "number"),
    Column("welcome_bonus_points", "Welcome bonus", "number"),
    Column("rewards", "Rewards", sortable=False),
    Column("allowance", "Offline allowance", sortable=False),
]
AUDIT_COLUMNS = [
    Column("at", "When", "time"),
    Column("actor", "Who"),
    Column("action", "What"),
    Column("target", "On"),
    Column("old", "Before", sortable=False),
    Column("new", "After", sortable=False),
]
NUMBER_FIELDS = (
    "stamps_target",
    "points_per_currency_unit",
    "minimum_purchase_cents",
    "welcome_bonus_points",
    "pin_max_attempts",
    "pin_lockout_minutes",
    "allowance_points",
    "allowance_stamps",
    "allowance_hours",
    "allowance_cards",
    "allowance_regular_days",
)
OPTIONAL_NUMBER_FIELDS = ("points_expiration_days", "max_daily_stamps")
# A select, not a checkbox: a form without the field is an error, never a silent "false".
AT_RISK_CHOICES = {"true": True, "false": False}


def _history(session: Session, merchant_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(ProgramVersion).where(ProgramVersion.merchant_id == merchant_id)).all()
    found = []
    for row in rows:
        program = program_from_row(row)
        found.append(
            {
                "version": program.version,
                "created_at": row.created_at,
                "tz": "UTC",
                "type": program.type.value,
                "points_per_currency_unit": program.points_per_currency_unit,
                "stamps_target": program.stamps_target,
                "welcome_bonus_points": program.welcome_bonus_points,
                "rewards": ", ".join(f"{reward.name} ({reward.points_cost:,})" for reward in program.rewards),
                "allowance": allowance_text(program),
            }
        )
    return found


def allowance_text(program: ProgramFields) -> str:
    """'300 points, 0 stamps for 12 h; at-risk allowed' or 'none; at-risk refused'."""
    at_risk = "at-risk allowed" if program.at_risk_redemptions else "at-risk refused"
    if not program.allowance_points and not program.allowance_stamps:
        return f"none; {at_risk}"
    return (
        f"{program.allowance_points:,} points, {program.allowance_stamps:,} stamps "
        f"for {program.allowance_hours} h; {at_risk}"
    )


def _page(request: Request, user: Any, session: Session, *, status: int = 200, **extra: Any) -> Response:
    state = table_state(request, PROGRAM_COLUMNS, default_sort="version", descending=True)
    table = Table(
        PROGRAM_COLUMNS,
        sort_rows(_history(session, user.merchant_id), state),
        state,
        "/office/program",
        "Every version of the program",
    )
    program = current_program(session, user.merchant_id)
    rewards = "\n".join(f"{r.id} | {r.name} | {r.points_cost}" for r in program.rewards)
    values = extra.pop("values", None) or {**program.model_dump(mode="json"), "rewards": rewards}
    return render_or_csv(
        request,
        table,
        filename="program-versions.csv",
        render=lambda: page(
            request,
            "program.html",
            {
                "table": table,
                "program": program,
                "values": values,
                "types": [kind.value for kind in ProgramType],
                **extra,
            },
            status=status,
        ),
    )


@router.get("/program")
def program_page(request: Request, user: User, session: DbSession) -> Response:
    return _page(request, user, session)


def parse_rewards(text: str) -> list[dict[str, Any]]:
    """One reward a line: `id | name | points cost`."""
    rewards = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not parts[2].lstrip("-").isdigit():
            raise ValueError(f"rewards line {number}: write it as  id | name | points cost")
        rewards.append({"id": parts[0], "name": parts[1], "points_cost": int(parts[2])})
    return rewards


def program_fields(form: dict[str, str]) -> ProgramFields:
    """The form's fields, validated by the model the API validates its body with."""
    values: dict[str, Any] = {
        "type": form.get("type", ""),
        "currency": form.get("currency", "").strip().upper(),
        "stamps_reward_description": form.get("stamps_reward_description", ""),
    }
    for name in NUMBER_FIELDS:
        values[name] = _number(form.get(name, ""), name)
    for name in OPTIONAL_NUMBER_FIELDS:
        text = form.get(name, "").strip()
        values[name] = _number(text, name) if text else None
    at_risk = form.get("at_risk_redemptions", "")
    if at_risk not in AT_RISK_CHOICES:
        raise ValueError("at risk redemptions: choose allowed or refused")
    values["at_risk_redemptions"] = AT_RISK_CHOICES[at_risk]
    values["rewards"] = parse_rewards(form.get("rewards", ""))
    return ProgramFields.model_validate(values, strict=False)


def _number(text: str, name: str) -> int:
    try:
        return int(text.strip().replace(",", ""))
    except ValueError:
        raise ValueError(f"{name.replace('_', ' ')}: a whole number is needed") from None


@router.post("/program")
async def new_version(request: Request, user: Admin, session: DbSession) -> Response:
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    check_csrf(user, form.get("csrf_token"))
    try:
        fields = program_fields(form)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        return _page(
            request,
            user,
            session,
            status=422,
            values=form,
            flash=f"Not saved. {problems}",
            flash_kind="error",
        )
    except ValueError as error:
        return _page(
            request, user, session, status=422, values=form, flash=f"Not saved. {error}", flash_kind="error"
        )
    saved = office_admin.replace_program(session, user.actor, fields, now=datetime.now(UTC))
    return _page(
        request,
        user,
        session,
        flash=f"Version {saved.version} is now current; tills get it on their next sync.",
    )


@router.get("/audit")
def audit(request: Request, user: User, session: DbSession) -> Response:
    state = table_state(request, AUDIT_COLUMNS, default_sort="at", descending=True)
    query = select(AuditEntry).where(AuditEntry.merchant_id == user.merchant_id)
    if state.q:
        needle = "%" + state.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                *(
                    column.ilike(needle, escape="\\")
                    for column in (AuditEntry.actor, AuditEntry.action, AuditEntry.target)
                )
            )
        )
    entries = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(ROW_LIMIT + 1)
    ).all()
    rows = [
        {
            "at": entry.at,
            "tz": "UTC",
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "old": _compact(entry.old),
            "new": _compact(entry.new),
        }
        for entry in entries[:ROW_LIMIT]
    ]
    if state.sort != "at" or not state.descending:
        rows = sort_rows(rows, state)
    table = Table(
        AUDIT_COLUMNS,
        rows,
        state,
        "/office/audit",
        "Who changed what, newest first",
        len(entries) > ROW_LIMIT,
    )
    return render_or_csv(
        request, table, filename="audit.csv", render=lambda: page(request, "audit.html", {"table": table})
    )


def _compact(text: str | None) -> str | None:
    if text is None:
        return None
    values = json.loads(text)
    if not isinstance(values, dict):
        return text
    return ", ".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in values.items())
