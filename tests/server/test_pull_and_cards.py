"""GET /v1/sync/pull (paging, cursors, what changed) and GET /v1/cards/{card_number}."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import update

from server_stub.models import Staff
from server_stub.service.changes import next_change_number
from server_stub.service.world import create_staff
from sync.protocol import Role
from tests.server.factories import World


def pull_all(
    client: httpx.Client, cursor: str | None = None, limit: int = 500
) -> tuple[list[dict[str, Any]], str]:
    cards: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/v1/sync/pull", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        cards += page["cards"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return cards, cursor


def test_a_first_pull_sends_store_program_staff_and_every_card_in_pages(world: World) -> None:
    numbers = {world.new_card(points=i) for i in range(5)}
    client = world.tills[0].client
    first = client.get("/v1/sync/pull", params={"limit": 2}).json()
    assert first["store"] == {"id": world.store_ids[0], "name": "North", "timezone": "Europe/Dublin"}
    assert first["program"]["version"] == 1 and first["program"]["type"] == "hybrid"
    assert first["program"]["pin_max_attempts"] == 5
    assert {s["name"] for s in first["staff"]} == {"owner", "manager0", "staff0"}
    assert all(s["pin_hash"].startswith("$argon2") for s in first["staff"])
    assert first["has_more"] is True and len(first["cards"]) == 2
    second = client.get("/v1/sync/pull", params={"limit": 2, "cursor": first["cursor"]}).json()
    assert second["program"] is None and second["staff"] is None
    rest, _ = pull_all(client, second["cursor"], limit=2)
    pulled = first["cards"] + second["cards"] + rest
    assert {c["card_number"] for c in pulled} == numbers
    assert len(pulled) == len(numbers)
    assert set(pulled[0]) == {
        "card_number",
        "customer_name",
        "stamp_count",
        "points_balance",
        "is_active",
        "updated_at",
    }


def test_a_pull_with_a_cursor_sends_only_what_changed_since(world: World) -> None:
    till = world.tills[0]
    quiet, busy = world.new_card(), world.new_card()
    _, cursor = pull_all(till.client)
    till.push_ok([till.tx("stamp_earned", busy, world.staff["staff0"], stamps_delta=1)])
    cards, cursor = pull_all(till.client, cursor)
    assert [(c["card_number"], c["stamp_count"]) for c in cards] == [(busy, 1)]
    assert quiet not in {c["card_number"] for c in cards}
    again, _ = pull_all(till.client, cursor)
    assert again == []


def test_staff_changes_resend_the_full_staff_list_including_inactive_members(world: World) -> None:
    client = world.tills[0].client
    _, cursor = pull_all(client)
    with world.database.session() as session, session.begin():
        change = next_change_number(session, world.merchant_id)
        session.execute(
            update(Staff).where(Staff.id == world.staff["staff0"]).values(is_active=False, change_no=change)
        )
        create_staff(
            session,
            merchant_id=world.merchant_id,
            name="elsewhere",
            role=Role.STAFF,
            store_id=world.store_ids[1],
            pin="4321",
            now=datetime.now(UTC),
        )
    page = client.get("/v1/sync/pull", params={"cursor": cursor}).json()
    staff = {s["name"]: s for s in page["staff"]}
    assert set(staff) == {"owner", "manager0", "staff0"}
    assert staff["staff0"]["is_active"] is False
    assert page["program"] is None


def test_a_cursor_the_server_did_not_issue_is_400(world: World) -> None:
    from tests.server.factories import make_world

    client = world.tills[0].client
    _, cursor = pull_all(client)
    other = make_world(world.url, world.database)
    try:
        foreign = other.tills[0].client.get("/v1/sync/pull").json()["cursor"]
    finally:
        other.close()
    payload, signature = cursor.split(".")
    for bad in ("garbage", cursor + "x", payload + "." + "0" * len(signature), foreign):
        response = client.get("/v1/sync/pull", params={"cursor": bad})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor"), bad


def test_a_card_lookup_shows_the_last_50_transactions_newest_first_rejections_included(world: World) -> None:
    till, staff = world.tills[0], world.staff["staff0"]
    card = world.new_card()
    txs = [till.tx("stamp_earned", card, staff, stamps_delta=1) for _ in range(55)]
    till.push_ok(txs)
    detail = till.card(card)
    assert detail["card"]["stamp_count"] == 2
    history = detail["transactions"]
    assert len(history) == 50
    assert history[0]["id"] == txs[-1]["id"]
    assert history[0]["status"] == "rejected" and history[0]["reason"] == "daily_stamp_limit"
    assert set(history[0]) == {
        "id",
        "type",
        "stamps_delta",
        "points_delta",
        "transaction_at",
        "store_id",
        "status",
        "reason",
    }


def test_an_unknown_or_invalid_card_number_is_404_unknown_card(world: World) -> None:
    client = world.tills[0].client
    for number in (f"NO-{uuid.uuid4().hex[:6]}", "has%20space", "A" * 40):
        response = client.get(f"/v1/cards/{number}")
        assert (response.status_code, response.json()["code"]) == (404, "unknown_card")


def test_card_numbers_are_case_sensitive(world: World) -> None:
    card = world.new_card(number=f"case-{uuid.uuid4().hex[:6]}")
    assert world.tills[0].client.get(f"/v1/cards/{card.upper()}").status_code == 404
