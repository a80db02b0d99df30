"""POST /v1/sync/push and GET /v1/sync/pull."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from server_stub.deps import DatabaseDep, DeviceDep, SessionDep
from server_stub.errors import ApiError, invalid_request
from server_stub.openapi import problems, request_body
from server_stub.routes.body import check_batch_size, load_json, parse_model, read_body
from server_stub.service.auth import touch_last_seen
from server_stub.service.batch import UnknownProgramVersion
from server_stub.service.pull import InvalidCursor, pull_page
from server_stub.service.push import KeyInProgress, KeyReused, canonical_hash, handle_push
from sync.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    ProblemError,
    PullResponse,
    PushRequest,
    PushResponse,
)

router = APIRouter(prefix="/v1/sync", tags=["sync"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="The batch id: 1..255 printable ASCII characters."),
]


def _checked_key(value: str | None) -> str:
    if value is None or value == "":
        raise ApiError(400, "idempotency_key_missing", "The Idempotency-Key header is required.")
    if len(value) > 255 or any(not 0x20 <= ord(char) <= 0x7E for char in value):
        raise ApiError(400, "idempotency_key_invalid", "Idempotency-Key: 1..255 printable ASCII characters.")
    return value


@router.post(
    "/push",
    response_model=PushResponse,
    responses=problems(400, 401, 409, 413, 422),
    openapi_extra=request_body("PushRequest"),
    summary="Push a batch of transactions (idempotent)",
)
async def push(
    request: Request,
    device: DeviceDep,
    database: DatabaseDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    key = _checked_key(idempotency_key)
    raw = await read_body(request)
    value = load_json(raw)
    check_batch_size(value)
    batch = parse_model(PushRequest, raw)
    try:
        outcome = await run_in_threadpool(
            handle_push,
            database,
            device=device,
            key=key,
            request_hash=canonical_hash(value),
            batch=batch,
            in_flight=request.app.state.in_flight,
            clock=lambda: datetime.now(UTC),
        )
    except KeyInProgress:
        raise ApiError(
            409,
            "request_in_progress",
            "A request with this Idempotency-Key is running.",
            headers={"Retry-After": "1"},
        ) from None
    except KeyReused:
        raise ApiError(
            422, "idempotency_key_reused", "This Idempotency-Key was used with another body."
        ) from None
    except UnknownProgramVersion as exc:
        raise invalid_request(
            [ProblemError(loc=f"/transactions/{exc.index}/program_version", msg=str(exc))]
        ) from None
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return Response(content=outcome.body, media_type="application/json", headers=headers)


@router.get(
    "/pull",
    response_model=PullResponse,
    responses=problems(400, 401, 422),
    summary="Program, staff and cards changed since the cursor",
)
def pull(
    device: DeviceDep,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
) -> PullResponse:
    touch_last_seen(session, device.device_id, now=datetime.now(UTC))
    try:
        return pull_page(session, device=device, cursor=cursor, limit=limit)
    except InvalidCursor:
        raise ApiError(400, "invalid_cursor", "This cursor was not issued by this server.") from None
