"""What the push and the office import share: the Idempotency-Key rule and the answer's mapping."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from server_stub.errors import ApiError, invalid_request
from server_stub.service.batch import UnknownProgramVersion
from server_stub.service.push import KeyInProgress, KeyReused, PushOutcome
from sync.protocol import ProblemError


def checked_key(value: str | None, *, required: bool) -> str | None:
    """The Idempotency-Key header: 1..255 printable ASCII characters (400 otherwise)."""
    if value is None or value == "":
        if required:
            raise ApiError(400, "idempotency_key_missing", "The Idempotency-Key header is required.")
        return None
    if len(value) > 255 or any(not 0x20 <= ord(char) <= 0x7E for char in value):
        raise ApiError(400, "idempotency_key_invalid", "Idempotency-Key: 1..255 printable ASCII characters.")
    return value


async def push_response(apply: Callable[[], PushOutcome]) -> Response:
    """Run a push off the event loop and answer it, or map its expected failures to problems."""
    try:
        outcome = await run_in_threadpool(apply)
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
