"""The published OpenAPI document, checked by a third-party client (schemathesis) against the live server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server_stub.app import create_app
from server_stub.config import Settings
from tests.support.live_server import LiveServer, seed_demo, start_server

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{folder / 'server.db'}"
    world = seed_demo(url)
    server = start_server(url, log_path=folder / "server.log")
    try:
        yield server, world
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(seeded_server: tuple[LiveServer, dict[str, Any]]) -> Any:
    server, _ = seeded_server
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def test_the_openapi_document_lists_every_path_of_the_contract(
    seeded_server: tuple[LiveServer, dict[str, Any]],
) -> None:
    server, _ = seeded_server
    document = httpx.get(f"{server.url}/openapi.json").json()
    paths = document["paths"]
    assert {
        "/v1/devices/register",
        "/v1/sync/push",
        "/v1/sync/pull",
        "/v1/cards/{card_number}",
        "/v1/health",
    } <= set(paths)
    push = paths["/v1/sync/push"]["post"]
    assert push["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PushRequest")
    assert {"200", "400", "401", "409", "413", "422"} <= set(push["responses"])
    assert "application/problem+json" in push["responses"]["422"]["content"]
    tx = document["components"]["schemas"]["Tx"]
    assert "stamp_earned" in str(document["components"]["schemas"]["TransactionType"])
    assert {"id", "seq", "type", "card_number", "staff_id", "transaction_at"} <= set(tx["required"])


def _operations() -> list[tuple[str, str]]:
    """Every operation the app publishes (the office ones last: they may revoke the tills used here)."""
    app = create_app(Settings(database_url="sqlite://"))  # listing routes opens no connection
    found = [(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item]
    return sorted(found, key=lambda op: (op[1].startswith("/v1/office"), op[1], op[0]))


OPERATIONS = _operations()


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_server_answers_generated_requests_without_500s_and_as_documented(
    api_schema: Any,
    seeded_server: tuple[LiveServer, dict[str, Any]],
    method: str,
    path: str,
    mode: schemathesis.GenerationMode,
) -> None:
    if path == "/v1/health" and mode == schemathesis.GenerationMode.NEGATIVE:
        pytest.skip("health takes no input to make invalid")
    server, world = seeded_server
    merchant = world["merchants"][0]
    token = merchant["admin_token"] if path.startswith("/v1/office") else merchant["devices"][0]["token"]
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def call(case: Any) -> None:
        headers = dict(case.headers or {})
        headers.setdefault("Authorization", f"Bearer {token}")
        if mode == schemathesis.GenerationMode.POSITIVE and method == "POST":
            headers.setdefault(
                "Idempotency-Key", str(uuid.uuid4())
            )  # reach the batch engine, not only the 400
        case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)

    call()
