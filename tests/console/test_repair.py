"""The repair loop of a rejection: acknowledge, compensate, customer owes; the till pulls the state."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx

from tests.console.helpers import ConsoleWorld, Merchant, page_text, rejected_push


def _card_points(console: ConsoleWorld, merchant: Merchant, token: str, number: str) -> int:
    detail = console.till(token).get(f"/v1/cards/{number}")
    assert detail.status_code == 200, detail.text
    return int(detail.json()["card"]["points_balance"])


def _pull_all(client: httpx.Client, cursor: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """Every page of the pull feed after `cursor`: the rejection states in them, and the last cursor."""
    states: list[dict[str, Any]] = []
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = client.get("/v1/sync/pull", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        states += body.get("rejections") or []
        cursor = body["cursor"]
        if not body["has_more"]:
            return states, cursor


def test_compensating_a_rejection_gives_the_points_once_and_the_till_pulls_the_state(
    console: ConsoleWorld,
) -> None:
    merchant = console.merchants[0]
    device, rejection = rejected_push(console, merchant, points=500)
    till = console.till(device["token"])
    _, cursor = _pull_all(till)
    card = merchant.document["cards"][0]["card_number"]
    before = _card_points(console, merchant, device["token"], card)
    admin = console.signed_in(merchant.admin)
    page = admin.get(f"/office/rejections/{rejection}")
    assert 'name="points" type="number" min="0" max="100000" value="500"' in page.text  # prefilled
    done = admin.post(f"/office/rejections/{rejection}/compensate", {"points": "500", "note": "sorry"})
    assert done.status_code == 200, done.text
    assert "Compensated" in page_text(done.text)
    assert _card_points(console, merchant, device["token"], card) == before + 500
    again = admin.post(f"/office/rejections/{rejection}/compensate", {"points": "500"})
    assert again.status_code == 409
    assert "already compensated" in page_text(again.text)
    assert _card_points(console, merchant, device["token"], card) == before + 500  # never twice
    history = console.till(device["token"]).get(f"/v1/cards/{card}").json()["transactions"]
    adjustment = next(tx for tx in history if tx["type"] == "points_adjustment" and tx["points_delta"] == 500)
    assert adjustment["status"] == "accepted" and adjustment["store_id"] is None
    csv_rows = console.api(merchant).get("/v1/office/ledger.csv").text
    [row] = [row for row in csv.DictReader(io.StringIO(csv_rows)) if row["id"] == adjustment["id"]]
    assert row["staff_id"] == "" and row["device_id"] == ""  # head office is no staff member, no till
    card_page = admin.get(f"/office/cards/{card}").text
    assert f"Compensation for rejected transaction {rejection}" in page_text(card_page)
    audit = console.api(merchant).get("/v1/office/audit").json()["items"]
    entry = next(item for item in audit if item["target"] == f"transaction:{rejection}")
    assert entry["actor"] == f"{merchant.admin} (console)"
    assert (entry["old"]["state"], entry["new"]["state"]) == ("open", "compensated")
    states, cursor = _pull_all(till, cursor)
    assert [(s["id"], s["state"], s["note"]) for s in states] == [(rejection, "compensated", "sorry")]
    assert _pull_all(till, cursor)[0] == []  # sent once: not again after the cursor


def test_acknowledge_then_record_what_the_customer_owes(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    device, rejection = rejected_push(console, merchant)
    admin = console.signed_in(merchant.admin)
    empty = admin.post(f"/office/rejections/{rejection}/acknowledge", {"note": "  "})
    assert empty.status_code == 409 and "give a reason" in page_text(empty.text)
    assert admin.post(f"/office/rejections/{rejection}/acknowledge", {"note": "seen it"}).status_code == 200
    assert admin.post(f"/office/rejections/{rejection}/acknowledge", {"note": "twice"}).status_code == 409
    owed = admin.post(
        f"/office/rejections/{rejection}/owed", {"points": "40", "stamps": "0", "note": "pays next time"}
    )
    assert owed.status_code == 200
    assert "40 points" in page_text(owed.text)
    states, _ = _pull_all(console.till(device["token"]))
    assert [(s["id"], s["state"]) for s in states] == [(rejection, "customer_owes")]
    inbox = admin.get("/office/rejections", state="customer_owes").text
    assert rejection in inbox
    assert rejection not in admin.get("/office/rejections", state="open").text


def test_another_tills_pull_never_carries_this_tills_rejection_states(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    _, rejection = rejected_push(console, merchant)
    other, _ = rejected_push(console, merchant)
    admin = console.signed_in(merchant.admin)
    assert admin.post(f"/office/rejections/{rejection}/acknowledge", {"note": "seen"}).status_code == 200
    states, _ = _pull_all(console.till(other["token"]))
    assert rejection not in {s["id"] for s in states}


def test_a_refused_compensation_changes_nothing_and_says_why(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    device = rejected_push(console, merchant)[0]
    unknown = f"NOPE-{uuid.uuid4().hex[:6]}"
    staff = merchant.staff("staff", merchant.store_id(0))
    body = {
        "id": str(uuid.uuid4()),
        "seq": 2,
        "type": "stamp_earned",
        "card_number": unknown,
        "staff_id": staff["id"],
        "transaction_at": "2026-01-02T10:00:00+00:00",
        "stamps_delta": 1,
    }
    answer = console.till(device["token"]).post(
        "/v1/sync/push", json={"transactions": [body]}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert answer.json()["results"][0]["reason"] == "unknown_card"
    admin = console.signed_in(merchant.admin)
    refused = admin.post(f"/office/rejections/{body['id']}/compensate", {"stamps": "1"})
    assert refused.status_code == 409
    assert "This card is not known" in page_text(refused.text)
    assert "Open" in page_text(refused.text)
    rejected_ids = {item["id"] for item in console.api(merchant).get("/v1/office/rejections").json()["items"]}
    assert all(item_id == body["id"] or item_id in rejected_ids for item_id in rejected_ids)
    assert not [
        item
        for item in console.api(merchant).get("/v1/office/rejections").json()["items"]
        if item["card_number"] == unknown and item["device_id"] is None
    ]  # no server-made rejection stored


def test_the_card_page_deactivates_reactivates_and_adjusts_once_per_form(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    card = merchant.document["cards"][1]["card_number"]
    token = merchant.device(0)["token"]
    admin = console.signed_in(merchant.admin)
    before = _card_points(console, merchant, token, card)
    form = {"points": "25", "stamps": "0", "reason": "goodwill", "form_id": str(uuid.uuid4())}
    assert admin.post(f"/office/cards/{card}/adjust", form).status_code == 200
    resent = admin.post(f"/office/cards/{card}/adjust", form)
    assert "already sent" in page_text(resent.text)
    assert _card_points(console, merchant, token, card) == before + 25
    assert admin.post(f"/office/cards/{card}/adjust", {"points": "5", "reason": ""}).status_code == 409
    assert admin.post(f"/office/cards/{card}/deactivate", {"form_id": str(uuid.uuid4())}).status_code == 200
    state = console.till(token).get(f"/v1/cards/{card}").json()["card"]
    assert state["is_active"] is False
    assert admin.post(f"/office/cards/{card}/reactivate", {"form_id": str(uuid.uuid4())}).status_code == 200
    assert console.till(token).get(f"/v1/cards/{card}").json()["card"]["is_active"] is True
    actions = [item["action"] for item in console.api(merchant).get("/v1/office/audit").json()["items"]]
    assert {"card.adjust", "card.deactivate", "card.reactivate"} <= set(actions)


def test_the_inbox_sorts_by_card_and_filters_by_state_and_card_together(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    _, first = rejected_push(console, merchant)
    _, second = rejected_push(console, merchant)
    admin = console.signed_in(merchant.admin)
    assert admin.post(f"/office/rejections/{first}/acknowledge", {"note": "seen"}).status_code == 200
    rows = list(
        csv.DictReader(
            io.StringIO(admin.get("/office/rejections", sort="card_number", dir="asc", format="csv").text)
        )
    )
    cards = [row["Card"] for row in rows]
    assert cards == sorted(cards) and len(rows) >= 2
    card = merchant.document["cards"][0]["card_number"]
    open_only = admin.get("/office/rejections", sort="store", dir="desc", state="open", q=card).text
    assert second in open_only and first not in open_only


def test_a_cursor_made_before_rejection_states_sends_every_state_of_the_till_once(
    console: ConsoleWorld,
) -> None:
    import base64
    import json

    from server_stub.db import create_database
    from server_stub.security import sign
    from server_stub.service.pull import cursor_secret

    merchant = console.merchants[0]
    device, rejection = rejected_push(console, merchant)
    admin = console.signed_in(merchant.admin)
    assert admin.post(f"/office/rejections/{rejection}/acknowledge", {"note": "old till"}).status_code == 200
    till = console.till(device["token"])
    _, cursor = _pull_all(till)
    body, _ = cursor.split(".", 1)
    position = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    del position["rejections"]  # as an older server wrote it
    payload = json.dumps(position, separators=(",", ":")).encode()
    database = create_database(console.database_url, pool_size=1)
    try:
        with database.session() as session:
            secret = cursor_secret(session)
    finally:
        database.dispose()
    old = base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + sign(secret, payload)
    states, _ = _pull_all(till, old)
    assert [(s["id"], s["state"]) for s in states] == [(rejection, "acknowledged")]
