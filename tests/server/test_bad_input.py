"""Limits and bad input: 413 for size, 422 problem+json for anything malformed, no 500, nothing stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.server.factories import World
from tests.server.test_push import stored_count


def post_raw(world: World, raw: bytes | str) -> httpx.Response:
    return world.tills[0].client.post(
        "/v1/sync/push",
        content=raw,
        headers={"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
    )


def good_tx(world: World, **changes: Any) -> dict[str, Any]:
    tx = world.tills[0].tx("stamp_earned", "BAD-1", world.staff["staff0"], stamps_delta=1)
    tx.update(changes)
    return {key: value for key, value in tx.items() if value is not ...}


BAD_ITEMS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown type", {"type": "stamp_stolen"}, "/transactions/1/type"),
    ("string for an int", {"stamps_delta": "1"}, "/transactions/1/stamps_delta"),
    ("fraction for an int", {"stamps_delta": 1.5}, "/transactions/1/stamps_delta"),
    ("bool for an int", {"staff_id": True}, "/transactions/1/staff_id"),
    ("int32 overflow", {"points_delta": 2**31}, "/transactions/1/points_delta"),
    ("zero staff id", {"staff_id": 0}, "/transactions/1/staff_id"),
    ("negative purchase", {"purchase_amount_cents": -1}, "/transactions/1/purchase_amount_cents"),
    ("huge purchase", {"purchase_amount_cents": 1_000_000_001}, "/transactions/1/purchase_amount_cents"),
    ("time without offset", {"transaction_at": "2026-01-01T10:00:00"}, "/transactions/1/transaction_at"),
    ("not a uuid", {"id": "abc"}, "/transactions/1/id"),
    ("seq zero", {"seq": 0}, "/transactions/1/seq"),
    ("bad card number", {"card_number": "has space"}, "/transactions/1/card_number"),
    ("long card number", {"card_number": "A" * 33}, "/transactions/1/card_number"),
    ("long notes", {"notes": "n" * 1001}, "/transactions/1/notes"),
    ("long order reference", {"order_reference": "o" * 101}, "/transactions/1/order_reference"),
    ("nul byte", {"notes": "a\u0000b"}, "/transactions/1/notes"),
    ("nul in customer", {"customer": {"name": "a\u0000"}}, "/transactions/1/customer/name"),
    ("missing field", {"card_number": ...}, "/transactions/1/card_number"),
]


@pytest.mark.parametrize(("label", "changes", "loc"), BAD_ITEMS, ids=[b[0] for b in BAD_ITEMS])
def test_a_malformed_item_fails_the_whole_batch_with_422_and_stores_nothing(
    world: World, label: str, changes: dict[str, Any], loc: str
) -> None:
    card = world.new_card()
    good = world.tills[0].tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)
    bad = good_tx(world, **changes)
    before = stored_count(world)
    response = post_raw(world, json.dumps({"transactions": [good, bad]}))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "invalid_request" and problem["status"] == 422
    assert loc in [error["loc"] for error in problem["errors"]]
    assert stored_count(world) == before


def test_a_whole_number_written_with_a_fraction_or_exponent_is_that_integer(world: World) -> None:
    """JSON has one number type: 1.0 and 1e0 are the integer 1 (JSON Schema's `integer` says so too)."""
    till = world.tills[0]
    card = world.new_card()
    tx = till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)
    raw = json.dumps({"transactions": [tx]}).replace('"stamps_delta": 1', '"stamps_delta": 1.0')
    raw = raw.replace(f'"seq": {tx["seq"]}', f'"seq": {tx["seq"]}e0')
    response = post_raw(world, raw)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "accepted"
    assert till.card(card)["card"]["stamp_count"] == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"",
        b"null",
        b"[]",
        b'{"transactions": []}',
        b'{"transactions": {}}',
        b"\xff\xfe",
        b'{"transactions": [NaN]}',
        b'{"transactions": [], "extra": 1e400}',
        b'{"transactions": [], "extra": "\\ud800"}',
    ],
)
def test_malformed_json_and_empty_batches_are_422(world: World, raw: bytes) -> None:
    response = post_raw(world, raw)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


