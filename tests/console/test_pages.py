"""The console's pages: dashboard figures equal the API's; tables sort, filter, download; forms validate."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server_stub.console.dashboard import FIGURE_LABELS
from tests.console.helpers import ConsoleWorld, Merchant, enrol_device, page_text, push_txs


def figures_from_api(api: httpx.Client, merchant: Merchant, *, days: int) -> dict[str, int]:
    """The dashboard's figures, computed here from GET /v1/office/summary and /rejections."""
    today = datetime.now(UTC).date()
    params = {
        "from": (today - timedelta(days=days - 1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    rows = api.get("/v1/office/summary", params=params).json()["rows"]
    total = dict.fromkeys(FIGURE_LABELS, 0)
    for row in rows:
        kind, count, points, stamps = row["type"], row["count"], row["points_delta"], row["stamps_delta"]
        total["transactions"] += count
        total["points_issued"] += points if kind in ("points_earned", "welcome_bonus") else 0
        total["points_redeemed"] -= points if kind == "points_redeemed" else 0
        total["points_voided"] -= points if kind == "points_voided" else 0
        total["points_expired"] -= points if kind == "points_expired" else 0
        total["stamps"] += stamps if kind == "stamp_earned" else 0
        total["rewards"] += count if kind in ("points_redeemed", "stamp_redeemed") else 0
        total["new_cards"] += count if kind == "card_created" else 0
    rejections = api.get("/v1/office/rejections", params={**params, "limit": 1000}).json()["items"]
    total["rejections"] = len(rejections)
    return total


def shown_figures(html: str) -> dict[str, int]:
    found = re.findall(r'data-figure="(\w+)"><div class="value">([\d,-]+)</div>', html)
    return {key: int(value.replace(",", "")) for key, value in found}


def sell(console: ConsoleWorld, merchant: Merchant, device: dict[str, Any]) -> None:
    """Today's sales at a till: a card, its welcome bonus, a purchase, a stamp, a reward."""
    card = f"D-{uuid.uuid4().hex[:8]}"
    txs = [
        {"type": "card_created", "customer": {"name": "Dana"}},
        {"type": "welcome_bonus", "points_delta": 50},
        {"type": "points_earned", "points_delta": 120, "purchase_amount_cents": 1200},
        {"type": "stamp_earned", "stamps_delta": 1},
        {"type": "points_redeemed", "points_delta": -150, "reward_id": "muffin"},
    ]
    push_txs(console, merchant, device, card, txs)


def test_the_dashboard_shows_the_apis_figures_for_each_period(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    sell(console, merchant, enrol_device(console, merchant, 1))
    client = console.signed_in(merchant.analyst)
    api = console.api(merchant)
    for period, days in (("today", 1), ("7d", 7), ("30d", 30)):
        shown = shown_figures(client.get("/office/", period=period).text)
        assert shown == figures_from_api(api, merchant, days=days), period
    assert shown["transactions"] > 0


def test_the_dashboard_table_per_store_adds_up_and_downloads_as_csv(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    client = console.signed_in(merchant.analyst)
    response = client.get("/office/", period="30d", format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {row["Store"] for row in rows} >= {store["name"] for store in merchant.document["stores"]}
    totals = shown_figures(client.get("/office/", period="30d").text)
    assert sum(int(row["Transactions"]) for row in rows) == totals["transactions"]
    ordered = client.get("/office/", period="30d", sort="transactions", dir="desc", format="csv").text
    counts = [int(row["Transactions"]) for row in csv.DictReader(io.StringIO(ordered))]
    assert counts == sorted(counts, reverse=True)


def test_htmx_asks_for_the_table_alone(console: ConsoleWorld) -> None:
    client = console.signed_in(console.merchants[0].analyst)
    partial = client.http.get(
        "/office/staff",
        params={"sort": "name", "dir": "desc"},
        headers={"HX-Request": "true", "HX-Target": "table-region"},
    )
    assert partial.status_code == 200
    assert "<table>" in partial.text and "<html" not in partial.text


def test_customer_text_is_shown_as_text_and_neutralised_in_csv(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    device = merchant.device(0)
    number = f"X-{uuid.uuid4().hex[:6]}"
    name = "<script>alert('x')</script>=HYPERLINK(1)"
    body = [
        {
            "id": str(uuid.uuid4()),
            "seq": 900_000 + int(uuid.uuid4().int % 1000),
            "type": "card_created",
            "card_number": number,
            "staff_id": merchant.staff("staff", device["store_id"])["id"],
            "transaction_at": datetime.now(UTC).isoformat(),
            "customer": {"name": name, "email": "=cmd@x.ie"},
        }
    ]
    pushed = console.till(device["token"]).post(
        "/v1/sync/push", json={"transactions": body}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert pushed.json()["results"][0]["status"] == "accepted", pushed.text
    client = console.signed_in(merchant.analyst)
    for path in (f"/office/cards/{number}", f"/office/cards?q={number}"):
        html = client.get(path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    rows = list(csv.reader(io.StringIO(client.get("/office/cards", q=number, format="csv").text)))
    assert rows[1][1] == name and rows[1][2] == "'=cmd@x.ie"  # a formula cell gets its apostrophe


def test_cards_are_found_by_the_start_of_their_number_name_or_email(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    client = console.signed_in(merchant.analyst)
    first = merchant.document["cards"][0]["card_number"]
    assert first in client.get("/office/cards", q=first[:4]).text
    assert "Nothing to show" in client.get("/office/cards", q="zz-no-such").text
    assert client.get("/office/cards/not a number").status_code == 404


def test_staff_are_added_with_a_pin_shown_once_and_changed(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    admin = console.signed_in(merchant.admin)
    name = f"Sam {uuid.uuid4().hex[:4]}"
    added = admin.post(
        "/office/staff", {"name": name, "role": "staff", "store_id": str(merchant.store_id(0))}
    )
    assert added.status_code == 200
    pin = re.search(r'id="new-pin">(\d{6})<', added.text)
    assert pin is not None
    listed = console.api(merchant).get("/v1/office/staff", params={"limit": 1000}).json()["items"]
    member = next(item for item in listed if item["name"] == name)
    assert pin.group(1) not in admin.get("/office/staff").text  # shown once
    audit = console.api(merchant).get("/v1/office/audit").json()["items"]
    assert pin.group(1) not in str(audit)
    moved = admin.post(f"/office/staff/{member['id']}/change", {"role": "store_manager", "store_id": ""})
    assert moved.status_code == 200
    assert admin.post(f"/office/staff/{member['id']}/active", {"active": "false"}).status_code == 200
    listed = console.api(merchant).get("/v1/office/staff", params={"limit": 1000}).json()["items"]
    after = next(item for item in listed if item["id"] == member["id"])
    assert (after["role"], after["store_id"], after["is_active"]) == ("store_manager", None, False)
    bad = admin.post("/office/staff", {"name": "", "role": "boss", "store_id": ""})
    assert bad.status_code == 422 and "Check the fields" in page_text(bad.text)


def test_the_program_form_is_validated_as_the_api_validates(console: ConsoleWorld) -> None:
    merchant = console.merchants[1]
    admin = console.signed_in(merchant.admin)
    before = console.api(merchant).get("/v1/office/program").json()
    form = {
        "type": "points",
        "currency": "usd",
        "points_per_currency_unit": "2",
        "minimum_purchase_cents": "0",
        "welcome_bonus_points": "0",
        "points_expiration_days": "",
        "stamps_target": "10",
        "stamps_reward_description": "",
        "max_daily_stamps": "",
        "pin_max_attempts": "5",
        "pin_lockout_minutes": "15",
        "rewards": "book | A book | 500\nmug | A mug | 300",
        **{k: str(v).lower() for k, v in before.items() if k.startswith(("allowance_", "at_risk_"))},
    }
    refused = admin.post("/office/program", {**form, "pin_max_attempts": "0"})
    assert refused.status_code == 422 and "pin_max_attempts" in page_text(refused.text)
    duplicate = admin.post("/office/program", {**form, "rewards": "a | A | 1\na | B | 2"})
    assert duplicate.status_code == 422 and "distinct" in page_text(duplicate.text)
    assert console.api(merchant).get("/v1/office/program").json() == before
    saved = admin.post("/office/program", form)
    assert saved.status_code == 200
    after = console.api(merchant).get("/v1/office/program").json()
    assert after["version"] == before["version"] + 1
    assert (after["currency"], [r["id"] for r in after["rewards"]]) == ("USD", ["book", "mug"])


def test_an_enrolment_code_from_the_tills_page_enrols_a_till(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    admin = console.signed_in(merchant.admin)
    page = admin.post("/office/tills/enrolment-code", {"store_id": str(merchant.store_id(1))})
    code = re.search(r'id="enrolment-code">([A-Z0-9-]+)<', page.text)
    assert code is not None and '<svg viewBox="0 0' in page.text
    registered = httpx.post(
        f"{console.url}/v1/devices/register",
        json={"enrolment_code": code.group(1), "device_name": "From the console"},
    )
    assert registered.status_code == 201
    assert registered.json()["store"]["id"] == merchant.store_id(1)
    tills = admin.get("/office/tills", format="csv").text
    assert "From the console" in tills
