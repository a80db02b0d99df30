"""OpenAPI document: request bodies we validate ourselves, and problem+json for every error."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from server_stub.office.params import BOUND_SCHEMA
from sync.protocol import PROBLEM_CONTENT_TYPE, AllowanceRequest, Problem, PushRequest, RegisterRequest

SCHEMA_REF = "#/components/schemas/{model}"
BODY_MODELS: tuple[type[BaseModel], ...] = (PushRequest, RegisterRequest, AllowanceRequest, Problem)
DESCRIPTIONS = {
    400: "Bad request: not valid HTTP (any operation), or a bad header or cursor",
    401: "Missing, unknown or revoked token",
    404: "Not found",
    409: "A request with this Idempotency-Key is in progress",
    413: "Payload too large",
    422: "Invalid request",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": DESCRIPTIONS.get(status, "Error")} for status in statuses}


def idempotency_key_parameter(*, required: bool) -> dict[str, Any]:
    """The Idempotency-Key header as documented (the routes read it themselves: a missing or bad
    key is 400, never FastAPI's 422)."""
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": required,
        "description": "The batch id: 1..255 printable ASCII characters (a UUID is recommended).",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
    }


def request_body(model_name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": SCHEMA_REF.format(model=model_name)}}},
        }
    }


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in BODY_MODELS:
            schema = model.model_json_schema(ref_template=SCHEMA_REF, mode="validation")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        _problem_content(document)
        _time_bounds(document)
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]


def _problem_content(document: dict[str, Any]) -> None:
    problem = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": SCHEMA_REF.format(model="Problem")}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            # A request that is not valid HTTP is 400 `bad_request` wherever it was going
            # (server_stub/http11.py), so every operation documents a 400.
            operation.setdefault("responses", {}).setdefault("400", {"description": DESCRIPTIONS[400]})
            for status, response in operation.get("responses", {}).items():
                if not str(status).isdigit() or int(status) < 400:
                    continue
                content = response.get("content", {})
                schema_ref = str(content.get("application/json", {}).get("schema", {}).get("$ref", ""))
                if not content or schema_ref.endswith("HTTPValidationError"):
                    response["content"] = problem
                    if int(status) == 422:
                        response["description"] = DESCRIPTIONS[422]


def _time_bounds(document: dict[str, Any]) -> None:
    """The office's `from` and `to`: an RFC 3339 date-time or a full-date (office/params.py parses
    exactly these formats)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] in ("from", "to"):
                    parameter["schema"] = dict(BOUND_SCHEMA)
