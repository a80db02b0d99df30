"""Reading request bodies ourselves: size limits first, then strict validation from the raw bytes."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from server_stub.errors import ApiError, invalid_request, validation_error
from sync.protocol import MAX_BODY_BYTES, ProblemError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

TOO_LARGE = "At most 1000 transactions and 1 MiB per request."


def too_large() -> ApiError:
    return ApiError(413, "payload_too_large", TOO_LARGE)


async def read_body(request: Request) -> bytes:
    """The raw body; 413 as soon as it is known to exceed 1 MiB (before parsing anything)."""
    raw = await read_body_within_limit(request)
    if raw is None:
        raise too_large()
    return raw


async def read_body_within_limit(request: Request) -> bytes | None:
    """The raw body, or None as soon as it is known to exceed 1 MiB (the rest is not read), for
    a route that answers other problems (a bad token, a bad header) before the 413."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        # The client went away mid-body (a till losing its line): nothing was read, nothing changes.
        log.info("client disconnected mid-body: %s %s", request.method, request.url.path)
        raise ApiError(400, "bad_request", "The request body was cut short.") from None
    return b"".join(chunks)


def load_json(raw: bytes) -> Any:
    """The body as a JSON value (orjson: strict UTF-8, no NaN or Infinity, no lone surrogates)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_request([ProblemError(loc="/", msg=f"malformed JSON: {exc}")]) from None


def parse_batch(model: type[M], raw: bytes, field: str = "transactions") -> M:
    """As `parse_model`, but more than 1000 items in `field` is 413, not 422 (a till should split
    the batch). The body is read once, by pydantic: the strict `load_json` (which the
    Idempotency-Key's hash needs) can wait for a moment the database keeps Python waiting."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(error["type"] == "too_long" and error["loc"] == (field,) for error in exc.errors()):
            raise too_large() from None
        raise validation_error(exc) from None


def parse_model(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_error(exc) from None
