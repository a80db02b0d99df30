"""Head-office writes on tills and the program: revoke, enrolment codes, GET and PUT of the program."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.server.factories import World
from tests.server.office_helpers import another_merchant, assert_problem, csv_rows, office, ok_json


def audit_entries(world: World, action: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok_json(office(world).get("/v1/office/audit"))["items"]
    return [item for item in items if item["action"] == action]


def test_a_revoked_tills_next_request_is_401_device_revoked_and_its_ledger_stays(world: World) -> None:
    till = world.tills[0]
    card = world.new_card()
    till.push_ok([till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)])
    client = office(world)
    response = client.post(f"/v1/office/devices/{till.device_id}/revoke")
    assert (response.status_code, response.content) == (204, b"")
    assert_problem(
        till.push([till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)]),
        401,
        "device_revoked",
    )
    assert_problem(till.client.get("/v1/sync/pull"), 401, "device_revoked")
    assert_problem(till.client.get(f"/v1/cards/{card}"), 401, "device_revoked")
    devices = {d["device_id"]: d["revoked"] for d in ok_json(client.get("/v1/office/devices"))["items"]}
    assert devices == {till.device_id: True, world.tills[1].device_id: False}
    assert {row["device_id"] for row in csv_rows(client.get("/v1/office/ledger.csv"))} == {till.device_id}
    assert world.tills[1].client.get("/v1/sync/pull").status_code == 200


def test_revoking_twice_is_204_and_audited_once(world: World) -> None:
    till = world.tills[1]
    client = office(world)
    assert client.post(f"/v1/office/devices/{till.device_id}/revoke").status_code == 204
    assert client.post(f"/v1/office/devices/{till.device_id.upper()}/revoke").status_code == 204
    [entry] = audit_entries(world, "device.revoke")
    assert (entry["actor"], entry["target"], entry["old"]) == (
        "head office",
        f"device:{till.device_id}",
        {"revoked": False},
    )
    assert entry["new"]["revoked"] is True


def test_revoking_another_merchants_or_an_unknown_till_is_404_and_it_keeps_working(world: World) -> None:
    with another_merchant(world) as other:
        theirs = other.tills[0]
        assert_problem(office(world).post(f"/v1/office/devices/{theirs.device_id}/revoke"), 404, "not_found")
        assert_problem(office(world).post(f"/v1/office/devices/{uuid.uuid4()}/revoke"), 404, "not_found")
        assert theirs.client.get("/v1/sync/pull").status_code == 200
        assert audit_entries(world, "device.revoke") == []


def test_an_enrolment_code_enrols_one_new_till_at_that_store(world: World) -> None:
    west = world.store_ids[1]
    before = datetime.now(UTC)
    answer = ok_json(office(world).post("/v1/office/enrolment-codes", json={"store_id": west}), 201)
    assert set(answer) == {"enrolment_code", "expires_at"}
    assert datetime.fromisoformat(answer["expires_at"]) > before + timedelta(hours=1)
    register = {"enrolment_code": answer["enrolment_code"], "device_name": "Till 3"}
    with httpx.Client(base_url=world.url) as anonymous:
        enrolled = ok_json(anonymous.post("/v1/devices/register", json=register), 201)
        assert_problem(anonymous.post("/v1/devices/register", json=register), 401, "invalid_enrolment_code")
    assert (enrolled["store"]["id"], enrolled["merchant"]["id"]) == (west, world.merchant_id)
    devices = ok_json(office(world).get("/v1/office/devices", params={"store_id": west}))["items"]
    assert {(d["device_id"], d["name"]) for d in devices} == {
        (world.tills[1].device_id, "West till"),
        (enrolled["device_id"], "Till 3"),
    }


def test_an_enrolment_code_is_audited_without_the_code(world: World) -> None:
    north = world.store_ids[0]
    answer = ok_json(office(world).post("/v1/office/enrolment-codes", json={"store_id": north}), 201)
    [entry] = audit_entries(world, "enrolment_code.create")
    assert (entry["target"], entry["old"], entry["new"]["store_id"]) == (f"store:{north}", None, north)
    listing = office(world).get("/v1/office/audit").text
    assert answer["enrolment_code"] not in listing
    assert answer["enrolment_code"].replace("-", "") not in listing


def test_an_enrolment_code_for_another_merchants_store_or_a_bad_body_is_refused(world: World) -> None:
    client = office(world)
    with another_merchant(world) as other:
        assert_problem(
            client.post("/v1/office/enrolment-codes", json={"store_id": other.store_ids[0]}), 404, "not_found"
        )
    for body in ({}, {"store_id": str(world.store_ids[0])}, {"store_id": 0}, {"store_id": True}, []):
        assert_problem(client.post("/v1/office/enrolment-codes", json=body), 422, "invalid_request")
    assert audit_entries(world, "enrolment_code.create") == []


def test_the_office_program_is_the_program_tills_pull(world: World) -> None:
    program = ok_json(office(world).get("/v1/office/program"))
    pulled = ok_json(world.tills[0].client.get("/v1/sync/pull"))["program"]
    assert program == pulled
    assert program["version"] == 1


def new_fields(program: dict[str, Any], **changes: Any) -> dict[str, Any]:
    fields = {key: value for key, value in program.items() if key != "version"}
    fields.update(changes)
    return fields


def test_putting_the_program_stores_version_plus_one_and_tills_pull_it(world: World) -> None:
    client, till = office(world), world.tills[0]
    old = ok_json(client.get("/v1/office/program"))
    cursor = ok_json(till.client.get("/v1/sync/pull"))["cursor"]
    assert ok_json(till.client.get("/v1/sync/pull", params={"cursor": cursor}))["program"] is None
    fields = new_fields(
        old, points_per_currency_unit=20, rewards=[{"id": "cake", "name": "Cake", "points_cost": 300}]
    )
    new = ok_json(client.put("/v1/office/program", json=fields))
    assert new == dict(fields, version=old["version"] + 1)
    assert ok_json(client.get("/v1/office/program")) == new
    assert ok_json(till.client.get("/v1/sync/pull", params={"cursor": cursor}))["program"] == new


def test_transactions_citing_the_old_program_version_are_still_judged_by_it(world: World) -> None:
    client, till, staff = office(world), world.tills[0], world.staff["staff0"]
    old = ok_json(client.get("/v1/office/program"))
    ok_json(client.put("/v1/office/program", json=new_fields(old, points_per_currency_unit=20)))
    card = world.new_card()
    results = till.push_ok(
        [
            till.tx(
                "points_earned",
                card,
                staff,
                points_delta=50,
                purchase_amount_cents=500,
                program_version=old["version"],
            ),
            till.tx("points_earned", card, staff, points_delta=100, purchase_amount_cents=500),
        ]
    )
    assert [r["status"] for r in results] == ["accepted", "accepted"]


def test_a_program_change_is_audited_with_the_old_and_new_values(world: World) -> None:
    client = office(world)
    old = ok_json(client.get("/v1/office/program"))
    new = ok_json(client.put("/v1/office/program", json=new_fields(old, welcome_bonus_points=75, version=99)))
    assert new["version"] == old["version"] + 1
    [entry] = audit_entries(world, "program.update")
    assert (entry["actor"], entry["target"], entry["old"], entry["new"]) == (
        "head office",
        "program",
        old,
        new,
    )


def test_an_invalid_program_is_422_and_keeps_the_current_version(world: World) -> None:
    client = office(world)
    old = ok_json(client.get("/v1/office/program"))
    bad = [
        new_fields(old, type="bogus"),
        new_fields(old, stamps_target="10"),
        new_fields(old, stamps_target=0),
        new_fields(old, currency="euro"),
        new_fields(
            old,
            rewards=[{"id": "a", "name": "A", "points_cost": 1}, {"id": "a", "name": "B", "points_cost": 2}],
        ),
        {"stamps_target": 5},
    ]
    for body in bad:
        assert_problem(client.put("/v1/office/program", json=body), 422, "invalid_request")
    assert ok_json(client.get("/v1/office/program")) == old
    assert audit_entries(world, "program.update") == []


def test_concurrent_program_changes_each_get_their_own_version(world: World) -> None:
    old = ok_json(office(world).get("/v1/office/program"))
    bodies = [new_fields(old, welcome_bonus_points=bonus) for bonus in (10, 20, 30, 40)]
    clients = {body["welcome_bonus_points"]: office(world) for body in bodies}  # one connection each

    def put(body: dict[str, Any]) -> httpx.Response:
        return clients[body["welcome_bonus_points"]].put("/v1/office/program", json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(put, bodies))
    assert [answer.status_code for answer in answers] == [200] * 4
    versions = sorted(answer.json()["version"] for answer in answers)
    assert versions == [old["version"] + n for n in (1, 2, 3, 4)]
    assert ok_json(office(world).get("/v1/office/program"))["version"] == versions[-1]
    assert len(audit_entries(world, "program.update")) == 4
