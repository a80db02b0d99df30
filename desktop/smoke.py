"""`loyalty-till --smoke-test`: the real till opens, signs in, records one purchase, syncs it and exits."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
DEFAULT_TIMEOUT_S = 60.0
POLL_MS = 250  # how often the smoke test asks the ledger whether its transaction was accepted
PURCHASE_CENTS = 500
STARTED = time.perf_counter()  # as soon as the entry point imports this module


@dataclass(slots=True)
class SmokePlan:
    data_dir: Path
    staff_id: int | None
    staff_name: str | None
    pin: str | None
    card: str | None
    demo: bool
    until_lock_screen: bool
    timeout_s: float


@dataclass(slots=True)
class SmokeResult:
    """What the smoke test prints as one JSON line on stdout."""

    ok: bool
    why: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        head: dict[str, Any] = {"smoke": "ok"} if self.ok else {"smoke": "failed", "why": self.why}
        return json.dumps(head | self.figures)


def parse(argv: Sequence[str]) -> SmokePlan:
    parser = argparse.ArgumentParser(
        prog="loyalty-till --smoke-test",
        description="Open the till offscreen or on screen, sign in, record one purchase, sync it, exit.",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="an enrolled till's data folder")
    parser.add_argument("--demo", action="store_true", help="use the embedded demo server and its data")
    parser.add_argument("--staff-id", type=int, default=None)
    parser.add_argument("--staff-name", default=None, help="instead of --staff-id")
    parser.add_argument("--pin", default=None)
    parser.add_argument("--card", default=None, help="the card to record the purchase on")
    parser.add_argument(
        "--until-lock-screen", action="store_true", help="stop once the lock screen is shown (start time)"
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds for everything")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(list(argv))
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.demo and not args.until_lock_screen:
        missing = [name for name in ("pin", "card") if getattr(args, name) is None]
        if args.staff_id is None and args.staff_name is None:
            missing.append("staff_id")
        if missing:
            parser.error("needs " + ", ".join(f"--{m.replace('_', '-')}" for m in missing) + " (or --demo)")
    from desktop.config import data_dir_for

    return SmokePlan(
        data_dir=data_dir_for(args.data_dir, demo=args.demo),
        staff_id=args.staff_id,
        staff_name=args.staff_name,
        pin=args.pin,
        card=args.card,
        demo=args.demo,
        until_lock_screen=args.until_lock_screen,
        timeout_s=args.timeout,
    )


def elapsed_ms() -> int:
    return round((time.perf_counter() - STARTED) * 1000)


class SmokeRun(QObject):
    """Drives the running till through its public paths: the window's signals, ops on the ledger thread,
    the context's sign-in and the sync bridge. Nothing here touches SQL or HTTP on the GUI thread."""

    def __init__(self, till: Any, plan: SmokePlan, finish: Callable[[SmokeResult], None]) -> None:
        super().__init__(till.window)
        self.till = till
        self.plan = plan
        self._finish = finish
        self.figures: dict[str, Any] = {}
        self.transaction_id: str | None = None
        self.card = ""
        self._sync_asked = False
        self._done = False
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.setInterval(round(plan.timeout_s * 1000))
        self._deadline.timeout.connect(self.on_deadline_timeout)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.on_poll_timeout)
        self._step = "waiting for the lock screen"
        till.window.lock_screen_shown.connect(self.on_window_lock_screen_shown)
        till.runner.problem_raised.connect(self.on_runner_problem_raised)

    def begin(self) -> None:
        """Call after `till.start()`: its ledger opens first on the ledger thread, then this asks."""
        self._deadline.start()
        if not self.plan.demo:
            self.till.context.op(self, lambda ledger: ledger.identity()).success(self._identity_known).run()

    def _identity_known(self, identity: Any) -> None:
        if identity is None:
            self._fail("this till is not enrolled: run `loyalty-till enrol --server URL --code CODE` first")

    # --- steps, in order -------------------------------------------------------------------

    def on_window_lock_screen_shown(self) -> None:
        if "lock_screen_ms" in self.figures:
            return  # locked again later: not a start
        self.figures["lock_screen_ms"] = elapsed_ms()
        log.info("smoke: lock screen after %d ms", self.figures["lock_screen_ms"])
        if self.plan.until_lock_screen:
            self._succeed()
            return
        self._step = "signing in"
        staff_id, name, pin = self._credentials()
        self.till.context.op(self, lambda ledger: _sign_in(ledger, staff_id, name, pin)).success(
            self._signed_in
        ).failure(self._failed).run()

    def _credentials(self) -> tuple[int | None, str | None, str]:
        """Who signs in: as asked, or in the demo the first staff member its lock screen hints at."""
        plan = self.plan
        if plan.staff_id is not None or plan.staff_name is not None or not plan.demo:
            return plan.staff_id, plan.staff_name, plan.pin or ""
        hints = [h for h in self.till.context.session.demo_hints if h.role == "staff"]
        if not hints:
            return None, "(a demo staff member)", ""
        return None, hints[0].name, hints[0].pin

    def _signed_in(self, staff: Any) -> None:
        self.figures["signed_in_ms"] = elapsed_ms()
        self.till.context.sign_in(staff)  # the window shows the card screen, as after a typed PIN
        self._step = "recording a purchase"
        card, data_dir = self.plan.card, self.plan.data_dir
        self.till.context.op(self, lambda ledger: _record(ledger, staff, card, data_dir)).changes(
            _recorded_change()
        ).success(self._recorded).failure(self._failed).run()

    def _recorded(self, recorded: Any) -> None:
        self.transaction_id = str(recorded.transaction.id)
        self.card = str(recorded.transaction.card_number)
        self.figures["transaction_id"] = self.transaction_id
        self.figures["card"] = self.card
        self.figures["recorded_ms"] = elapsed_ms()
        self.till.window.card_screen.show_card(recorded.card)
        self._step = "waiting for the sync to accept the purchase"
        self.till.bridge.state_changed.connect(self.on_bridge_state_changed)
        self._poll.start()
        self.on_poll_timeout()

    def on_bridge_state_changed(self, _state: Any) -> None:
        self.on_poll_timeout()

    def on_poll_timeout(self) -> None:
        if self._done or self.transaction_id is None:
            return
        if not self._sync_asked and self.till.worker is not None:
            # Till has no "sync worker started" signal: each poll looks until the worker is there.
            self._sync_asked = True
            self.till.bridge.sync_now()
        card = self.card
        self.till.context.op(self, lambda ledger: ledger.card_history(card, limit=20)).success(
            self._check_history
        ).failure(self._failed).run()

    def _check_history(self, history: list[Any]) -> None:
        mine = [tx for tx in history if str(tx.id) == self.transaction_id]
        if not mine or self._done:
            return
        state = mine[0].sync_state
        if state == "accepted":
            self.figures["accepted_ms"] = elapsed_ms()
            self._succeed()
        elif state == "rejected":
            self._fail(f"the server rejected the purchase: {mine[0].reason_text or mine[0].reason}")

    # --- endings ---------------------------------------------------------------------------

    def on_deadline_timeout(self) -> None:
        self._fail(f"timed out after {self.plan.timeout_s:g} s while {self._step}")

    def on_runner_problem_raised(self, title: str, message: str) -> None:
        self._fail(f"{title}: {message}")

    def _failed(self, error: BaseException) -> None:
        title = getattr(error, "title", type(error).__name__)
        message = getattr(error, "message", str(error))
        self._fail(f"{title}: {message} (while {self._step})")

    def _succeed(self) -> None:
        self._end(SmokeResult(ok=True, figures=self.figures))

    def _fail(self, why: str) -> None:
        self._end(SmokeResult(ok=False, why=why, figures=self.figures))

    def _end(self, result: SmokeResult) -> None:
        if self._done:
            return
        self._done = True
        self._deadline.stop()
        self._poll.stop()
        self._finish(result)


