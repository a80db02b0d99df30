"""POST /v1/sync/push and GET /v1/sync/pull."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from server_stub.deps import Credentials, DatabaseDep, DeviceDep, SessionDep, device_of
from server_stub.errors import ApiError
from server_stub.openapi import problems, request_body
from server_stub.routes.body import (
    load_json,
    parse_batch,
    read_body_within_limit,
    too_large,
)
from server_stub.routes.push_answer import checked_key, push_response
from server_stub.service.auth import touch_last_seen
from server_stub.service.pull import InvalidCursor, pull_page
from server_stub.service.push import PushOutcome, canonical_hash, handle_push
from sync.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    PullResponse,
    PushRequest,
    PushResponse,
)

router = APIRouter(prefix="/v1/sync", tags=["sync"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="The batch id: 1..255 printable ASCII characters."),
]


@router.post(
    "/push",
    response_model=PushResponse,
    responses=problems(400, 401, 409, 413, 422),
    openapi_extra=request_body("PushRequest"),
    summary="Push a batch of transactions (idempotent)",
)
async def push(
    request: Request,
    credentials: Credentials,
    database: DatabaseDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    # The body is read first, the rest on one worker thread, answering in this order:
    # 401 (token), 400 (Idempotency-Key), 413 (size), 422 (body).
    raw = await read_body_within_limit(request)
    in_flight = request.app.state.in_flight

    def apply() -> PushOutcome:
        device = device_of(database, credentials)
        key = checked_key(idempotency_key, required=True)
        assert key is not None
        if raw is None:
            raise too_large()
        batch = parse_batch(PushRequest, raw)
        return handle_push(
            database,
            device=device,
            key=key,
            # The strict parse too (422 for NaN in an unknown field): while the last rows are stored.
            request_hash=lambda: canonical_hash(load_json(raw)),
            batch=batch,
            in_flight=in_flight,
            clock=lambda: datetime.now(UTC),
        )

    return await push_response(apply)


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
