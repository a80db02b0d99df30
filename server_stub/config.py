"""Server settings: the database URL (flag, env, or a SQLite file in the user data dir) and defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DATABASE_URL_ENV = "LOYALTY_DATABASE_URL"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


@dataclass(frozen=True, slots=True)
class Settings:
    """What the server needs to run; PIN lockout values are the global defaults."""

    database_url: str
    pin_max_attempts: int = 5
    pin_lockout_minutes: int = 15
    enrolment_code_hours: int = 24


def default_database_url() -> str:
    folder = Path(platformdirs.user_data_dir("loyalty-server", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'server.db'}"


def resolve_database_url(flag: str | None) -> str:
    """The --database-url flag, else LOYALTY_DATABASE_URL, else the default SQLite file."""
    return flag or os.environ.get(DATABASE_URL_ENV) or default_database_url()
