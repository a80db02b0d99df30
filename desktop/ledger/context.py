"""What every part of the ledger shares: the database, the clock and the cached till configuration."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update

from desktop.ledger.db import Database
from desktop.ledger.errors import ClockWrong
from desktop.ledger.models import RowLike, device_state, staff
from sync.ports import DeviceIdentity
from sync.protocol import Program, Role
from sync.rules import StaffMember, local_day

if TYPE_CHECKING:
    from sync.transport import ServerClock

Clock = Callable[[], datetime]
# The server refuses a transaction_at more than 24 h after its clock (invalid_transaction_at); the
# till stops well before: a clock this far from the server's records nothing until it is fixed.
MAX_CLOCK_OFFSET = timedelta(hours=12)

BUMP_SEQ = (
    update(device_state)
    .where(device_state.c.id == 1)
    .values(last_seq=device_state.c.last_seq + 1)
    .returning(device_state.c.last_seq, device_state.c.config_generation)
)
BUMP_GENERATION = (
    update(device_state)
    .where(device_state.c.id == 1)
    .values(config_generation=device_state.c.config_generation + 1)
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def store_day_bounds(moment: datetime, timezone: str) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of the store-local calendar day holding `moment`."""
    zone = ZoneInfo(timezone)
    day = local_day(moment, timezone)
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


@dataclass(frozen=True, slots=True)
class TillConfig:
    """Identity, program and staff as of one config generation (they change only on enrolment or pull)."""

    generation: int
    identity: DeviceIdentity | None
    program: Program | None
    staff: Mapping[int, StaffMember] = field(default_factory=lambda: MappingProxyType({}))


def identity_from_row(row: RowLike) -> DeviceIdentity | None:
    if row["device_id"] is None:
        return None
    return DeviceIdentity(
        device_id=row["device_id"],
        token=row["token"],
        server_url=row["server_url"],
        store_id=row["store_id"],
        store_name=row["store_name"],
        store_timezone=row["store_timezone"],
        merchant_id=row["merchant_id"],
        merchant_name=row["merchant_name"],
    )


def load_config(conn: Connection) -> TillConfig:
    row = conn.execute(select(device_state).where(device_state.c.id == 1)).mappings().one()
    program_json = row["program_json"]
    program = Program.model_validate_json(program_json) if program_json else None
    members = {
        r.id: StaffMember(id=r.id, role=Role(r.role), store_id=r.store_id, is_active=r.is_active)
        for r in conn.execute(select(staff.c.id, staff.c.role, staff.c.store_id, staff.c.is_active))
    }
    return TillConfig(
        generation=row["config_generation"],
        identity=identity_from_row(row),
        program=program,
        staff=MappingProxyType(members),
    )


class ConfigCache:
    """Keeps the parsed configuration; reloads it when the stored generation moved on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: TillConfig | None = None

    def at(self, conn: Connection, generation: int) -> TillConfig:
        with self._lock:
            cached = self._config
        if cached is not None and cached.generation == generation:
            return cached
        fresh = load_config(conn)
        with self._lock:
            self._config = fresh
        return fresh

    def at_generation(self, db: Database, generation: int) -> TillConfig:
        """The configuration of `generation`, read through a fresh snapshot when not cached.

        Called under the write lock, so nothing can commit in between: the snapshot sees
        exactly that generation.
        """
        with self._lock:
            cached = self._config
        if cached is not None and cached.generation == generation:
            return cached
        with db.read() as conn:
            return self.at(conn, generation)

    def current(self, conn: Connection) -> TillConfig:
        generation = conn.execute(select(device_state.c.config_generation)).scalar_one()
        return self.at(conn, generation)


class ClockGuard:
    """Holds the server's clock as the last sync read it (sync.transport.ServerClock) and refuses new
    transactions while the till's clock is more than MAX_CLOCK_OFFSET from it. The server's time is
    carried forward on the monotonic clock, so a clock set right is noticed at once, offline too."""

    def __init__(self) -> None:
        self._reading: ServerClock | None = None

    def set(self, reading: ServerClock | None) -> None:
        self._reading = reading  # one reference swap: safe across threads

    def check(self, now: datetime) -> None:
        reading = self._reading
        if reading is None:
            return
        offset = reading.offset(now)
        if abs(offset) > MAX_CLOCK_OFFSET.total_seconds():
            raise ClockWrong(offset)


@dataclass(frozen=True, slots=True)
class Context:
    db: Database
    clock: Clock
    config: ConfigCache
    guard: ClockGuard = field(default_factory=ClockGuard)

    def now(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the ledger's clock must return UTC-aware datetimes")
        return moment
