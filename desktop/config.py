"""Where the till keeps its files and the few settings it reads from its data folder."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, fields
from pathlib import Path

from platformdirs import user_data_dir

log = logging.getLogger(__name__)

APP_NAME = "loyalty-till"
LEDGER_FILE = "ledger.db"
SETTINGS_FILE = "settings.json"
DATA_DIR_ENV = "LOYALTY_TILL_DATA_DIR"


def default_data_dir() -> Path:
    """The platform's user data folder (LOYALTY_TILL_DATA_DIR overrides it)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def ledger_path(data_dir: Path) -> Path:
    return data_dir / LEDGER_FILE


@dataclass(frozen=True, slots=True)
class TillSettings:
    """Settings a shop may change in `settings.json` in the data folder; defaults otherwise."""

    idle_lock_minutes: float = 3.0
    sync_interval_seconds: float = 15.0
    device_name: str = ""  # empty: the computer's name
    full_screen: bool = False

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
    return isinstance(value, type(default))
