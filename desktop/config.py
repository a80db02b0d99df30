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
    device_name: str = "Till"
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
        known = {f.name: f.type for f in fields(cls)}
        values = {key: value for key, value in raw.items() if key in known} if isinstance(raw, dict) else {}
        try:
            return cls(**values)
        except TypeError:
            log.warning("ignoring bad settings in %s", path)
            return cls()
