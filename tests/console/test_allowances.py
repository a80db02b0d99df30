"""Offline allowances in the console: a card's holds on its page, releasing them, the programme form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from server_stub.console.formatting import local_time_text
from server_stub.models import Allowance
from tests.console.helpers import ConsoleWorld, Merchant, enrol_device, page_text, push_txs

# The card gets 230 points and 3 stamps: 60 points and a stamp held for each of two tills, and what
# is left (110 points, a stamp) available; a till holds only beyond one allowance's worth.
ALLOWANCE_POINTS = 60
ALLOWANCE_STAMPS = 1


@dataclass
class Held:
    """A card with an allowance at two tills (one at each of the merchant's first two stores)."""

    card: str
    devices: list[dict[str, Any]]
    granted: list[dict[str, Any]]  # each till's allowance on the card, as POST /v1/sync/allowances said


def program_fields(console: ConsoleWorld, merchant: Merchant) -> dict[str, Any]:
    program = console.api(merchant).get("/v1/office/program").json()
    del program["version"]
    return dict(program)


@pytest.fixture
def allowing(console: ConsoleWorld) -> Iterator[Merchant]:
    """Merchant 0 (hybrid) grants allowances for the test; its programme is put back afterwards."""
    merchant = console.merchants[0]
    before = program_fields(console, merchant)
    changed = {**before, "allowance_points": ALLOWANCE_POINTS, "allowance_stamps": ALLOWANCE_STAMPS}
    assert console.api(merchant).put("/v1/office/program", json=changed).status_code == 200
    try:
        yield merchant
    finally:
        assert console.api(merchant).put("/v1/office/program", json=before).status_code == 200


def push(
    console: ConsoleWorld, merchant: Merchant, device: dict[str, Any], card: str, txs: list[Any]
) -> None:
    results = push_txs(console, merchant, device, card, txs)
    assert {result["status"] for result in results} == {"accepted"}, results


def sync_allowances(console: ConsoleWorld, device: dict[str, Any], recorded_seq: int) -> dict[str, Any]:
    """The till's POST /v1/sync/allowances: its allowances by card number."""
    answer = console.till(device["token"]).post(
        "/v1/sync/allowances",
        json={"recorded_seq": recorded_seq, "till_time": datetime.now(UTC).isoformat()},
    )
    assert answer.status_code == 200, answer.text
    return {item["card_number"]: item for item in answer.json()["allowances"]}


def held_at_two_tills(console: ConsoleWorld, merchant: Merchant) -> Held:
    """A new card, a regular at two stores (230 points, 3 stamps), and each store's new till's allowance."""
    devices = [enrol_device(console, merchant, 0), enrol_device(console, merchant, 1)]
    card = f"H-{uuid.uuid4().hex[:8]}"
    first = [
        {"type": "card_created", "customer": {"name": "Hana"}},
        {"type": "welcome_bonus", "points_delta": 50},
        {"type": "points_earned", "points_delta": 180, "purchase_amount_cents": 1800},
        {"type": "stamp_earned", "stamps_delta": 1},
        {"type": "stamp_earned", "stamps_delta": 1},
    ]
    push(console, merchant, devices[0], card, first)
    push(console, merchant, devices[1], card, [{"type": "stamp_earned", "stamps_delta": 1}])
    granted = [
        sync_allowances(console, devices[0], len(first))[card],
        sync_allowances(console, devices[1], 1)[card],
    ]
    assert [(g["points"], g["stamps"]) for g in granted] == [(ALLOWANCE_POINTS, ALLOWANCE_STAMPS)] * 2
    return Held(card=card, devices=devices, granted=granted)


def figure(html: str, key: str) -> int:
    found = re.search(rf'id="card-{key}">([\d,-]+)<', html)
    assert found is not None, key
    return int(found.group(1).replace(",", ""))


def holds_table(html: str) -> list[list[str]]:
    found = re.search(r'<table id="holds">.*?<tbody>(.*?)</tbody>', html, re.S)
    if found is None:
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    return [
        [page_text(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows
    ]


def card_detail(console: ConsoleWorld, held: Held) -> dict[str, Any]:
    answer = console.till(held.devices[0]["token"]).get(f"/v1/cards/{held.card}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def stored_allowances(console: ConsoleWorld, ids: list[str]) -> dict[str, tuple[bool, str | None]]:
    """Each allowance's (released, why), read from the server's database."""
    from server_stub.db import create_database

    database = create_database(console.database_url, pool_size=1)
    try:
        with database.session() as session:
            rows = session.execute(
                select(Allowance.id, Allowance.released_at, Allowance.released_why).where(
                    Allowance.id.in_(ids)
                )
            ).all()
    finally:
        database.dispose()
    return {row.id: (row.released_at is not None, row.released_why) for row in rows}


def audit_items(console: ConsoleWorld, merchant: Merchant) -> list[dict[str, Any]]:
    return list(console.api(merchant).get("/v1/office/audit", params={"limit": 200}).json()["items"])


def test_the_card_page_shows_what_is_held_where_and_what_is_available(
    console: ConsoleWorld, allowing: Merchant
) -> None:
    held = held_at_two_tills(console, allowing)
    html = console.signed_in(allowing.analyst).get(f"/office/cards/{held.card}").text
    shown = {key: figure(html, key) for key in ("points", "held-points", "available-points")}
    assert shown == {"points": 230, "held-points": 120, "available-points": 110}
    shown = {key: figure(html, key) for key in ("stamps", "held-stamps", "available-stamps")}
    assert shown == {"stamps": 3, "held-stamps": 2, "available-stamps": 1}
    expected = []
    for device, granted in zip(held.devices, held.granted, strict=True):
        store = device["store"]
        until = local_time_text(datetime.fromisoformat(granted["valid_until"]), store["timezone"])
        expected.append([store["name"], device["device_name"], "60", "1", until])
    rows = holds_table(html)
    assert sorted([row[:4] + row[5:] for row in rows]) == sorted(expected)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d \(.+\)", row[4]) for row in rows)  # granted
    assert "Nothing is held" not in page_text(html)
    assert "/release" not in html  # an analyst is not offered the release


def test_a_card_holding_nothing_says_so_in_one_line(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    card = merchant.document["cards"][0]["card_number"]
    html = console.signed_in(merchant.admin).get(f"/office/cards/{card}").text
    assert "Nothing is held on this card for offline use." in page_text(html)
    assert holds_table(html) == [] and "/release" not in html
    assert figure(html, "held-points") == 0 and figure(html, "available-points") == figure(html, "points")


def test_an_admin_releases_what_a_card_holds_and_the_till_is_no_longer_told_of_it(
    console: ConsoleWorld, allowing: Merchant
) -> None:
    held = held_at_two_tills(console, allowing)
    admin = console.signed_in(allowing.admin)
    card_page = admin.get(f"/office/cards/{held.card}").text
    assert f'href="/office/cards/{held.card}/release"' in card_page and "lost or broken" in card_page
    confirm = admin.get(f"/office/cards/{held.card}/release")
    assert confirm.status_code == 200 and "at risk" in page_text(confirm.text)
    assert all(device["device_name"] in confirm.text for device in held.devices)
    audit_before = len(audit_items(console, allowing))

    done = admin.post(f"/office/cards/{held.card}/release")

    assert done.status_code == 200, done.text[:500]
    assert "Released 2 allowances: 120 points and 2 stamps are available again." in page_text(done.text)
    assert (figure(done.text, "held-points"), figure(done.text, "available-points")) == (0, 230)
    assert "Nothing is held on this card for offline use." in page_text(done.text)
    ids = [granted["id"] for granted in held.granted]
    assert stored_allowances(console, ids) == dict.fromkeys(ids, (True, "head office"))
    detail = card_detail(console, held)
    assert (detail["held_points"], detail["held_stamps"], detail["holds"]) == (0, 0, [])
    entries = audit_items(console, allowing)
    assert len(entries) == audit_before + 1
    entry = entries[0]
    assert (entry["action"], entry["target"], entry["actor"]) == (
        "card.release_holds",
        f"card:{held.card}",
        f"{allowing.admin} (console)",
    )
    assert (entry["old"]["held_points"], entry["old"]["held_stamps"]) == (120, 2)
    assert sorted(a["id"] for a in entry["old"]["allowances"]) == sorted(ids)
    assert (entry["new"]["held_points"], entry["new"]["held_stamps"]) == (0, 0)
    # The till's next call does not list the released allowance; the card is still a regular of
    # its store, so the programme grants a new one (revoking the till is what stops that).
    again = sync_allowances(console, held.devices[0], 4)[held.card]
    assert again["id"] not in ids and (again["points"], again["stamps"]) == (
        ALLOWANCE_POINTS,
        ALLOWANCE_STAMPS,
    )


def test_releasing_a_card_that_holds_nothing_changes_nothing(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    card = merchant.document["cards"][0]["card_number"]
    admin = console.signed_in(merchant.admin)
    audit_before = audit_items(console, merchant)
    confirm = admin.get(f"/office/cards/{card}/release")
    assert "there is nothing to release" in page_text(confirm.text) and '/release"' not in confirm.text
    done = admin.post(f"/office/cards/{card}/release")
    assert done.status_code == 200
    assert "Nothing is held on this card: nothing changed." in page_text(done.text)
    assert audit_items(console, merchant) == audit_before


@pytest.mark.parametrize("who", ["analyst", "forged csrf", "no csrf"])
def test_a_release_without_an_admin_or_its_token_is_refused_and_changes_nothing(
    console: ConsoleWorld, allowing: Merchant, who: str
) -> None:
    held = held_at_two_tills(console, allowing)
    audit_before = audit_items(console, allowing)
    path = f"/office/cards/{held.card}/release"
    if who == "analyst":
        analyst = console.signed_in(allowing.analyst)
        assert analyst.get(path).status_code == 403
        refused = analyst.post(path)
    else:
        client = console.signed_in(allowing.admin)
        refused = client.http.post(path, data={"csrf_token": "forged"} if who == "forged csrf" else {})
    assert refused.status_code == 403
    ids = [granted["id"] for granted in held.granted]
    assert stored_allowances(console, ids) == dict.fromkeys(ids, (False, None))
    assert card_detail(console, held)["held_points"] == 2 * ALLOWANCE_POINTS
    assert audit_items(console, allowing) == audit_before


ALLOWANCE_FORM = {
    "allowance_points": "250",
    "allowance_stamps": "0",
    "allowance_hours": "24",
    "allowance_cards": "1,200",
    "allowance_regular_days": "45",
    "at_risk_redemptions": "false",
}


@pytest.fixture
def program_form(console: ConsoleWorld) -> Iterator[tuple[Merchant, dict[str, str]]]:
    """Merchant 1's programme as its form would send it; the programme is put back afterwards."""
    merchant = console.merchants[1]
    before = program_fields(console, merchant)
    form = {
        key: "" if before[key] is None else str(before[key])
        for key in (
            "type",
            "currency",
            "points_per_currency_unit",
            "minimum_purchase_cents",
            "welcome_bonus_points",
            "points_expiration_days",
            "stamps_target",
            "stamps_reward_description",
            "max_daily_stamps",
            "pin_max_attempts",
            "pin_lockout_minutes",
        )
    }
    form["rewards"] = "\n".join(f"{r['id']} | {r['name']} | {r['points_cost']}" for r in before["rewards"])
    try:
        yield merchant, {**form, **ALLOWANCE_FORM}
    finally:
        assert console.api(merchant).put("/v1/office/program", json=before).status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("allowance_hours", "0", "allowance_hours"),
        ("allowance_hours", "1000", "allowance_hours"),
        ("allowance_points", "lots", "allowance points: a whole number is needed"),
        ("allowance_cards", "", "allowance cards: a whole number is needed"),
        ("allowance_regular_days", "366", "allowance_regular_days"),
        ("allowance_stamps", "-1", "allowance_stamps"),
        ("at_risk_redemptions", "maybe", "at risk redemptions: choose allowed or refused"),
    ],
)
def test_the_program_form_refuses_bad_allowance_settings_and_saves_nothing(
    console: ConsoleWorld, program_form: tuple[Merchant, dict[str, str]], field: str, value: str, says: str
) -> None:
    merchant, form = program_form
    before = console.api(merchant).get("/v1/office/program").json()
    refused = console.signed_in(merchant.admin).post("/office/program", {**form, field: value})
    assert refused.status_code == 422
    assert "Not saved." in page_text(refused.text) and says in page_text(refused.text)
    assert console.api(merchant).get("/v1/office/program").json() == before


def test_the_program_form_saves_allowance_settings_and_shows_them(
    console: ConsoleWorld, program_form: tuple[Merchant, dict[str, str]]
) -> None:
    merchant, form = program_form
    admin = console.signed_in(merchant.admin)
    shown = admin.get("/office/program").text
    assert 'name="allowance_hours" type="number" value="12"' in shown  # the current version's values
    del form["at_risk_redemptions"]  # a form without the choice is refused, never read as "refused"
    assert admin.post("/office/program", form).status_code == 422
    saved = admin.post("/office/program", {**form, **ALLOWANCE_FORM})
    assert saved.status_code == 200, page_text(saved.text)[:500]
    program = console.api(merchant).get("/v1/office/program").json()
    assert {key: program[key] for key in ALLOWANCE_FORM} == {
        "allowance_points": 250,
        "allowance_stamps": 0,
        "allowance_hours": 24,
        "allowance_cards": 1200,
        "allowance_regular_days": 45,
        "at_risk_redemptions": False,
    }
    text = page_text(admin.get("/office/program").text)
    assert "up to 250 points and 0 stamps a card held for a till's offline redemptions, for 24 hours" in text
    assert "at most 1,200 cards a till" in text and "within 45 days" in text and "refused offline" in text
    history = admin.get("/office/program", format="csv").text
    assert "250 points, 0 stamps for 24 h; at-risk refused" in history
    entry = audit_items(console, merchant)[0]
    assert entry["action"] == "program.update"
    assert (entry["new"]["allowance_points"], entry["new"]["at_risk_redemptions"]) == (250, False)
    assert entry["old"]["allowance_points"] == 0
