"""GET /v1/health: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from server_stub.deps import DatabaseDep
from sync.protocol import Health

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["health"])


@router.get(
    "/health", response_model=Health, responses={503: {"model": Health, "description": "Database down"}}
)
def health(database: DatabaseDep) -> JSONResponse:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health: database unreachable (%s)", type(exc).__name__)
        body = Health(status="error", database="unreachable")
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Health(status="ok", database="ok").model_dump())
