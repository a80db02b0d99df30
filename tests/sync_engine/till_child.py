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


def redeem_covered(ledger_path: str, staff_id: int, numbers: list[str], ready: Any, confirmed: Any) -> None:
    """A cashier's pace of free coffees on each card in turn, each put on `confirmed` (a
    multiprocessing queue) once the ledger returned it: what the cashier saw confirmed. Those no
    allowance covers (or the card cannot pay) are not recorded: no manager approves them here.
    Runs until killed."""
    import time

    from desktop.ledger import AtRiskNeedsApproval, Refused

    ledger = open_ledger(Path(ledger_path))
    staff = next(member for member in ledger.staff_members() if member.id == staff_id)
    ready.set()
    for number in numbers:
        try:
            recorded = ledger.redeem_reward(staff, number, "free-coffee")
        except (AtRiskNeedsApproval, Refused):
            continue  # not covered, or not enough points at this till: nothing recorded
        confirmed.put(recorded.transaction.id)
        time.sleep(0.005)
    threading.Event().wait(60)  # the parent kills us
