"""The published OpenAPI document, checked by a third-party client (schemathesis) against the live server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer, seed_demo, start_server


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


CONFIG = Path(__file__).with_name("schemathesis.toml")
# The office operations last: they may revoke the till or change the program the others use.
RUNS = {"tills": "^/v1/(sync|cards|devices|health)", "office": "^/v1/office/"}


@pytest.mark.parametrize("run", list(RUNS))
def test_a_third_party_client_finds_the_server_as_its_document_says_with_every_check(
    seeded_server: tuple[LiveServer, dict[str, Any]], run: str, tmp_path: Path
) -> None:
    """Schemathesis's CLI with `--checks all` and every phase (stateful links included); the only
    exceptions are those schemathesis.toml names, each decided by the contract itself."""
    server, world = seeded_server
    merchant = world["merchants"][0]
    token = merchant["admin_token"] if run == "office" else merchant["devices"][0]["token"]
    env = {**os.environ, "LOYALTY_TOKEN": token, "NO_COLOR": "1"}
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "all",
        "--include-path-regex",
        RUNS[run],
    ]
    result = subprocess.run(  # noqa: S603 (our own virtualenv's schemathesis)
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    assert "Authentication failed" not in result.stdout
