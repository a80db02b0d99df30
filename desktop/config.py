"""Where the till keeps its files and the few settings it reads from its data folder."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import BinaryIO

from platformdirs import user_data_dir

log = logging.getLogger(__name__)

APP_NAME = "loyalty-till"
LEDGER_FILE = "ledger.db"
SETTINGS_FILE = "settings.json"
DATA_DIR_ENV = "LOYALTY_TILL_DATA_DIR"
DEMO_FOLDER = "demo"  # the demo's own folder inside the till's: its ledger never mixes with the real one
PRIVATE_DIR_MODE = 0o700  # the ledger holds the device token, staff PIN hashes and customer names
PRIVATE_FILE_MODE = 0o600


def data_dir_for(explicit: Path | None = None, *, demo: bool = False) -> Path:
    """The one place that decides the till's data folder, for every command and platform:
    `--data-dir` as given; else LOYALTY_TILL_DATA_DIR; else the platform's user data folder
    (~/.local/share/loyalty-till, %LOCALAPPDATA%\\loyalty-till, ~/Library/Application
    Support/loyalty-till). The demo keeps its own `demo` folder inside the latter two."""
    if explicit is not None:
        return explicit
    override = os.environ.get(DATA_DIR_ENV)
    base = Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))
    return base / DEMO_FOLDER if demo else base


def ensure_private_dir(path: Path) -> Path:
    """Create the data folder for this user only (0700), tightening one that exists."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def open_private(path: Path, *, append: bool = True) -> BinaryIO:
    """Open (creating it 0600 if new) a file of the data folder for writing bytes."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    descriptor = os.open(path, flags, PRIVATE_FILE_MODE)
    os.chmod(path, PRIVATE_FILE_MODE)
    return open(descriptor, "ab" if append else "wb")  # noqa: SIM115 - the caller closes it


def write_private_text(path: Path, text: str) -> None:
    with open_private(path, append=False) as file:
        file.write(text.encode("utf-8"))


def ledger_path(data_dir: Path) -> Path:
    return data_dir / LEDGER_FILE


@dataclass(frozen=True, slots=True)
class TillSettings:
    """Settings a shop may change in `settings.json` in the data folder; defaults otherwise."""

    idle_lock_minutes: float = 3.0
    sync_interval_seconds: float = 15.0
    device_name: str = ""  # empty: the computer's name
    full_screen: bool = False
    # A purchase above this (minor units) needs a manager's PIN; 0: 100 x the till's average
    # purchase, or 1,000.00 before it has enough (until the programme carries a limit).
    large_purchase_cents: int = 0
    on_screen_keypad: bool = True  # number pads in the amount dialogs, for touch screens
    language: str = ""  # "en" or "de"; empty: the store's (German for a store in Berlin, Vienna, Zurich)

    @classmethod
    def load(cls, data_dir: Path) -> TillSettings:
        path = data_dir / SETTINGS_FILE
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("ignoring unreadable settings file %s", path)
            return cls()
        if not isinstance(raw, dict):
            log.warning("ignoring settings that are not an object in %s", path)
            return cls()
        defaults = cls()
        values = {}
        for item in fields(cls):
            value = raw.get(item.name)
            if value is not None and _same_kind(value, getattr(defaults, item.name)):
                values[item.name] = value
            elif value is not None:
                log.warning("ignoring setting %s in %s: wrong type", item.name, path)
        return cls(**values)


def _same_kind(value: object, default: object) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and value > 0
    if isinstance(default, int):
        return isinstance(value, int) and value >= 0
    return isinstance(value, type(default))
