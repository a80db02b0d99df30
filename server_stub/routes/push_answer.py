"""What the push and the office import share: the Idempotency-Key rule and the outcome's HTTP answer."""

from __future__ import annotations

from fastapi import Response

from server_stub.errors import ApiError, invalid_request
from server_stub.service.push import PushOutcome, PushStatus
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


def push_response(outcome: PushOutcome) -> Response:
    """The outcome as the contract answers it: 200 with the results, or the problem."""
    if outcome.status is PushStatus.IN_PROGRESS:
        raise ApiError(
            409,
            "request_in_progress",
            "A request with this Idempotency-Key is running.",
            headers={"Retry-After": "1"},
        )
    if outcome.status is PushStatus.KEY_REUSED:
        raise ApiError(422, "idempotency_key_reused", "This Idempotency-Key was used with another body.")
    if outcome.status is PushStatus.UNKNOWN_VERSION:
        assert outcome.unknown_version is not None
        index, version = outcome.unknown_version
        problem = ProblemError(
            loc=f"/transactions/{index}/program_version", msg=f"program version {version} is unknown"
        )
        raise invalid_request([problem])
    headers = {"Idempotent-Replayed": "true"} if outcome.status is PushStatus.REPLAYED else {}
    return Response(content=outcome.body, media_type="application/json", headers=headers)
