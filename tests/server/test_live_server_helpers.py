"""The live-server helpers other packages use: a seeded server that can be killed and restarted."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.live_server import LiveServer, live_server_sqlite  # noqa: F401


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
