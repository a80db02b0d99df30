"""Who may call the office API (admin tokens of the merchant only), the audit log, no secrets in logs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import update

from server_stub.app import create_app
from server_stub.config import Settings
from server_stub.db import create_database, migrate
from server_stub.models import AdminToken
from tests.server.conftest import Backend
from tests.server.factories import World, make_world
from tests.server.office_helpers import all_pages, assert_problem, office, ok_json
from tests.support.live_server import free_port

PIN = "86420135"
OFFICE_READS = ["summary", "rejections", "devices", "ledger.csv", "program", "staff", "audit"]


def office_writes(world: World) -> list[tuple[str, str, Any]]:
    till = world.tills[0]
    program = {"type": "stamps"}
    return [
        (
            "POST",
            "/v1/office/import",
            {"device_id": till.device_id, "transactions": [till.tx("stamp_earned", "X", 1)]},
        ),
        ("POST", f"/v1/office/devices/{till.device_id}/revoke", None),
        ("POST", "/v1/office/enrolment-codes", {"store_id": world.store_ids[0]}),
        ("PUT", "/v1/office/program", program),
        ("POST", "/v1/office/staff", {"name": "N", "role": "staff", "store_id": None, "pin": PIN}),
        ("PATCH", f"/v1/office/staff/{world.staff['staff0']}", {"name": "N"}),
    ]


def test_office_routes_without_a_token_or_with_a_device_or_unknown_token_are_401_invalid_token(
    world: World,
) -> None:
    callers = [world.client(), world.client(world.tills[0].token), world.client("not-a-token")]
    for client in callers:
        for path in OFFICE_READS:
            assert_problem(client.get(f"/v1/office/{path}"), 401, "invalid_token")
        for method, path, body in office_writes(world):
            assert_problem(client.request(method, path, json=body), 401, "invalid_token")
    # Nothing was done: the till still works and nothing was audited.
    assert world.tills[0].client.get("/v1/sync/pull").status_code == 200
    assert ok_json(office(world).get("/v1/office/audit"))["items"] == []


def test_a_revoked_admin_token_is_401_invalid_token(world: World) -> None:
    with world.database.session() as session, session.begin():
        session.execute(
            update(AdminToken)
            .where(AdminToken.merchant_id == world.merchant_id)
            .values(revoked_at=datetime.now(UTC))
        )
    assert_problem(office(world).get("/v1/office/program"), 401, "invalid_token")


def test_an_admin_token_on_device_routes_is_401_invalid_token(world: World) -> None:
    client = office(world)
    assert_problem(client.get("/v1/sync/pull"), 401, "invalid_token")
    till = world.tills[0]
    assert_problem(
        client.post(
            "/v1/sync/push",
            json={"transactions": [till.tx("stamp_earned", "X", 1)]},
            headers={"Idempotency-Key": "k"},
        ),
        401,
        "invalid_token",
    )
    assert_problem(client.get("/v1/cards/X"), 401, "invalid_token")


def test_the_audit_log_lists_every_office_write_newest_first_with_the_admin_as_actor(world: World) -> None:
    writes = office_writes(world)
    client = office(world)
    for method, path, body in writes[1:]:  # the import's tx is invalid; revoke first makes it moot
        assert client.request(method, path, json=body).status_code < 300
    pages = all_pages(client, "/v1/office/audit", limit=2)
    entries = [entry for page in pages for entry in page]
    assert [entry["action"] for entry in entries] == [
        "staff.update",
        "staff.create",
        "program.update",
        "enrolment_code.create",
        "device.revoke",
    ]
    assert {entry["actor"] for entry in entries} == {"head office"}
    assert all(set(entry) == {"at", "actor", "action", "target", "old", "new"} for entry in entries)
    assert [entry["at"] for entry in entries] == sorted((entry["at"] for entry in entries), reverse=True)


def test_the_server_log_never_holds_a_pin_a_token_or_an_enrolment_code(
    world: World, backend: Backend
) -> None:
    client = office(world)
    for method, path, body in office_writes(world)[1:]:
        assert client.request(method, path, json=body).status_code < 300
    code = ok_json(client.post("/v1/office/enrolment-codes", json={"store_id": world.store_ids[1]}), 201)[
        "enrolment_code"
    ]
    log = Path(backend.server.log_path).read_text(errors="replace")
    assert "office staff.create" in log  # office writes are logged...
    for secret in (PIN, world.admin_token, world.tills[0].token, world.tills[1].token, code):
        assert secret not in log  # ...without their secrets


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[tuple[httpx.Client, World]]:
    """The app served from a thread of this process (so caplog sees its logs) over a fresh SQLite file."""
    url = f"sqlite:///{tmp_path / 'office.db'}"
    database = create_database(url)
    migrate(database)
    app = create_app(Settings(database_url=url), database=database)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)  # readiness of a server has no event to wait on
    base = f"http://127.0.0.1:{server.config.port}"
    built = make_world(base, database)
    try:
        yield built.client(built.admin_token), built
    finally:
        built.close()
        server.should_exit = True
        thread.join(timeout=30)


def test_logs_of_office_writes_name_the_actor_but_never_a_pin_or_a_code(
    in_process: tuple[httpx.Client, World], caplog: pytest.LogCaptureFixture
) -> None:
    client, world = in_process
    caplog.set_level(logging.DEBUG, logger="server_stub")
    created = client.post(
        "/v1/office/staff", json={"name": "Eve", "role": "staff", "store_id": None, "pin": PIN}
    )
    assert created.status_code == 201, created.text
    patched = client.patch(f"/v1/office/staff/{created.json()['id']}", json={"pin": PIN[::-1]})
    assert patched.status_code == 200, patched.text
    code = client.post("/v1/office/enrolment-codes", json={"store_id": world.store_ids[0]}).json()[
        "enrolment_code"
    ]
    text = caplog.text
    assert "office staff.create on staff:" in text and "by head office" in text
    for secret in (PIN, PIN[::-1], code, world.admin_token, "argon2"):
        assert secret not in text
