"""What the till-kill test runs in a child process: open the ledger, sync, report progress."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from desktop.ledger import open_ledger
from sync.enrolment import engine_for
from sync.errors import SyncError


def sync_once(ledger_path: str, ready: Any, done: Any) -> None:
    """One sync round, then wait to be killed; `ready`/`done` are multiprocessing Events."""
    ledger = open_ledger(Path(ledger_path))
    identity = ledger.identity()
    assert identity is not None
    engine = engine_for(ledger, identity, timeout=10.0)
    ready.set()
    try:
        engine.run_once()
    except SyncError:
        pass
    done.set()
    threading.Event().wait(60)  # the parent kills us
