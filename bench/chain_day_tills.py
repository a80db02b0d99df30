"""The tills of bench/chain_day.py living through their day: ledgers on a simulated clock, a sync
engine each, customers served, lines going down and up, and what became of every redemption."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bench.allowance_world import CASHIER_PIN, MANAGER_PIN, REWARD, REWARD_POINTS, TillIssued
from desktop.ledger import CardView, Ledger, Refused, StaffView, open_ledger
from sync.engine import SyncEngine
from sync.errors import Offline
from sync.transport import SyncClient
from tests.support.live_server import free_port

DEAD = f"http://127.0.0.1:{free_port()}"  # nothing listens there: a till's line is down
FRESH = timedelta(minutes=1)  # an online till's worker runs a round every minute


class SimClock:
    """The simulated time every till's ledger and engine read."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Event:
    at: datetime
    kind: str  # visit, round, line_down, line_up, vacuum
    till: int  # -1 for vacuum
    card: str = ""
    cents: int = 0
    wants: float = 1.0  # the customer redeems when this is below the chance and the card can pay
    number: int = 0


@dataclass(frozen=True)
class Redemption:
    till: int
    id: str
    offline: bool
    kind: str  # the till's coverage when it recorded it: covered, online, at_risk, off
    held_elsewhere: bool = False  # online, refused though the card had the points (held for others)


@dataclass
class DayResult:
    visits: int = 0
    turned_away: int = 0  # redemptions the till itself refused (the rules, by its own view)
    recorded: list[Redemption] = field(default_factory=list)
    states: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # id -> (state, reason)
    pending_left: int = 0
    server_faults: int = 0

    def outcomes_from(self, folder: Path) -> None:
        """Each redemption's final state, read from the tills' ledger files."""
        for path in sorted(folder.glob("till*/ledger.db")):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                for ident, state, reason in conn.execute(
                    "SELECT id, sync_state, reason FROM transactions WHERE type = 'points_redeemed'"
                ):
                    self.states[ident] = (state, reason)
                (pending,) = conn.execute(
                    "SELECT count(*) FROM transactions WHERE sync_state = 'pending'"
                ).fetchone()
                self.pending_left += pending

    def _count(
        self,
        *,
        offline: bool | None = None,
        kinds: tuple[str, ...] = (),
        refused: bool = False,
        tills: set[int] | None = None,
    ) -> int:
        return sum(
            1
            for r in self.recorded
            if (offline is None or r.offline == offline)
            and (not kinds or r.kind in kinds)
            and (not refused or self.states[r.id][0] == "rejected")
            and (tills is None or r.till in tills)
        )

    def online_at(self, tills: set[int], *, refused: bool = False) -> int:
        """Online redemptions at these tills (refused ones only, if asked)."""
        return self._count(offline=False, refused=refused, tills=tills)

    @property
    def refused_held_elsewhere(self) -> int:
        return sum(1 for r in self.recorded if r.held_elsewhere)

    @property
    def redemptions(self) -> int:
        return len(self.recorded)

    @property
    def offline(self) -> int:
        return self._count(offline=True)

    @property
    def online(self) -> int:
        return self._count(offline=False)

    @property
    def covered_offline(self) -> int:
        return self._count(offline=True, kinds=("covered",))

    @property
    def covered_online(self) -> int:
        return self._count(offline=False, kinds=("covered",))

    @property
    def at_risk(self) -> int:
        return self.offline - self.covered_offline

    @property
    def refused_offline(self) -> int:
        return self._count(offline=True, refused=True)

    @property
    def refused_online(self) -> int:
        return self._count(offline=False, refused=True)

    @property
    def refused(self) -> int:
        return self._count(refused=True)

    def faults(self) -> list[str]:
        found = []
        refused_covered = self._count(kinds=("covered",), refused=True)
        if refused_covered:
            found.append(f"{refused_covered} covered redemption(s) refused")
        if self.pending_left:
            found.append(f"{self.pending_left} transaction(s) still pending at the end of the day")
        if self.server_faults:
            found.append(f"{self.server_faults} card(s) negative, off their ledger, or short of their holds")
        unknown = [r.id for r in self.recorded if r.id not in self.states]
        if unknown:
            found.append(f"{len(unknown)} redemption(s) missing from their ledgers")
        return found


