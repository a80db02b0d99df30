"""The console in a real browser (Debian's Chromium, headless, driven by Playwright)."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.console.helpers import PASSWORD, ConsoleWorld, create_office_user, enrol_device, rejected_push
from tests.console.test_pages import figures_from_api, sell
from tests.sync_engine.world import World, enrol_till, new_card

CHROMIUM = os.environ.get("LOYALTY_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.postgres


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole run (each test gets its own context: its own cookies)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `bash dev.sh test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (bash dev.sh test installs it)")
    from playwright.sync_api import sync_playwright  # imported here: only once Chromium is known to be there

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, console_pg: ConsoleWorld) -> Iterator[Any]:
    context = browser.new_context(base_url=console_pg.url, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    try:
        yield opened
        assert not [text for text in problems if "Content Security Policy" in text], problems
    finally:
        context.close()


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/office/")
    assert "/office/login" in page.url
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_and_the_dashboard_shows_the_apis_figures(page: Any, console_pg: ConsoleWorld) -> None:
    merchant = console_pg.merchants[0]
    sell(console_pg, merchant, enrol_device(console_pg, merchant, 0))
    sign_in(page, merchant.analyst)
    page.wait_for_url(re.compile(r".*/office/$"))
    for period, days in (("Today", 1), ("Last 30 days", 30)):
        page.get_by_role("link", name=period, exact=True).click()
        page.wait_for_load_state()
        shown = {
            element.get_attribute("data-figure"): int(element.locator(".value").inner_text().replace(",", ""))
            for element in page.locator("[data-figure]").all()
        }
        assert shown == figures_from_api(console_pg.api(merchant), merchant, days=days), period
        assert shown["transactions"] >= 5
    page.get_by_label("Filter stores").fill("Berlin")  # htmx swaps the table in place
    expect(page.locator("#table-region tbody tr")).to_have_count(1)
    assert "Berlin" in page.locator("#table-region tbody").inner_text()


def test_compensate_a_rejection_and_the_till_pulls_the_state(
    page: Any, console_pg: ConsoleWorld, tmp_path: Path
) -> None:
    merchant = console_pg.merchants[0]
    world = World(
        server_url=console_pg.url, document={"merchants": [m.document for m in console_pg.merchants]}
    )
    here, there = enrol_till(world, tmp_path / "a"), enrol_till(world, tmp_path / "b")
    try:
        number = new_card(here)
        here.sync()
        there.sync()
        for _ in range(2):
            here.ledger.add_stamp(here.staff, number)
            there.ledger.add_stamp(there.staff, number)
        here.sync()
        there.sync()
        (rejected,) = there.ledger.rejections()
        sign_in(page, merchant.admin)
        page.get_by_role("navigation", name="Console").get_by_role("link", name="Rejections").click()
        page.get_by_label("Filter").fill(number)
        row = page.locator("#table-region tbody tr", has_text=number)
        row.wait_for()
        assert "all the stamps allowed today" in row.inner_text()  # the reason in a manager's words
        row.get_by_role("link", name="Open").click()
        assert page.get_by_label("Stamps to give").input_value() == "1"  # prefilled to undo the loss
        page.get_by_label("Note", exact=True).fill("Sorry about that")
        page.get_by_role("button", name="Compensate").click()
        assert page.locator("#rejection-state").inner_text() == "Compensated"
        there.sync()
        (seen,) = there.ledger.rejections()
        assert (seen.id, seen.office_state, seen.office_note) == (
            rejected.id,
            "compensated",
            "Sorry about that",
        )
        page.get_by_role("link", name=number).click()
        assert page.locator("#card-stamps").inner_text() == "4"
    finally:
        here.ledger.close()
        there.ledger.close()


def test_revoke_a_till_and_its_next_push_gets_401(page: Any, console_pg: ConsoleWorld) -> None:
    merchant = console_pg.merchants[0]
    device = enrol_device(console_pg, merchant, 1)
    sign_in(page, merchant.admin)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Tills").click()
    devices = console_pg.api(merchant).get("/v1/office/devices", params={"limit": 1000}).json()["items"]
    label = next(item["name"] for item in devices if item["device_id"] == device["device_id"])
    page.get_by_role("link", name=f"Revoke {label}").click()
    page.get_by_role("button", name=f"Revoke {label}").click()
    page.get_by_text("The till was revoked").wait_for()
    body = {
        "id": str(uuid.uuid4()),
        "seq": 1,
        "type": "stamp_earned",
        "card_number": "BT-0001",
        "staff_id": merchant.staff("staff", merchant.store_id(1))["id"],
        "transaction_at": "2026-01-01T10:00:00+00:00",
        "stamps_delta": 1,
    }
    answer = console_pg.till(device["token"]).post(
        "/v1/sync/push", json={"transactions": [body]}, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert answer.status_code == 401 and answer.json()["code"] == "device_revoked"


def test_wrong_passwords_until_the_lockout(page: Any, console_pg: ConsoleWorld) -> None:
    name = create_office_user(console_pg.database_url, console_pg.merchants[0].id, "analyst")
    for attempt in range(5):
        sign_in(page, name, "wrong password here")
        expected = "locked for 15 minutes" if attempt == 4 else "The user name or password is not right."
        assert expected in page.get_by_role("alert").inner_text()
    sign_in(page, name)  # the right password, too late
    assert "locked for 15 minutes" in page.get_by_role("alert").inner_text()
    assert "/office/login" in page.url or page.get_by_role("heading", name="Head office sign-in").is_visible()


def test_a_form_posted_without_its_csrf_token_is_refused(page: Any, console_pg: ConsoleWorld) -> None:
    merchant = console_pg.merchants[0]
    _, rejection = rejected_push(console_pg, merchant)
    sign_in(page, merchant.admin)
    page.goto(f"/office/rejections/{rejection}")
    form = page.locator("form", has=page.get_by_role("button", name="Acknowledge"))
    form.locator("input[name=csrf_token]").evaluate("field => field.remove()")
    form.get_by_label("Note (required)").fill("no token")
    form.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_role("heading", name="Form expired").is_visible()
    page.goto(f"/office/rejections/{rejection}")
    assert page.locator("#rejection-state").inner_text() == "Open"


def test_another_merchants_card_by_url_is_not_found(page: Any, console_pg: ConsoleWorld) -> None:
    ours, theirs = console_pg.merchants
    sign_in(page, ours.admin)
    page.wait_for_url(re.compile(r".*/office/$"))
    their_card = theirs.document["cards"][0]["card_number"]
    response = page.goto(f"/office/cards/{their_card}")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    own = page.goto(f"/office/cards/{ours.document['cards'][0]['card_number']}")
    assert own is not None and own.status == 200


CONSOLE_PAGES = ("/office/", "/office/tills", "/office/rejections", "/office/cards", "/office/staff")
CONSOLE_PAGES += ("/office/program", "/office/audit")


def test_on_a_tablet_a_person_signs_in_by_keyboard_and_no_page_scrolls_sideways(
    browser: Any, console_pg: ConsoleWorld
) -> None:
    """1024 px wide, keys pressed into whatever has the focus, as a person at a tablet with a
    keyboard would: Tab reaches the user name, then the password, Enter signs in; then every page
    fits the width (nothing wider than the window)."""
    merchant = console_pg.merchants[0]
    sell(console_pg, merchant, enrol_device(console_pg, merchant, 0))
    context = browser.new_context(base_url=console_pg.url, viewport={"width": 1024, "height": 768})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/office/login")
        for _ in range(10):  # the skip link and the header come first
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.name") == "username":
                break
        assert page.evaluate("document.activeElement.name") == "username", "Tab never reached the user name"
        page.keyboard.type(merchant.analyst)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == "password"
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/office/$"))
        for path in CONSOLE_PAGES:
            page.goto(path)
            page.wait_for_load_state()
            wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, f"{path} is {wide} px wider than a 1024 px tablet"
    finally:
        context.close()
