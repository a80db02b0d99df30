"""Head office manages staff: list, create, change; tills pull the changes; audited without PINs."""

from __future__ import annotations

from typing import Any

from sync.pins import verify_pin
from tests.server.factories import World
from tests.server.office_helpers import all_pages, another_merchant, assert_problem, office, ok_json

SECRET_PIN = "73915482"


def pulled_staff(world: World, till_index: int = 0, cursor: str | None = None) -> tuple[Any, str]:
    params = {"cursor": cursor} if cursor else {}
    page = ok_json(world.tills[till_index].client.get("/v1/sync/pull", params=params))
    return page["staff"], page["cursor"]


def test_the_staff_list_shows_every_member_without_pins(world: World) -> None:
    items = ok_json(office(world).get("/v1/office/staff"))["items"]
    assert [item["id"] for item in items] == sorted(world.staff.values())
    owner = next(item for item in items if item["id"] == world.staff["owner"])
    assert owner == {
        "id": world.staff["owner"],
        "name": "owner",
        "role": "merchant_owner",
        "store_id": None,
        "is_active": True,
    }
    assert all(set(item) == {"id", "name", "role", "store_id", "is_active"} for item in items)


def test_the_staff_list_pages(world: World) -> None:
    pages = all_pages(office(world), "/v1/office/staff", limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [item["id"] for page in pages for item in page] == sorted(world.staff.values())


def test_a_new_staff_member_is_201_and_tills_of_that_store_pull_them_with_a_hash_of_the_pin(
    world: World,
) -> None:
    _, north_cursor = pulled_staff(world, 0)
    _, west_cursor = pulled_staff(world, 1)
    body = {"name": "Dana", "role": "store_manager", "store_id": world.store_ids[0], "pin": SECRET_PIN}
    created = ok_json(office(world).post("/v1/office/staff", json=body), 201)
    assert created == {
        "id": created["id"],
        "name": "Dana",
        "role": "store_manager",
        "store_id": world.store_ids[0],
        "is_active": True,
    }
    staff, _ = pulled_staff(world, 0, north_cursor)
    [dana] = [member for member in staff if member["id"] == created["id"]]
    assert verify_pin(dana["pin_hash"], SECRET_PIN)
    west_staff, _ = pulled_staff(world, 1, west_cursor)
    assert created["id"] not in {member["id"] for member in west_staff or []}


def test_a_staff_change_is_applied_and_tills_pull_the_new_list(world: World) -> None:
    staff_id = world.staff["staff0"]
    _, cursor = pulled_staff(world)
    assert pulled_staff(world, 0, cursor)[0] is None
    patch = {"name": "Sam", "role": "store_manager", "pin": SECRET_PIN, "is_active": False}
    changed = ok_json(office(world).patch(f"/v1/office/staff/{staff_id}", json=patch))
    assert changed == {
        "id": staff_id,
        "name": "Sam",
        "role": "store_manager",
        "store_id": world.store_ids[0],
        "is_active": False,
    }
    staff, _ = pulled_staff(world, 0, cursor)
    [sam] = [member for member in staff if member["id"] == staff_id]
    assert (sam["name"], sam["is_active"]) == ("Sam", False)
    assert verify_pin(sam["pin_hash"], SECRET_PIN)


def test_a_staff_member_moved_to_merchant_wide_or_to_another_store(world: World) -> None:
    client, staff_id = office(world), world.staff["staff0"]
    assert ok_json(client.patch(f"/v1/office/staff/{staff_id}", json={"store_id": None}))["store_id"] is None
    assert (
        ok_json(client.patch(f"/v1/office/staff/{staff_id}", json={"store_id": world.store_ids[1]}))[
            "store_id"
        ]
        == world.store_ids[1]
    )
    unchanged = ok_json(client.patch(f"/v1/office/staff/{staff_id}", json={}))
    assert (unchanged["store_id"], unchanged["name"]) == (world.store_ids[1], "staff0")


def test_staff_writes_are_audited_with_old_and_new_values_and_pins_only_as_changed(world: World) -> None:
    client, staff_id = office(world), world.staff["staff1"]
    created = ok_json(
        client.post(
            "/v1/office/staff", json={"name": "Lee", "role": "staff", "store_id": None, "pin": SECRET_PIN}
        ),
        201,
    )
    ok_json(client.patch(f"/v1/office/staff/{staff_id}", json={"name": "Kim", "pin": SECRET_PIN}))
    response = client.get("/v1/office/audit")
    update, create = ok_json(response)["items"][:2]
    assert (create["action"], create["target"], create["actor"], create["old"]) == (
        "staff.create",
        f"staff:{created['id']}",
        "head office",
        None,
    )
    assert create["new"] == {
        "name": "Lee",
        "role": "staff",
        "store_id": None,
        "is_active": True,
        "pin": "changed",
    }
    assert (update["action"], update["target"]) == ("staff.update", f"staff:{staff_id}")
    assert (update["old"], update["new"]) == (
        {"name": "staff1", "pin": "changed"},
        {"name": "Kim", "pin": "changed"},
    )
    assert SECRET_PIN not in response.text and "argon2" not in response.text


def test_staff_and_stores_of_another_merchant_are_404_and_nothing_changes(world: World) -> None:
    client = office(world)
    with another_merchant(world) as other:
        theirs = other.staff["staff0"]
        assert_problem(client.patch(f"/v1/office/staff/{theirs}", json={"name": "Hacked"}), 404, "not_found")
        assert_problem(client.patch("/v1/office/staff/2000000000", json={"name": "Nobody"}), 404, "not_found")
        mine = world.staff["staff0"]
        assert_problem(
            client.patch(f"/v1/office/staff/{mine}", json={"store_id": other.store_ids[0]}), 404, "not_found"
        )
        body = {"name": "Mole", "role": "staff", "store_id": other.store_ids[0], "pin": "1234"}
        assert_problem(client.post("/v1/office/staff", json=body), 404, "not_found")
        names = {item["name"] for item in ok_json(office(other).get("/v1/office/staff"))["items"]}
        assert "Hacked" not in names
    items = ok_json(client.get("/v1/office/staff"))["items"]
    assert "Mole" not in {item["name"] for item in items}
    assert next(item for item in items if item["id"] == mine)["store_id"] == world.store_ids[0]


def test_invalid_staff_bodies_are_422(world: World) -> None:
    client = office(world)
    good = {"name": "Pat", "role": "staff", "store_id": None, "pin": "1234"}
    for changes in (
        {"pin": "123"},
        {"pin": "123456789"},
        {"pin": "12a4"},
        {"pin": 1234},
        {"role": "boss"},
        {"name": ""},
        {"name": "a\u0000b"},
        {"store_id": 0},
    ):
        assert_problem(client.post("/v1/office/staff", json=dict(good, **changes)), 422, "invalid_request")
    assert_problem(
        client.post("/v1/office/staff", json={"name": "Pat", "role": "staff", "pin": "1234"}),
        422,
        "invalid_request",
    )
    staff_id = world.staff["staff0"]
    for patch in ({"pin": "12"}, {"is_active": "no"}, {"role": 3}):
        assert_problem(client.patch(f"/v1/office/staff/{staff_id}", json=patch), 422, "invalid_request")
    assert_problem(client.patch("/v1/office/staff/0", json={}), 422, "invalid_request")
    assert len(ok_json(client.get("/v1/office/staff"))["items"]) == 5
