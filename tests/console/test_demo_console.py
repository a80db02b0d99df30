"""The demo prepares the console: a user whose sign-in it prints, today's sales, a rejection to repair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.demo import load_or_seed, start_server
from desktop.demo_office import OFFICE_FILE, prepare_console
from tests.console.helpers import Browserless, page_text


def test_the_demo_console_shows_todays_sales_the_tills_and_a_rejection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = load_or_seed(tmp_path)
    server = start_server(tmp_path)
    try:
        hint = prepare_console(tmp_path, document, server.url, f"sqlite:///{tmp_path / 'demo-server.db'}")
        printed = capsys.readouterr().out
        assert f"{server.url}/office/" in printed and hint.username in printed and hint.password in printed
        assert oct((tmp_path / OFFICE_FILE).stat().st_mode & 0o777) == "0o600"
        again = prepare_console(tmp_path, document, server.url, f"sqlite:///{tmp_path / 'demo-server.db'}")
        assert again == hint  # the same user next time; today's activity is not pushed twice
        client = Browserless(server.url)
        assert client.sign_in(hint.username, hint.password).status_code == 303
        figures = client.get("/office/").text
        assert 'data-figure="transactions"><div class="value">0<' not in figures
        assert 'data-figure="rejections"><div class="value">1<' in figures
        inbox = page_text(client.get("/office/rejections").text)
        assert "This card has had all the stamps allowed today." in inbox
        tills = page_text(client.get("/office/tills").text)
        assert all(store["name"] in tills for store in document["merchants"][0]["stores"])
        assert json.loads((tmp_path / OFFICE_FILE).read_text())["username"] == hint.username
        client.http.close()
    finally:
        server.stop()
