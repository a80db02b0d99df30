"""The console's security: sessions, CSRF, sign-in throttle and lockout, headers, roles, merchants apart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from server_stub.console.web import LOGIN_CSRF_COOKIE
from server_stub.db import create_database
from server_stub.models import OfficeSession
from tests.console.helpers import (
    PASSWORD,
    ConsoleWorld,
    create_office_user,
    csrf_of,
    page_text,
    rejected_push,
)

PAGES = [
    "/office/",
    "/office/tills",
    "/office/rejections",
    "/office/cards",
    "/office/staff",
    "/office/program",
    "/office/audit",
]


def test_every_page_without_a_session_sends_the_person_to_sign_in(console: ConsoleWorld) -> None:
    client = console.browserless()
    for path in [*PAGES, "/office/cards/BT-0001"]:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/office/login?next=")


def test_the_session_cookie_is_httponly_and_strict_and_sign_out_ends_it(console: ConsoleWorld) -> None:
    client = console.browserless()
    response = client.sign_in(console.merchants[0].admin, PASSWORD)
    assert response.status_code == 303
    cookie = next(
        value for value in response.headers.get_list("set-cookie") if value.startswith("office_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/office" in cookie
    assert "Secure" not in cookie  # plain HTTP here; set when served over HTTPS
    assert client.get("/office/").status_code == 200
    stolen = client.http.cookies.get("office_session")
    assert client.post("/office/logout").status_code == 303
    again = console.browserless()
    again.http.cookies.set("office_session", stolen or "", path="/office")
    assert again.get("/office/").status_code == 303  # the old cookie is dead on the server


def test_behind_a_tls_proxy_the_session_cookie_is_secure(console: ConsoleWorld) -> None:
    """Served over HTTPS by a proxy on this machine (uvicorn trusts its X-Forwarded-Proto), the
    login form's and the session's cookies are marked Secure: a browser never sends them over
    plain HTTP (so this plain-HTTP client hands them back by hand, as the proxy's browser would)."""
    proxied = {"X-Forwarded-Proto": "https"}
    http = httpx.Client(base_url=console.url, follow_redirects=False, timeout=30, headers=proxied)
    with http:
        form = http.get("/office/login")
        [login_cookie] = [
            v for v in form.headers.get_list("set-cookie") if v.startswith(f"{LOGIN_CSRF_COOKIE}=")
        ]
        assert "Secure" in login_cookie and "HttpOnly" in login_cookie
        name, value = login_cookie.split(";", 1)[0].split("=", 1)
        answer = http.post(
            "/office/login",
            data={
                "username": console.merchants[0].admin,
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
            headers={"Cookie": f"{name}={value}"},
        )
    assert answer.status_code == 303
    [session] = [v for v in answer.headers.get_list("set-cookie") if v.startswith("office_session=")]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=strict" in session


def test_a_session_idle_too_long_has_expired(console: ConsoleWorld) -> None:
    client = console.signed_in(console.merchants[0].analyst)
    database = create_database(console.database_url, pool_size=1)
    try:
        with database.session() as session, session.begin():
            session.execute(
                update(OfficeSession).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31))
            )
    finally:
        database.dispose()
    assert client.get("/office/").status_code == 303


