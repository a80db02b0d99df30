"""Factories for ledger tests: a ledger file in tmp_path, enrolled and seeded through apply_pull_page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desktop.ledger import Ledger, StaffView, open_ledger
from sync.pins import hash_pin
from sync.ports import DeviceIdentity
from sync.protocol import Program, ProgramType, PullResponse, Reward, Role, StaffOut, StoreOut

STORE_ID = 7
OTHER_STORE_ID = 8
TIMEZONE = "Europe/Berlin"
PIN = "4321"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning in Berlin


class FakeClock:
    """A clock the test moves by hand (the ledger asks it for 'now')."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_program(**overrides: Any) -> Program:
    fields: dict[str, Any] = {
        "version": 1,
        "type": ProgramType.HYBRID,
        "stamps_target": 5,
        "stamps_reward_description": "A free coffee",
        "points_per_currency_unit": 10,
        "minimum_purchase_cents": 100,
        "rewards": [Reward(id="mug", name="A mug", points_cost=50)],
        "welcome_bonus_points": 20,
        "max_daily_stamps": 3,
        "pin_max_attempts": 3,
        "pin_lockout_minutes": 10,
    }
    fields.update(overrides)
    return Program(**fields)


_PIN_HASH = hash_pin(PIN)

STAFF = [
    StaffOut(id=1, name="Sam Staff", role=Role.STAFF, store_id=STORE_ID, pin_hash=_PIN_HASH, is_active=True),
    StaffOut(
        id=2, name="Mia Manager", role=Role.STORE_MANAGER, store_id=None, pin_hash=_PIN_HASH, is_active=True
    ),
    StaffOut(
        id=3, name="Olu Owner", role=Role.MERCHANT_OWNER, store_id=None, pin_hash=_PIN_HASH, is_active=True
    ),
    StaffOut(
        id=4, name="Ivy Inactive", role=Role.STAFF, store_id=STORE_ID, pin_hash=_PIN_HASH, is_active=False
    ),
    StaffOut(
        id=5, name="Otto Other", role=Role.STAFF, store_id=OTHER_STORE_ID, pin_hash=_PIN_HASH, is_active=True
    ),
]


def view_of(member: StaffOut) -> StaffView:
    return StaffView(
        id=member.id, name=member.name, role=member.role, store_id=member.store_id, is_active=member.is_active
    )


CASHIER, MANAGER, OWNER, INACTIVE, ELSEWHERE = (view_of(member) for member in STAFF)

IDENTITY = DeviceIdentity(
    device_id="device-till-1",
    token="secret-token",
    server_url="http://127.0.0.1:1",
    store_id=STORE_ID,
    store_name="Main Street",
    store_timezone=TIMEZONE,
    merchant_id=1,
    merchant_name="Bean There",
)


def pull_page(
    *, program: Program | None = None, staff: list[StaffOut] | None = None, **extra: Any
) -> PullResponse:
    fields: dict[str, Any] = {
        "store": StoreOut(id=STORE_ID, name="Main Street", timezone=TIMEZONE),
        "program": program,
        "staff": staff,
        "cards": [],
        "cursor": "c1",
        "has_more": False,
    }
    fields.update(extra)
    return PullResponse(**fields)


def seed(ledger: Ledger, program: Program | None = None) -> None:
    ledger.save_identity(IDENTITY)
    ledger.apply_pull_page(pull_page(program=program or make_program(), staff=list(STAFF)))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "till" / "ledger.db"


@pytest.fixture
def open_seeded(ledger_path: Path, clock: FakeClock) -> Iterator[Callable[..., Ledger]]:
    """Opens the ledger file (seeded with identity, a program and staff on first use)."""
    opened: list[Ledger] = []

    def factory(program: Program | None = None, *, seeded: bool = True) -> Ledger:
        fresh = not ledger_path.exists()
        ledger = open_ledger(ledger_path, clock=clock)
        opened.append(ledger)
        if fresh and seeded:
            seed(ledger, program)
        return ledger

    yield factory
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(open_seeded: Callable[..., Ledger]) -> Ledger:
    return open_seeded()
