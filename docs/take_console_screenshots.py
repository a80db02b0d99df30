"""Screenshots of the head-office console (the real demo server, Debian's Chromium) into docs/screenshots/.

.venv/bin/python docs/take_console_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "screenshots"

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

from desktop.demo import SERVER_DB_FILE, load_or_seed, start_server  # noqa: E402
from desktop.demo_office import ConsoleHint, prepare_console  # noqa: E402

PAGES = [
    ("office-dashboard", "/office/?period=7d", 1366),
    ("office-tills", "/office/tills", 1366),
    ("office-rejections", "/office/rejections", 1366),
    ("office-rejection", None, 1366),  # the first rejection's page, with its repair forms
    ("office-cards", "/office/cards?q=BT", 1366),
    ("office-card", "/office/cards/BT-0001", 1366),
    ("office-staff", "/office/staff", 1366),
    ("office-program", "/office/program", 1366),
    ("office-audit", "/office/audit", 1366),
    ("office-dashboard-tablet", "/office/", 1024),
]


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/office/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/office/")


def shoot(browser: Browser, url: str, hint: ConsoleHint) -> None:
    for name, path, width in PAGES:
        context = browser.new_context(base_url=url, viewport={"width": width, "height": 768})
        page = context.new_page()
        sign_in(page, hint.username, hint.password)
        if path is None:
            page.goto("/office/rejections")
            page.locator("#table-region tbody a", has_text="Open").first.click()
        else:
            page.goto(path)
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=not name.endswith("tablet"))
        context.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        document = load_or_seed(data_dir)
        server = start_server(data_dir)
        try:
            hint = prepare_console(data_dir, document, server.url, f"sqlite:///{data_dir / SERVER_DB_FILE}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                shoot(browser, server.url, hint)
                browser.close()
        finally:
            server.stop()
    print(f"screenshots in {OUT}")  # noqa: T201 - a script's answer
    return 0


if __name__ == "__main__":
    sys.exit(main())
