"""The live-server helpers other packages use: a seeded server that can be killed and restarted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer, live_server_postgres, live_server_sqlite  # noqa: F401


def test_live_server_serves_the_seeded_world_and_survives_a_kill_and_restart(
    live_server_sqlite: tuple[LiveServer, dict[str, Any]],  # noqa: F811
) -> None:
    server, world = live_server_sqlite
    token = world["merchants"][0]["devices"][0]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.url}/v1/sync/pull", headers=headers).status_code == 200
    server.kill()
    assert not server.running
    server.restart()
    assert httpx.get(f"{server.url}/v1/sync/pull", headers=headers).status_code == 200


@pytest.mark.postgres
def test_the_postgres_fixture_serves_a_seeded_world(
    live_server_postgres: tuple[LiveServer, dict[str, Any]],  # noqa: F811
) -> None:
    server, world = live_server_postgres
    token = world["merchants"][1]["devices"][0]["token"]
    response = httpx.get(f"{server.url}/v1/sync/pull", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["program"]["type"] == world["merchants"][1]["program"]["type"]