def _sign_in(ledger: Any, staff_id: int | None, name: str | None, pin: str) -> Any:
    """On the ledger thread: the lock screen's PIN check, for a staff id or a name."""
    if staff_id is None:
        matches = [member.id for member in ledger.staff_members() if member.name == name]
        if not matches:
            raise LookupError(f"no staff member named {name!r} on this till")
        staff_id = matches[0]
    return ledger.login(staff_id, pin)


def _record(ledger: Any, staff: Any, card: str | None, data_dir: Path) -> Any:
    """On the ledger thread: points for a purchase when the programme has points, else a stamp."""
    number = card or _first_demo_card(data_dir)
    program = ledger.program()
    if program is not None and program.has_points:
        reference = f"smoke-{uuid.uuid4().hex[:12]}"
        return ledger.earn_points(
            staff, number, purchase_amount_cents=PURCHASE_CENTS, order_reference=reference
        )
    return ledger.add_stamp(staff, number)


def _first_demo_card(data_dir: Path) -> str:
    from desktop.demo import SEED_FILE

    document = json.loads((data_dir / SEED_FILE).read_text(encoding="utf-8"))
    return str(document["merchants"][0]["cards"][0]["card_number"])


def _recorded_change() -> Any:
    from desktop.ui.ops import Change

    return Change.RECORDED  # announced like the card screen's verbs: sync is woken, screens refresh


def run(plan: SmokePlan) -> int:
    """Open the real till (as `loyalty-till` does), drive it, shut it down through Till.stop()."""
    from desktop.app import Till, quit_on_signals, tune_interpreter
    from desktop.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Loyalty till")
    tune_interpreter()
    apply_theme(app)
    till = Till(plan.data_dir, demo=plan.demo)
    outcome: list[SmokeResult] = []

    def finish(result: SmokeResult) -> None:
        outcome.append(result)
        # At once, so a script timing the start reads it before the shutdown; the exit code follows.
        print(result.line(), flush=True)  # noqa: T201 - the smoke test's answer, for scripts
        app.exit(EXIT_OK if result.ok else EXIT_FAILED)

    smoke = SmokeRun(till, plan, finish)
    quit_on_signals(app)
    till.start()
    smoke.begin()
    try:
        code = int(app.exec())
    finally:
        till.stop()
        till.window.close()
    if not outcome:
        print(SmokeResult(ok=False, why="the till was closed before the end").line(), flush=True)  # noqa: T201
        return EXIT_FAILED
    log.info("smoke: stopped cleanly after %d ms", elapsed_ms())
    return code


def main(argv: Sequence[str]) -> int:
    return run(parse(argv))
