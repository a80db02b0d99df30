"""Enrolment codes, device and admin tokens, revocation, and the health check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from server_stub.models import Device, EnrolmentCode
from server_stub.security import token_hash
from server_stub.service.enrolment import create_enrolment_code
from tests.server.conftest import Backend
from tests.server.factories import World


def new_code(world: World, *, lifetime: timedelta = timedelta(hours=24)) -> str:
    with world.database.session() as session, session.begin():
        code, expires_at = create_enrolment_code(
            session, world.merchant_id, world.store_ids[1], now=datetime.now(UTC), lifetime=lifetime
        )
    assert expires_at > datetime.now(UTC) - timedelta(seconds=5) or lifetime < timedelta(0)
    return code


def test_an_enrolment_code_registers_one_till_at_its_store_and_works_once(world: World) -> None:
    code = new_code(world)
    client = world.client()
    response = client.post("/v1/devices/register", json={"enrolment_code": code, "device_name": "Till 2"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["store"]["id"] == world.store_ids[1]
    assert body["store"]["timezone"] == "America/Los_Angeles"
    assert body["merchant"]["id"] == world.merchant_id
    assert body["device_id"] == body["device_id"].lower()
    pulled = world.client(body["token"]).get("/v1/sync/pull")
    assert pulled.status_code == 200
    assert pulled.json()["store"]["id"] == world.store_ids[1]
    again = client.post("/v1/devices/register", json={"enrolment_code": code, "device_name": "Till 3"})
    assert (again.status_code, again.json()["code"]) == (401, "invalid_enrolment_code")


def test_expired_and_unknown_enrolment_codes_are_401(world: World) -> None:
    expired = new_code(world, lifetime=timedelta(seconds=-1))
    client = world.client()
    for code in (expired, "NOPE-NOPE-NOPE"):
        response = client.post("/v1/devices/register", json={"enrolment_code": code, "device_name": "T"})
        assert (response.status_code, response.json()["code"]) == (401, "invalid_enrolment_code")


def test_tokens_are_stored_only_as_hashes(world: World) -> None:
    till = world.tills[0]
    with world.database.session() as session:
        device = session.get_one(Device, till.device_id)
        codes = session.execute(select(EnrolmentCode.code_hash)).scalars().all()
    assert device.token_hash == token_hash(till.token)
    assert till.token not in device.token_hash
    assert all(len(code) == 64 for code in codes)


def test_missing_unknown_and_admin_tokens_are_401_on_sync_routes(world: World) -> None:
    for client in (world.client(), world.client("not-a-token"), world.client(world.admin_token)):
        for response in (client.get("/v1/sync/pull"), client.get("/v1/cards/X-1")):
            assert (response.status_code, response.json()["code"]) == (401, "invalid_token")


def test_a_bad_token_on_push_is_401_whatever_is_wrong_with_the_key_or_the_body(world: World) -> None:
    good = {"transactions": [world.tills[0].tx("stamp_earned", "X-1", world.staff["staff0"], stamps_delta=1)]}
    for client in (world.client(), world.client("not-a-token"), world.client(world.admin_token)):
        answers = [
            client.post("/v1/sync/push", json=good, headers={"Idempotency-Key": "k1"}),
            client.post("/v1/sync/push", json=good),  # no Idempotency-Key
            client.post("/v1/sync/push", content=b"{", headers={"Idempotency-Key": "k2"}),
            client.post("/v1/sync/push", json={"transactions": []}, headers={"Idempotency-Key": "k3"}),
            client.post(
                "/v1/sync/push",
                json={"transactions": [good["transactions"][0]] * 1001},
                headers={"Idempotency-Key": "k4"},
            ),
        ]
        assert [(r.status_code, r.json()["code"]) for r in answers] == [(401, "invalid_token")] * 5


def test_a_revoked_device_is_401_device_revoked_at_once(world: World) -> None:
    till = world.tills[0]
    assert till.client.get("/v1/sync/pull").status_code == 200
    with world.database.session() as session, session.begin():
        session.execute(
            update(Device).where(Device.id == till.device_id).values(revoked_at=datetime.now(UTC))
        )
    response = till.client.get("/v1/sync/pull")
    assert (response.status_code, response.json()["code"]) == (401, "device_revoked")
    pushed = till.client.post("/v1/sync/push", content=b"not json", headers={"Idempotency-Key": "k"})
    assert (pushed.status_code, pushed.json()["code"]) == (401, "device_revoked")


def test_health_answers_ok_when_the_database_is_up(backend: Backend) -> None:
    import httpx

    response = httpx.get(f"{backend.server.url}/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