@pytest.mark.parametrize("extra", [b"NaN", b"-Infinity", b"1e400"])
def test_a_valid_batch_with_a_non_json_number_in_an_unknown_field_is_422_and_stores_nothing(
    world: World, extra: bytes
) -> None:
    """pydantic reads NaN and 1e400 where it ignores them; the strict reading behind the
    Idempotency-Key's hash does not, and that comes before anything is committed."""
    till = world.tills[0]
    txs = [till.tx("card_created", f"NAN-{uuid.uuid4().hex[:6]}", world.staff["staff0"])]
    body = json.dumps({"transactions": txs}).encode()
    key = str(uuid.uuid4())
    before = stored_count(world)
    response = till.client.post(
        "/v1/sync/push",
        content=body[:-1] + b', "extra": ' + extra + b"}",
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"
    assert "malformed JSON" in response.json()["errors"][0]["msg"]
    assert stored_count(world) == before
    # Neither the key nor the ids were used up: the clean body is applied under the same key.
    clean = till.client.post(
        "/v1/sync/push", content=body, headers={"Idempotency-Key": key, "Content-Type": "application/json"}
    )
    assert clean.status_code == 200, clean.text
    assert [result["status"] for result in clean.json()["results"]] == ["accepted"]


def test_deeply_nested_json_is_422_not_a_crash(world: World) -> None:
    response = post_raw(world, b'{"transactions": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_seq_not_increasing_or_repeated_ids_fail_the_batch(world: World) -> None:
    till = world.tills[0]
    card = world.new_card()
    first = till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)
    second = till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)
    before = stored_count(world)
    assert till.push([second, first]).status_code == 422
    assert till.push([first, dict(second, id=first["id"])]).status_code == 422
    assert till.push([first, dict(second, id=first["id"].upper())]).status_code == 422
    assert stored_count(world) == before


def test_more_than_1000_items_is_413_not_422(world: World) -> None:
    till = world.tills[0]
    txs = [till.tx("stamp_earned", "X-1", world.staff["staff0"], stamps_delta=1) for _ in range(1001)]
    response = till.push(txs)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_body_over_one_mebibyte_is_413_before_parsing(world: World) -> None:
    response = post_raw(world, b'{"transactions": [' + b" " * (1024 * 1024) + b"]}")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


OVERSIZED = b'{"transactions": [' + b" " * (1024 * 1024) + b"]}"
MALFORMED = b'{"transactions": ['


@pytest.mark.parametrize(
    ("token", "key", "body", "status", "code"),
    [
        (None, None, OVERSIZED, 401, "invalid_token"),
        ("not-a-token", "", MALFORMED, 401, "invalid_token"),
        ("till", None, OVERSIZED, 400, "idempotency_key_missing"),
        ("till", "bad\tkey", MALFORMED, 400, "idempotency_key_invalid"),
        ("till", "k", OVERSIZED, 413, "payload_too_large"),
        ("till", "k", MALFORMED, 422, "invalid_request"),
    ],
    ids=["no-token-oversized", "bad-token-malformed", "no-key", "bad-key", "oversized", "malformed"],
)
def test_a_push_answers_the_token_then_the_key_then_the_size_then_the_body(
    world: World, token: str | None, key: str | None, body: bytes, status: int, code: str
) -> None:
    client = world.client(world.tills[0].token if token == "till" else token)
    headers = {"Content-Type": "application/json"} | ({} if key is None else {"Idempotency-Key": key})
    before = stored_count(world)
    response = client.post("/v1/sync/push", content=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert stored_count(world) == before


def test_uuids_are_accepted_in_any_case_and_answered_in_lower_case(world: World) -> None:
    till = world.tills[0]
    card = world.new_card()
    tx = till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1)
    tx["id"] = tx["id"].upper()
    [result] = till.push_ok([tx])
    assert result["id"] == tx["id"].lower()


def test_unknown_extra_fields_are_ignored(world: World) -> None:
    till = world.tills[0]
    card = world.new_card()
    tx = till.tx("stamp_earned", card, world.staff["staff0"], stamps_delta=1, loyalty_v9_field={"x": 1})
    response = post_raw(world, json.dumps({"transactions": [tx], "future": True}))
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "accepted"


def test_unknown_routes_wrong_methods_and_bad_queries_are_problem_json(world: World) -> None:
    client = world.tills[0].client
    answers = [
        client.get("/v1/nothing"),
        client.delete("/v1/sync/push"),
        client.get("/v1/sync/pull", params={"limit": 0}),
        client.get("/v1/sync/pull", params={"limit": "many"}),
        client.get("/v1/sync/pull", params={"limit": 1001}),
    ]
    assert [(r.status_code, r.json()["code"]) for r in answers] == [
        (404, "not_found"),
        (405, "method_not_allowed"),
        (422, "invalid_request"),
        (422, "invalid_request"),
        (422, "invalid_request"),
    ]
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in answers)
    assert "Traceback" not in "".join(r.text for r in answers)


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /v1/sync/pull HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",  # a line that is no header
        b"POST /v1/sync/push HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n",  # an empty length
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"BREW /v1/health HTCPCP/1.0\r\n\r\n",
    ],
    ids=["no-colon", "empty-length", "two-lengths", "not-http"],
)
def test_a_request_that_is_not_valid_http_is_answered_as_problem_json(
    world: World, request_head: bytes
) -> None:
    """The HTTP layer's own 400 (before any route) is problem+json too, and the connection closes."""
    import socket

    host, port = httpx.URL(world.url).host, httpx.URL(world.url).port
    assert port is not None
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request_head)
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection after answering
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = (line.partition(":") for line in header_lines)
    headers = {name.lower(): value.strip() for name, _, value in fields}
    assert status_line.startswith("HTTP/1.1 400")
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Bad request",
        "status": 400,
        "detail": "The request is not valid HTTP.",
        "code": "bad_request",
    }
