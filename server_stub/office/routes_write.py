"""Head-office writes: import a till's file, revoke a till, enrolment codes, the program, staff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from server_stub.deps import AdminDep, DatabaseDep, SessionDep
from server_stub.office import admin as office_admin
from server_stub.office import staff as office_staff
from server_stub.office.imports import import_file
from server_stub.office.schemas import (
    EnrolmentCodeRequest,
    EnrolmentCodeResponse,
    StaffCreate,
    StaffItem,
    StaffPatch,
    body_schema,
)
from server_stub.openapi import idempotency_key_parameter, problems
from server_stub.routes.body import load_json, parse_batch, parse_model, read_body
from server_stub.routes.push_answer import checked_key, push_response
from server_stub.service.push import canonical_hash
from sync.protocol import INT32_MAX, ImportRequest, Program, ProgramFields, PushResponse

router = APIRouter(tags=["office"])
M = TypeVar("M", bound=BaseModel)


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency reading the raw body (1 MiB at most) and validating it in strict JSON mode."""

    async def read(request: Request) -> M:
        raw = await read_body(request)
        load_json(raw)
        return parse_model(model, raw)

    return read


EnrolmentBody = Annotated[EnrolmentCodeRequest, Depends(json_body(EnrolmentCodeRequest))]
ProgramBody = Annotated[ProgramFields, Depends(json_body(ProgramFields))]
StaffCreateBody = Annotated[StaffCreate, Depends(json_body(StaffCreate))]
StaffPatchBody = Annotated[StaffPatch, Depends(json_body(StaffPatch))]
DeviceId = Annotated[str, Path(max_length=64)]
StaffId = Annotated[int, Path(ge=1, le=INT32_MAX)]
# Documented by `idempotency_key_parameter` (optional here).
OptionalKey = Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False)]


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    "/import",
    response_model=PushResponse,
    responses=problems(400, 401, 404, 409, 413, 422),
    openapi_extra={**body_schema(ImportRequest), "parameters": [idempotency_key_parameter(required=False)]},
)
async def import_transactions(
    request: Request, admin: AdminDep, database: DatabaseDep, idempotency_key: OptionalKey = None
) -> Response:
    """A till's export-pending file, applied exactly as that till's push (a revoked till's too)."""
    key = checked_key(idempotency_key, required=False)
    raw = await read_body(request)
    payload = parse_batch(ImportRequest, raw)
    # Hashed as the till's own push body, so its later push with this key replays.
    request_hash = canonical_hash({"transactions": load_json(raw)["transactions"]})
    outcome = await run_in_threadpool(
        import_file,
        database,
        request.app.state.in_flight,
        admin,
        payload,
        key=key,
        request_hash=request_hash,
        clock=_now,
    )
    return push_response(outcome)


@router.post(
    "/devices/{device_id}/revoke",
    status_code=204,
    response_class=Response,
    responses=problems(401, 404, 422),
)
def revoke_device(admin: AdminDep, session: SessionDep, device_id: DeviceId) -> None:
    """A lost or stolen till's token stops working at once (401 device_revoked); its ledger stays."""
    office_admin.revoke_device(session, admin, device_id, now=_now())


@router.post(
    "/enrolment-codes",
    status_code=201,
    response_model=EnrolmentCodeResponse,
    responses=problems(401, 404, 413, 422),
    openapi_extra=body_schema(EnrolmentCodeRequest),
)
def create_enrolment_code(admin: AdminDep, body: EnrolmentBody, session: SessionDep) -> EnrolmentCodeResponse:
    """A one-time code for a new till at that store."""
    return office_admin.issue_enrolment_code(session, admin, body.store_id, now=_now())


@router.put(
    "/program",
    response_model=Program,
    responses=problems(401, 413, 422),
    openapi_extra=body_schema(ProgramFields),
)
def replace_program(admin: AdminDep, body: ProgramBody, session: SessionDep) -> Program:
    """The new program, version + 1; tills get it on their next pull, older versions stay known."""
    return office_admin.replace_program(session, admin, body, now=_now())


@router.post(
    "/staff",
    status_code=201,
    response_model=StaffItem,
    responses=problems(401, 404, 413, 422),
    openapi_extra=body_schema(StaffCreate),
)
def create_staff(admin: AdminDep, body: StaffCreateBody, session: SessionDep) -> StaffItem:
    """A new staff member (the PIN is argon2-hashed in this worker thread, never returned)."""
    return office_staff.add_staff(session, admin, body, now=_now())


@router.patch(
    "/staff/{staff_id}",
    response_model=StaffItem,
    responses=problems(401, 404, 413, 422),
    openapi_extra=body_schema(StaffPatch),
)
def change_staff(admin: AdminDep, staff_id: StaffId, body: StaffPatchBody, session: SessionDep) -> StaffItem:
    """Change any of name, role, store_id, pin, is_active."""
    return office_staff.change_staff(session, admin, staff_id, body, now=_now())
