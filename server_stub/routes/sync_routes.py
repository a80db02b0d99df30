"""POST /v1/sync/push and GET /v1/sync/pull."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from server_stub.deps import Credentials, DatabaseDep, DeviceDep, SessionDep, device_of
from server_stub.errors import ApiError
from server_stub.openapi import idempotency_key_parameter, problems, request_body
from server_stub.routes.body import (
    load_json,
    parse_batch,
    parse_model,
    read_body_within_limit,
    too_large,
)
from server_stub.routes.push_answer import checked_key, push_response
from server_stub.service.allowances import sync_allowances
from server_stub.service.auth import touch_last_seen
from server_stub.service.pull import InvalidCursor, pull_page
from server_stub.service.push import PushOutcome, canonical_hash, push_batch
from sync.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    AllowanceRequest,
    AllowanceResponse,
    PullResponse,
    PushRequest,
    PushResponse,
)

router = APIRouter(prefix="/v1/sync", tags=["sync"])

# Documented by `idempotency_key_parameter` (required), read here as optional: a missing key is 400.
IdempotencyKeyHeader = Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False)]


@router.post(
    "/push",
    response_model=PushResponse,
    responses=problems(400, 401, 409, 413, 422),
    openapi_extra={**request_body("PushRequest"), "parameters": [idempotency_key_parameter(required=True)]},
    summary="Push a batch of transactions (idempotent)",
)
async def push(
    request: Request,
    credentials: Credentials,
    database: DatabaseDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """The body is read first, the rest on a worker thread, answering problems in this order:
    401 (token), 400 (Idempotency-Key), 413 (size), 422 (body); then the push path itself."""
    raw = await read_body_within_limit(request)
    in_flight = request.app.state.in_flight

    def authenticate_and_push() -> PushOutcome:
        device = device_of(database, credentials)
        key = checked_key(idempotency_key, required=True)
        assert key is not None
        if raw is None:
            raise too_large()
        batch = parse_batch(PushRequest, raw)
        return push_batch(
            database,
            in_flight,
            device=device,
            key=key,
            request_hash=canonical_hash(load_json(raw)),
            txs=batch.transactions,
            clock=lambda: datetime.now(UTC),
        )

    return push_response(await run_in_threadpool(authenticate_and_push))


@router.post(
    "/allowances",
    response_model=AllowanceResponse,
    responses=problems(400, 401, 413, 422),
    openapi_extra=request_body("AllowanceRequest"),
    summary="Release ended allowances; renew, top up and grant (protocol v1.1, docs/allowances.md)",
)
async def allowances(request: Request, credentials: Credentials, database: DatabaseDep) -> AllowanceResponse:
    raw = await read_body_within_limit(request)

    def authenticate_and_sync() -> AllowanceResponse:
        device = device_of(database, credentials)
        if raw is None:
            raise too_large()
        body = parse_model(AllowanceRequest, raw)
        with database.session() as session, session.begin():
            return sync_allowances(
                session,
                database.backend,
                device,
                recorded_seq=body.recorded_seq,
                till_time=body.till_time,
                now=datetime.now(UTC),
            )

    return await run_in_threadpool(authenticate_and_sync)


@router.get(
    "/pull",
    response_model=PullResponse,
    responses=problems(400, 401, 422),
    summary="Program, staff and cards changed since the cursor",
)
def pull(
    request: Request,
    device: DeviceDep,
    session: SessionDep,
    cursor: Annotated[
        str | None, Query(description="The cursor of the last page (opaque; one not issued here is 400).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
) -> PullResponse:
    touch_last_seen(session, device.device_id, now=datetime.now(UTC))
    try:
        client = request.headers.get("user-agent")  # the till's version, for head office's tills page
        return pull_page(session, device=device, cursor=cursor, limit=limit, client=client)
    except InvalidCursor:
        raise ApiError(400, "invalid_cursor", "This cursor was not issued by this server.") from None
