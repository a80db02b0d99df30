"""Helpers for the head-office tests: an admin client, a second merchant, problem checks, paging."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.server.factories import World, make_world

PROBLEM = "application/problem+json"


def office(world: World) -> httpx.Client:
    """An httpx client carrying the world's admin token."""
    return world.client(world.admin_token)


@contextmanager
def another_merchant(world: World) -> Iterator[World]:
    other = make_world(world.url, world.database)
    try:
        yield other
    finally:
        other.close()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    return body


def ok_json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def all_pages(client: httpx.Client, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a list, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        page = ok_json(client.get(path, params=query))
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def at(day: str, time: str = "12:00:00") -> str:
    """An RFC 3339 UTC time on `day` (YYYY-MM-DD)."""
    return f"{day}T{time}+00:00"