@dataclass
class SimTill:
    index: int
    ledger: Ledger
    engine: SyncEngine
    dead: SyncEngine  # the same till's engine when its line is down
    staff: StaffView
    manager: StaffView
    online: bool = True
    last_round: datetime | None = None


class Tills:
    """Every till of the chain, served customers and synced in the order events come."""

    def __init__(self, tills: list[SimTill], clock: SimClock, *, redeem: float) -> None:
        self.tills = tills
        self.clock = clock
        self.redeem = redeem

    @classmethod
    def open(
        cls, folder: Path, issued: list[TillIssued], url: str, clock: SimClock, *, redeem: float
    ) -> Tills:
        tills = []
        for index, till in enumerate(issued):
            ledger = open_ledger(folder / f"till{index}" / "ledger.db", clock=clock)
            tills.append(
                SimTill(
                    index=index,
                    ledger=ledger,
                    engine=SyncEngine(ledger, SyncClient(url, till.token, timeout=60), clock=clock),
                    dead=SyncEngine(ledger, SyncClient(DEAD, till.token, timeout=5), clock=clock),
                    staff=ledger.login(till.cashier_id, CASHIER_PIN),
                    manager=ledger.login(till.manager_id, MANAGER_PIN),
                )
            )
        return cls(tills, clock, redeem=redeem)

    def close(self) -> None:
        for till in self.tills:
            till.engine.close()
            till.dead.close()
            till.ledger.close()

    def live(self, events: list[Event], *, end: datetime, vacuum: Callable[[], None]) -> DayResult:
        """The morning round of every till, the day's events, and the evening's rounds."""
        result = DayResult()
        for till in self.tills:
            self._round(till)  # the programme of the day; with allowances on, each till's allowances
        for event in events:
            self.clock.now = event.at
            if event.kind == "vacuum":
                vacuum()
                continue
            till = self.tills[event.till]
            if event.kind == "visit":
                self._visit(till, event, result)
            elif event.kind == "round" and till.online:
                self._round(till)
            elif event.kind == "line_down":
                self._round(till)  # the worker's last good round, moments before the line went
                self._line_down(till)
            elif event.kind == "line_up":
                till.online = True
                self._round(till)
        self.clock.now = end
        for _ in range(2):  # everything sent, then every till sees everyone's
            for till in self.tills:
                till.online = True
                self._round(till)
        return result

    def _round(self, till: SimTill) -> None:
        till.engine.run_once()
        till.last_round = self.clock.now

    def _line_down(self, till: SimTill) -> None:
        """The worker's next round fails: from now on the ledger knows it is offline."""
        till.online = False
        try:
            till.dead.run_once()
        except Offline:
            return
        raise AssertionError("a round to nowhere succeeded")

    def _visit(self, till: SimTill, event: Event, result: DayResult) -> None:
        result.visits += 1
        view = till.ledger.find_card(event.card)
        if event.wants < self.redeem and _can_pay(view):
            stale = till.last_round is None or self.clock.now - till.last_round > FRESH
            if till.online and stale:
                self._round(till)  # what the worker's minute round would have fetched by now
                view = till.ledger.find_card(event.card)
            if _can_pay(view):
                self._redeem(till, event, result)
                return
        till.ledger.earn_points(
            till.staff, event.card, purchase_amount_cents=event.cents, order_reference=f"v{event.number}"
        )

    def _redeem(self, till: SimTill, event: Event, result: DayResult) -> None:
        kind = till.ledger.coverage(event.card).kind(points=REWARD_POINTS)
        try:
            recorded = till.ledger.redeem_reward(till.staff, event.card, REWARD, approved_by=till.manager)
        except Refused:
            result.turned_away += 1
            return
        ident = recorded.transaction.id
        if not till.online:
            result.recorded.append(Redemption(till.index, ident, True, kind))
            return
        self._round(till)  # the worker sends it at once: judged while the customer is there
        state = next(t.sync_state for t in till.ledger.card_history(event.card, limit=20) if t.id == ident)
        after = till.ledger.find_card(event.card)
        held = state == "rejected" and after is not None and after.confirmed_points_balance >= REWARD_POINTS
        result.recorded.append(Redemption(till.index, ident, False, kind, held_elsewhere=held))


def _can_pay(view: CardView | None) -> bool:
    return view is not None and view.is_active and view.points_balance >= REWARD_POINTS
