"""What every screen shares: the ledger runner, the sync bridge, who is signed in, the programme."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop.config import TillSettings
from desktop.ui.card_lookup import CardLookup
from desktop.ui.ops import BackgroundRunner, Change, LedgerRunner, LedgerTask, Op
from desktop.ui.sync_bridge import SyncBridge
from sync.ports import DeviceIdentity
from sync.protocol import Program, Role

if TYPE_CHECKING:
    from desktop.ledger import StaffView

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DemoHint:
    """A demo staff member's PIN, shown on the lock screen in demo mode only."""

    name: str
    role: str
    pin: str


@dataclass(slots=True)
class Session:
    staff: StaffView | None = None  # the signed-in staff member, or None when locked
    program: Program | None = None
    identity: DeviceIdentity | None = None
    demo_hints: list[DemoHint] = field(default_factory=list)


class TillContext(QObject):
    """Passed to every screen; signals here say what happened to the till as a whole."""

    signed_in = Signal(object)  # StaffView
    locked = Signal()
    session_ended = Signal(str)  # why, for the lock screen (e.g. too many wrong PINs in the session)
    program_loaded = Signal(object)  # Program | None
    clock_checked = Signal(object)  # float | None: how far this till's clock is ahead of the server's

    def __init__(
        self,
        runner: LedgerRunner,
        bridge: SyncBridge,
        *,
        settings: TillSettings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.bridge = bridge
        self.settings = settings or TillSettings()
        self.session = Session()
        self.lookup = CardLookup(self)  # a card's transactions elsewhere, from the server
        self.network = BackgroundRunner("network", parent=self)  # enrolment, the demo's start
        self.server_clock: Any = None  # sync.transport.ServerClock, as the latest sync read it
        self.clock_offset: float | None = None  # seconds this till's clock is ahead of the server's
        runner.add_recorded_listener(bridge.notify_recorded)
        runner.ledger_changed.connect(self.on_runner_ledger_changed)
        bridge.ledger_touched.connect(runner.ledger_changed)
        bridge.state_changed.connect(self.on_bridge_state_changed)

    def op(self, parent: QObject, task: LedgerTask[T]) -> Op[T]:
        return self.runner.op(parent, task)

    @property
    def staff(self) -> StaffView | None:
        return self.session.staff

    @property
    def program(self) -> Program | None:
        return self.session.program

    def staff_at_least(self, role: Role) -> bool:
        staff = self.session.staff
        return staff is not None and Role(staff.role).at_least(role)

    def sign_in(self, staff: StaffView) -> None:
        self.session.staff = staff
        self.signed_in.emit(staff)

    def lock(self) -> None:
        self.session.staff = None
        self.locked.emit()

    def close(self) -> None:
        """On exit: the network thread and the card lookups stop (the ledger's runner closes apart)."""
        self.lookup.close()
        self.network.close()

    def end_session(self, reason: str) -> None:
        """Lock the till now and say why on the lock screen."""
        self.session_ended.emit(reason)

    def reload_program(self) -> None:
        self.op(self, lambda ledger: (ledger.program(), ledger.identity())).success(self._on_program).run()

    def _on_program(self, loaded: tuple[Program | None, DeviceIdentity | None]) -> None:
        self.session.program, self.session.identity = loaded
        self.program_loaded.emit(self.session.program)

    def on_bridge_state_changed(self, state: Any) -> None:
        """Each sync reads the server's clock: the ledger refuses new transactions while this
        till's clock is far from it (checked on the ledger thread, at each verb)."""
        reading = getattr(state, "server_clock", None)
        if reading is None or reading is self.server_clock:
            return
        self.server_clock = reading
        self.clock_offset = getattr(state, "clock_offset", None)
        self.op(self, lambda ledger: ledger.set_server_clock(reading)).run()
        self.clock_checked.emit(self.clock_offset)

    def on_runner_ledger_changed(self, changes: Change) -> None:
        if changes & (Change.PROGRAM | Change.IDENTITY):
            self.reload_program()
