"""The README tells a new user what the till needs and where things are, and links only to what exists."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def text() -> str:
    return README.read_text(encoding="utf-8")


def test_every_link_of_the_readme_is_a_file_of_the_repository() -> None:
    targets = [target for target in LINK.findall(text()) if "://" not in target]
    assert targets
    missing = [target for target in targets if not (README.parent / target).exists()]
    assert missing == []
    assert "PROTOCOL.md" not in text(), "the contract is docs/protocol.md, in this repository"


def test_the_readme_says_the_till_needs_a_display_and_what_qt_needs_on_a_bare_linux() -> None:
    assert "needs a display" in text()
    for package in ("libxcb-cursor0", "libxkbcommon-x11-0", "libegl1"):
        assert package in text(), package
    assert "QT_QPA_PLATFORM=offscreen" in text()


def test_the_readme_lists_the_demo_cards_and_where_the_data_folder_is() -> None:
    for number in range(1, 7):
        assert f"BT-000{number}" in text()
    assert "~/.local/share/loyalty-till" in text()
    assert "LOYALTY_TILL_DATA_DIR" in text()
    assert "%LOCALAPPDATA%" in text()
