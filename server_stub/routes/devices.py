"""POST /v1/devices/register: a till enrols with a one-time code."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from server_stub.db import Database
from server_stub.deps import DatabaseDep
from server_stub.errors import ApiError
from server_stub.openapi import problems, request_body
from server_stub.routes.body import load_json, parse_model, read_body
from server_stub.service.enrolment import InvalidEnrolmentCode, register_device
from sync.protocol import RegisterRequest, RegisterResponse

router = APIRouter(prefix="/v1/devices", tags=["devices"])


@router.post(
    "/register",
    status_code=201,
    response_model=RegisterResponse,
    responses=problems(401, 413, 422),
    openapi_extra=request_body("RegisterRequest"),
    summary="Enrol a till with a one-time code",
)
async def register(request: Request, database: DatabaseDep) -> JSONResponse:
    raw = await read_body(request)
    load_json(raw)
    payload = parse_model(RegisterRequest, raw)
    try:
        answer = await run_in_threadpool(_register, database, payload)
    except InvalidEnrolmentCode:
        raise ApiError(
            401, "invalid_enrolment_code", "This enrolment code is used, expired or unknown."
        ) from None
    return JSONResponse(answer.model_dump(mode="json"), status_code=201)


def _register(database: Database, payload: RegisterRequest) -> RegisterResponse:
    with database.session() as session, session.begin():
        return register_device(
            session, code=payload.enrolment_code, device_name=payload.device_name, now=datetime.now(UTC)
        )
