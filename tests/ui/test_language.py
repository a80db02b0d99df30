"""German as well as English: Qt's translations, chosen by the till's setting or its store, with
amounts and dates in the language's own way (EUR 1.234,50)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from desktop.app import Till
from desktop.config import TillSettings
from desktop.ui import format as words
from desktop.ui.dialogs import EarnPointsDialog
from desktop.ui.i18n import (
    ENGLISH,
    GERMAN,
    STORE_LANGUAGE_FILE,
    TRANSLATIONS,
    choose_language,
    install,
    language_of_store,
    remember_store_language,
)
from sync.protocol import Reason
from tests.ui.conftest import TillUnderTest, scan, sign_in
from tests.ui.test_dialog_keys import dialog_opened, press, type_keys

TOOLS = Path(sys.executable).parent


@pytest.fixture
def english_after() -> Iterator[None]:
    """The test may switch the whole application to German: English again afterwards."""
    yield
    app = QApplication.instance()
    assert app is not None
    install(app, ENGLISH)


@pytest.fixture
def german_till(open_till: Callable[..., TillUnderTest], english_after: None) -> TillUnderTest:
    return open_till(TillSettings(sync_interval_seconds=3600.0, language=GERMAN))


def test_a_german_till_speaks_german_and_writes_amounts_the_german_way(
    qtbot: QtBot, german_till: TillUnderTest
) -> None:
    window = german_till.window
    texts = [label.text() for label in window.lock_screen.findChildren(QLabel)]
    assert "Wer ist an der Kasse? Wählen Sie Ihren Namen." in texts
    sign_in(qtbot, window, "Sam Staff")
    scan(qtbot, window, "1001")
    assert window.card_screen.customer_panel.points_label.text() == "120 Punkte"
    assert window.card_screen.buttons["stamp"].text().startswith("Stempel geben")

    press(Qt.Key.Key_F3)
    dialog = dialog_opened(qtbot, window.card_screen, EarnPointsDialog)
    type_keys("1234,5")
    assert dialog.preview_label.text() == "+12.345"
    dialog.amount_edit.clear()
    type_keys("9999999")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.approval.asked)
    assert (
        "EUR 9.999.999,00 liegt über der Grenze dieser Kasse von EUR 1.000,00" in dialog.problem_label.text()
    )
    assert window.status_bar.pending_label.text() == "Alles synchronisiert"


def test_numbers_amounts_and_dates_follow_the_language(english_after: None) -> None:
    app = QApplication.instance()
    assert app is not None
    install(app, GERMAN)
    assert words.money(123450, "EUR") == "EUR 1.234,50"
    assert words.points_text(1234) == "+1.234 Punkte"
    assert words.long_date(date(2026, 3, 2)) == "Montag, 2. März 2026"
    install(app, ENGLISH)
    assert words.money(123450, "EUR") == "EUR 1,234.50"
    assert words.points_text(1234) == "+1,234 points"


def test_every_reason_reads_in_german(english_after: None) -> None:
    app = QApplication.instance()
    assert app is not None
    install(app, GERMAN)
    for reason in Reason:
        text = words.reason_words(reason)
        assert text and not text.startswith("reason:"), reason
    assert words.reason_words(Reason.INSUFFICIENT_POINTS) == "Nicht genug Punkte auf der Karte."
    install(app, ENGLISH)
    assert words.reason_words(Reason.INSUFFICIENT_POINTS) == "Not enough points on the card."


def test_the_language_is_the_settings_else_the_stores_remembered_from_the_last_run(tmp_path: Path) -> None:
    assert language_of_store("Europe/Berlin") == GERMAN
    assert language_of_store("Europe/Dublin") == ENGLISH
    assert choose_language("", tmp_path) == ENGLISH  # nothing known yet

    assert remember_store_language(tmp_path, "Europe/Berlin") is True
    assert remember_store_language(tmp_path, "Europe/Berlin") is False
    assert (tmp_path / STORE_LANGUAGE_FILE).read_text() == GERMAN

    assert choose_language("", tmp_path) == GERMAN
    assert choose_language(ENGLISH, tmp_path) == ENGLISH
    assert choose_language("klingon", tmp_path) == GERMAN


def test_a_till_whose_store_is_in_berlin_opens_in_german(
    qtbot: QtBot, tmp_path: Path, english_after: None
) -> None:
    remember_store_language(tmp_path, "Europe/Berlin")
    till = Till(tmp_path, demo=False, settings=TillSettings(sync_interval_seconds=3600.0))
    qtbot.addWidget(till.window)
    try:
        assert till.language == GERMAN
        assert till.window.card_screen.tabs.tabText(0) == "Verlauf"
    finally:
        till.stop()


def test_the_german_translation_is_complete_and_its_qm_current(tmp_path: Path) -> None:
    ts = tmp_path / "till_de.ts"
    shutil.copy(TRANSLATIONS / "till_de.ts", ts)
    sources = sorted(str(p) for p in (TRANSLATIONS.parent).glob("*.py")) + [
        str(TRANSLATIONS.parents[1] / "app.py")
    ]
    update = subprocess.run(  # noqa: S603 - Qt's own tool from this environment
        [str(TOOLS / "pyside6-lupdate"), *sources, "-no-obsolete", "-locations", "none", "-ts", str(ts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "0 new" in update.stdout, "texts not in the .ts: run pyside6-lupdate (see docs/screens.md)"
    assert 'type="unfinished"' not in ts.read_text(encoding="utf-8")
    assert ts.read_text(encoding="utf-8") == (TRANSLATIONS / "till_de.ts").read_text(encoding="utf-8")
    qm = tmp_path / "till_de.qm"
    subprocess.run(  # noqa: S603
        [str(TOOLS / "pyside6-lrelease"), str(ts), "-qm", str(qm)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert qm.read_bytes() == (TRANSLATIONS / "till_de.qm").read_bytes(), "run pyside6-lrelease"
