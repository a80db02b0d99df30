"""The till's languages: English (the source texts) and German, through Qt's translation system.

Every text a person reads goes through `tr()` (one context: the same English words read the same
everywhere). `desktop/ui/languages/till_de.ts` holds the German, `till_de.qm` is what Qt loads
(`pyside6-lupdate` finds new texts, `pyside6-lrelease` makes the .qm; tests keep both current).
The language comes from the till's setting, else from its store's time zone (a Berlin shop speaks
German), remembered from the last run because it is needed before the first screen is built.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

ENGLISH = "en"
GERMAN = "de"
LANGUAGES = (ENGLISH, GERMAN)
LOCALES = {ENGLISH: "en_GB", GERMAN: "de_DE"}
# Stores in these zones speak German (unless the till's setting says otherwise).
GERMAN_ZONES = frozenset(
    {"Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Busingen", "Europe/Vaduz"}
)
TRANSLATIONS = Path(__file__).resolve().parent / "languages"  # not "translations": the bundle drops Qt's
STORE_LANGUAGE_FILE = "store-language"

_installed: list[QTranslator] = []


def tr(text: str) -> str:
    """`text` (English) in the till's language."""
    return QCoreApplication.translate("", text)


def QT_TR_NOOP(text: str) -> str:  # noqa: N802 - the name pyside6-lupdate looks for
    """Marks `text` for translation where it is defined (a table of texts); tr() it where it is shown."""
    return text


def language_of_store(timezone: str | None) -> str:
    return GERMAN if timezone in GERMAN_ZONES else ENGLISH


def choose_language(setting: str, data_dir: Path | None) -> str:
    """The setting when it names a language; else the store's, as remembered in the data folder."""
    if setting in LANGUAGES:
        return setting
    if setting:
        log.warning("unknown language %r in the settings; using the store's", setting)
    if data_dir is not None:
        try:
            remembered = (data_dir / STORE_LANGUAGE_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            remembered = ""
        if remembered in LANGUAGES:
            return remembered
    return ENGLISH


def remember_store_language(data_dir: Path, timezone: str) -> bool:
    """Keep the store's language for the next start; True when it differs from what was kept."""
    from desktop.config import write_private_text

    language = language_of_store(timezone)
    path = data_dir / STORE_LANGUAGE_FILE
    try:
        if path.read_text(encoding="utf-8").strip() == language:
            return False
    except OSError:
        pass
    write_private_text(path, language)
    return True


def install(app: QCoreApplication, language: str) -> None:
    """Use `language` for every text and every number, amount and date from now on."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    QLocale.setDefault(QLocale(LOCALES.get(language, LOCALES[ENGLISH])))
    if language == ENGLISH:
        return
    for name, folder in (
        (f"till_{language}", TRANSLATIONS),
        (f"qtbase_{language}", Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))),
    ):
        translator = QTranslator(app)
        if translator.load(name, str(folder)):
            app.installTranslator(translator)
            _installed.append(translator)
        else:
            log.warning("no %s translation at %s", name, folder)
