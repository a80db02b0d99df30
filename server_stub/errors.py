"""Problem+json errors (RFC 9457) with the protocol's machine codes, and the app's handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from sync.protocol import PROBLEM_CONTENT_TYPE, Problem, ProblemError

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Invalid request",
    500: "Internal server error",
    503: "Service unavailable",
}


class ApiError(Exception):
    """An expected failure answered as problem+json; nothing was changed."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: Sequence[ProblemError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})


def invalid_request(errors: Sequence[ProblemError], detail: str = "The request is not valid.") -> ApiError:
    return ApiError(422, "invalid_request", detail, errors=errors)


def problem_response(error: ApiError) -> JSONResponse:
    problem = Problem(
        title=TITLES.get(error.status, "Error"),
        status=error.status,
        detail=error.detail,
        code=error.code,
        errors=error.errors,
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=error.status,
        headers=error.headers,
        media_type=PROBLEM_CONTENT_TYPE,
    )


def json_pointer(loc: Iterable[Any]) -> str:
    """A pydantic error location as a JSON pointer, e.g. /transactions/3/points_delta."""
    parts = [str(part) for part in loc if part not in ("body",)]
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def errors_from_pydantic(
    errors: Iterable[Mapping[str, Any]], *, drop_first: bool = False
) -> list[ProblemError]:
    result = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if drop_first and loc:
            loc = loc[1:]
        result.append(ProblemError(loc=json_pointer(loc), msg=str(error.get("msg", "invalid"))))
    return result


def validation_error(exc: ValidationError) -> ApiError:
    return invalid_request(errors_from_pydantic(exc.errors(include_url=False, include_input=False)))


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's own 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is Match.PARTIAL:
            methods |= route.methods
    return sorted(methods)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Query, path and header parameters: the location's first part is where it came from.
        errors = [
            ProblemError(loc=json_pointer(e.get("loc", ())), msg=str(e.get("msg", "invalid")))
            for e in exc.errors()
        ]
        return problem_response(invalid_request(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return problem_response(ApiError(404, "not_found", "No such resource."))
        if exc.status_code == 405:
            allow = {"Allow": ", ".join(allowed_methods(request))}
            return problem_response(
                ApiError(405, "method_not_allowed", "This method is not allowed here.", headers=allow)
            )
        code = "payload_too_large" if exc.status_code == 413 else "http_error"
        return problem_response(ApiError(exc.status_code, code, str(exc.detail)))

    @app.exception_handler(OperationalError)
    async def _database_unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return problem_response(
            ApiError(
                503,
                "database_unavailable",
                "The database is busy or unreachable; try again.",
                headers={"Retry-After": "1"},
            )
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error: %s", type(exc).__name__)
        return problem_response(ApiError(500, "internal_error", "The server failed; try again later."))