def test_wrong_passwords_lock_the_name_out_even_for_the_right_password(console: ConsoleWorld) -> None:
    name = create_office_user(console.database_url, console.merchants[0].id, "analyst")
    client = console.browserless()
    statuses = [client.sign_in(name, "not the password at all").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    refused = client.sign_in(name, PASSWORD)
    assert refused.status_code == 429
    assert "locked for 15 minutes" in page_text(refused.text)
    # A name that does not exist locks the same way: the answers never tell which names exist.
    ghost = [client.sign_in("nobody-here", "whatever password").status_code for _ in range(5)]
    assert ghost == statuses


def test_sign_in_without_its_csrf_token_is_refused(console: ConsoleWorld) -> None:
    client = console.browserless()
    client.get("/office/login")
    response = client.http.post(
        "/office/login", data={"username": console.merchants[0].admin, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "office_session" not in client.http.cookies


CHANGING_FORMS = [
    ("/office/logout", {}),
    ("/office/tills/{device}/revoke", {}),
    ("/office/tills/enrolment-code", {"store_id": "{store}"}),
    ("/office/rejections/{rejection}/acknowledge", {"note": "seen"}),
    ("/office/rejections/{rejection}/compensate", {"points": "1"}),
    ("/office/rejections/{rejection}/owed", {"points": "1", "note": "owes"}),
    ("/office/cards/{card}/adjust", {"points": "5", "reason": "goodwill"}),
    ("/office/cards/{card}/deactivate", {}),
    ("/office/cards/{card}/release", {}),
    ("/office/staff", {"name": "Mallory", "role": "staff", "store_id": ""}),
    ("/office/staff/{staff}/pin", {}),
    ("/office/staff/{staff}/change", {"role": "merchant_owner", "store_id": ""}),
    ("/office/staff/{staff}/active", {"active": "false"}),
    ("/office/program", {"type": "points"}),
]


def _fill(console: ConsoleWorld, template: str, rejection: str) -> str:
    merchant = console.merchants[0]
    return template.format(
        device=merchant.device(0)["device_id"],
        store=merchant.store_id(0),
        rejection=rejection,
        card=merchant.document["cards"][0]["card_number"],
        staff=merchant.staff("staff", merchant.store_id(0))["id"],
    )


def test_every_changing_form_without_its_csrf_token_is_refused_and_changes_nothing(
    console: ConsoleWorld,
) -> None:
    merchant = console.merchants[0]
    _, rejection = rejected_push(console, merchant)
    client = console.signed_in(merchant.admin)
    audit_before = console.api(merchant).get("/v1/office/audit").json()["items"]
    for path, data in CHANGING_FORMS:
        values = {key: _fill(console, value, rejection) for key, value in data.items()}
        for token in (None, "forged-token"):
            sent = values if token is None else {**values, "csrf_token": token}
            response = client.http.post(_fill(console, path, rejection), data=sent)
            assert response.status_code == 403, (path, token, response.text[:300])
    assert console.api(merchant).get("/v1/office/audit").json()["items"] == audit_before
    assert client.get("/office/").status_code == 200  # still signed in: logout was refused too


def test_pages_send_a_content_security_policy_and_hold_no_inline_script_or_style(
    console: ConsoleWorld,
) -> None:
    client = console.signed_in(console.merchants[0].admin)
    for path in [*PAGES, "/office/cards/BT-0001", "/office/login"]:
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        scripts = re.findall(r"<script[^>]*>", response.text)
        assert scripts and all('src="/office/static/' in tag for tag in scripts), path
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", response.text), path


def test_an_analyst_reads_every_page_but_cannot_change_anything(console: ConsoleWorld) -> None:
    merchant = console.merchants[0]
    _, rejection = rejected_push(console, merchant)
    client = console.signed_in(merchant.analyst)
    for path in [*PAGES, f"/office/rejections/{rejection}"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'action="/office/logout"' in response.text
        assert not re.search(r'<form method="post" action="/office/(?!logout)', response.text), path
    for path, data in CHANGING_FORMS[1:]:
        values = {key: _fill(console, value, rejection) for key, value in data.items()}
        response = client.post(_fill(console, path, rejection), values)
        assert response.status_code == 403, path
        assert "analyst" in page_text(response.text)


@pytest.mark.parametrize("path", ["card", "rejection", "revoke", "enrol", "staff"])
def test_another_merchants_data_answers_as_missing(console: ConsoleWorld, path: str) -> None:
    ours, theirs = console.merchants
    _, their_rejection = rejected_push(console, theirs)
    client = console.signed_in(ours.admin)
    their_card = theirs.document["cards"][0]["card_number"]
    requests = {
        "card": lambda: client.get(f"/office/cards/{their_card}"),
        "rejection": lambda: client.get(f"/office/rejections/{their_rejection}"),
        "revoke": lambda: client.post(f"/office/tills/{theirs.device(0)['device_id']}/revoke"),
        "enrol": lambda: client.post("/office/tills/enrolment-code", {"store_id": theirs.store_id(0)}),
        "staff": lambda: client.post(f"/office/staff/{theirs.staff('staff', theirs.store_id(0))['id']}/pin"),
    }
    response = requests[path]()
    assert response.status_code == 404, response.text[:500]
    assert theirs.document["name"] not in response.text


def test_no_list_page_shows_another_merchants_rows(console: ConsoleWorld) -> None:
    ours, theirs = console.merchants
    rejected_push(console, theirs)
    client = console.signed_in(ours.admin)
    their_names = [store["name"] for store in theirs.document["stores"]]
    our_staff = {member["name"] for member in ours.document["staff"]}
    their_names += [member["name"] for member in theirs.document["staff"] if member["name"] not in our_staff]
    their_names.append(theirs.document["name"])
    their_cards = [card["card_number"] for card in theirs.document["cards"]]
    prefix = their_cards[0][:3]
    for path in [*PAGES, f"/office/cards?q={prefix}", "/office/?period=30d"]:
        for variant in ("", "&format=csv" if "?" in path else "?format=csv"):
            text = client.get(path + variant).text
            for name in [*their_names, *their_cards]:
                assert name not in text, (path + variant, name)
