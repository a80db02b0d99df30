"""The till's HTTP client for sync protocol v1: httpx underneath, typed SyncErrors on failure."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import version
from types import TracebackType
from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sync.errors import AuthFailed, EnrolmentRefused, Offline, ProtocolError
from sync.protocol import (
    AllowanceRequest,
    AllowanceResponse,
    CardDetail,
    PullResponse,
    PushRequest,
    PushResponse,
    RegisterRequest,
    RegisterResponse,
    Tx,
    first_unmatched,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"loyalty-till/{version('loyalty-till')} (sync protocol 1)"
_M = TypeVar("_M", bound=BaseModel)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class ServerClock:
    """The server's time as its last answer's `Date` header gave it, and this process's monotonic
    clock at that moment: the server's time now is estimated without asking again."""

    server_time: datetime
    monotonic_at: float

    def offset(self, till_now: datetime, *, monotonic_now: float | None = None) -> float:
        """Seconds the till's clock is ahead of the server's (negative: behind)."""
        elapsed = (time.monotonic() if monotonic_now is None else monotonic_now) - self.monotonic_at
        return (till_now - self.server_time).total_seconds() - elapsed


def server_clock_of(response: httpx.Response) -> ServerClock | None:
    """The reading of an answer's `Date` header (RFC 9110 requires it of servers with a clock)."""
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return ServerClock(server_time=moment, monotonic_at=time.monotonic())


def push_body(batch: Sequence[Tx]) -> bytes:
    """The push request body; the same batch always gives the same bytes."""
    return PushRequest.model_construct(transactions=list(batch)).model_dump_json().encode()


class SyncClient:
    """One till's connection to the server. The token goes only into the Authorization header."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.server_clock: ServerClock | None = None  # from the last answer that had a Date
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        )

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"SyncClient({self.base_url!r})"

    # --- the protocol's calls ---------------------------------------------------------------

    def register(self, code: str, device_name: str) -> RegisterResponse:
        body = RegisterRequest(enrolment_code=code, device_name=device_name).model_dump_json()
        try:
            response = self._send("POST", "/v1/devices/register", content=body.encode())
        except AuthFailed as error:
            raise EnrolmentRefused(
                "The enrolment code is unknown, already used or expired. Ask head office for a new one."
            ) from error
        return _parse(response, RegisterResponse)

    def push(self, batch: Sequence[Tx], idempotency_key: str) -> PushResponse:
        response = self._send(
            "POST",
            "/v1/sync/push",
            content=push_body(batch),
            headers={"Idempotency-Key": idempotency_key},
        )
        answer = _parse(response, PushResponse)
        if not _answers_match(batch, answer):
            raise ProtocolError(
                status=response.status_code,
                code="bad_answer",
                detail=f"{len(answer.results)} results do not answer the {len(batch)} transactions sent",
            )
        return answer

    def pull(self, cursor: str | None, limit: int) -> PullResponse:
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        return _parse(self._send("GET", "/v1/sync/pull", params=params), PullResponse)

    def allowances(self, request: AllowanceRequest) -> AllowanceResponse | None:
        """This till's allowances, released, renewed and granted (protocol v1.1), or None from a
        server that has no such endpoint (a v1 server: 404 or 405)."""
        try:
            response = self._send("POST", "/v1/sync/allowances", content=request.model_dump_json().encode())
        except ProtocolError as error:
            if error.status in (404, 405):
                return None
            raise
        return _parse(response, AllowanceResponse)

    def card(self, number: str) -> CardDetail | None:
        """A card's server state and latest transactions, or None when the server does not know it."""
        try:
            response = self._send("GET", f"/v1/cards/{number}")
        except ProtocolError as error:
            if error.code == "unknown_card":
                return None
            raise
        return _parse(response, CardDetail)

    # --- plumbing ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, str | int] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if content is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, path, content=content, params=params, headers=all_headers)
        except httpx.TimeoutException as error:
            log.info("%s %s timed out after %.1f s", method, path, self.timeout)
            raise Offline(f"The server did not answer in {self.timeout:g} s.", timed_out=True) from error
        except httpx.TransportError as error:
            log.info("%s %s failed: %s", method, path, type(error).__name__)
            raise Offline(f"Cannot reach the server ({type(error).__name__}).") from error
        self.server_clock = server_clock_of(response) or self.server_clock
        _raise_for_status(method, path, response)
        return response


def _answers_match(batch: Sequence[Tx], answer: PushResponse) -> bool:
    """One result per transaction, in request order."""
    if len(answer.results) != len(batch):
        return False
    return first_unmatched(batch, [r.id for r in answer.results]) is None


def _raise_for_status(method: str, path: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    code, detail = _problem(response)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    log.info("%s %s answered %d %s", method, path, status, code)
    if status >= 500 or status == 429 or (status == 409 and code == "request_in_progress"):
        raise Offline(f"The server is busy or unavailable ({status}).", retry_after=retry_after)
    if status == 401:
        raise AuthFailed(code, _auth_message(code))
    raise ProtocolError(status=status, code=code, detail=detail)


def _auth_message(code: str) -> str:
    if code == "device_revoked":
        return "Head office revoked this till. Ask them to enrol it again."
    return "The server does not know this till's token. Ask head office to enrol it again."


def _problem(response: httpx.Response) -> tuple[str, str]:
    """The (code, detail) of a problem answer; tolerant of servers that answer something else."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return "http_" + str(response.status_code), response.reason_phrase
    if not isinstance(body, dict):
        return "http_" + str(response.status_code), response.reason_phrase
    code = body.get("code")
    detail = body.get("detail")
    return (
        code if isinstance(code, str) else "http_" + str(response.status_code),
        detail if isinstance(detail, str) else response.reason_phrase,
    )


def _parse(response: httpx.Response, model: type[_M]) -> _M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        raise ProtocolError(
            status=response.status_code,
            code="bad_answer",
            detail=f"the answer is not a valid {model.__name__} ({error.error_count()} errors)",
        ) from error
