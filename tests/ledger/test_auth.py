"""Staff PIN login at the till: argon2-verified offline, locked out after repeated failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from desktop.ledger import (
    Ledger,
    LockedOut,
    NotEnrolled,
    NotFound,
    Refused,
    SessionLockedOut,
    StaffInactive,
    UnknownStaff,
    WrongPin,
    open_ledger,
)
from sync.protocol import Role
from tests.ledger.conftest import IDENTITY, PIN, STAFF, FakeClock, pull_page, view_of

STAFF_VIEWS = {member.id: view_of(member) for member in STAFF}


def test_the_right_pin_logs_a_staff_member_in(ledger: Ledger) -> None:
    staff = ledger.login(2, PIN)
    assert (staff.id, staff.name, staff.role, staff.store_id) == (2, "Mia Manager", Role.STORE_MANAGER, None)


def test_staff_members_lists_active_and_inactive_staff(ledger: Ledger) -> None:
    members = {member.id: member for member in ledger.staff_members()}
    assert set(members) == {1, 2, 3, 4, 5}
    assert members[4].is_active is False


def test_each_wrong_pin_says_how_many_attempts_are_left_then_locks(ledger: Ledger, clock: FakeClock) -> None:
    with pytest.raises(WrongPin) as first:
        ledger.login(1, "0000")
    with pytest.raises(WrongPin) as second:
        ledger.login(1, "0000")
    with pytest.raises(LockedOut) as third:
        ledger.login(1, "0000")
    assert (first.value.attempts_left, second.value.attempts_left) == (2, 1)
    assert third.value.until == clock.now + timedelta(minutes=10)
    with pytest.raises(LockedOut):
        ledger.login(1, PIN)  # even the right PIN waits for the lockout to end


def test_a_lockout_survives_restarting_the_till_and_ends_after_its_minutes(
    open_seeded: Callable[..., Ledger], clock: FakeClock
) -> None:
    ledger = open_seeded()
    for _ in range(2):
        with pytest.raises(WrongPin):
            ledger.login(1, "0000")
    with pytest.raises(LockedOut):
        ledger.login(1, "0000")
    ledger.close()
    reopened = open_seeded()
    with pytest.raises(LockedOut):
        reopened.login(1, PIN)
    clock.advance(minutes=10, seconds=1)
    assert reopened.login(1, PIN).id == 1


def test_a_successful_login_resets_the_failure_count(ledger: Ledger) -> None:
    with pytest.raises(WrongPin):
        ledger.login(1, "0000")
    ledger.login(1, PIN)
    with pytest.raises(WrongPin) as caught:
        ledger.login(1, "0000")
    assert caught.value.attempts_left == 2


def test_failures_are_counted_per_staff_member(ledger: Ledger) -> None:
    for _ in range(2):
        with pytest.raises(WrongPin):
            ledger.login(1, "0000")
    assert ledger.login(2, PIN).id == 2


def test_unknown_inactive_and_other_store_staff_cannot_log_in(ledger: Ledger) -> None:
    with pytest.raises(UnknownStaff):
        ledger.login(99, PIN)
    with pytest.raises(StaffInactive):
        ledger.login(4, PIN)
    with pytest.raises(UnknownStaff):
        ledger.login(5, PIN)


def test_the_global_default_of_five_attempts_applies_before_a_program_is_pulled(
    tmp_path: Path, clock: FakeClock
) -> None:
    ledger = open_ledger(tmp_path / "ledger.db", clock=clock)
    try:
        ledger.save_identity(IDENTITY)
        ledger.apply_pull_page(pull_page(program=None, staff=list(STAFF)))
        with pytest.raises(WrongPin) as caught:
            ledger.login(1, "0000")
        assert caught.value.attempts_left == 4
        for _ in range(3):
            with pytest.raises(WrongPin):
                ledger.login(1, "0000")
        with pytest.raises(LockedOut) as locked:
            ledger.login(1, "0000")
        assert locked.value.until == clock.now + timedelta(minutes=15)
    finally:
        ledger.close()


def test_a_pulled_staff_list_replaces_the_old_one_but_keeps_lockouts(ledger: Ledger) -> None:
    for _ in range(2):
        with pytest.raises(WrongPin):
            ledger.login(1, "0000")
    with pytest.raises(LockedOut):
        ledger.login(1, "0000")
    ledger.apply_pull_page(pull_page(staff=[STAFF[0], STAFF[1]]))
    assert [member.id for member in ledger.staff_members()] == [2, 1]  # ordered by name
    with pytest.raises(LockedOut):
        ledger.login(1, PIN)
    with pytest.raises(UnknownStaff):
        ledger.login(3, PIN)


def test_login_before_enrolment_raises_not_enrolled(tmp_path: Path, clock: FakeClock) -> None:
    ledger = open_ledger(tmp_path / "ledger.db", clock=clock)
    try:
        with pytest.raises(NotEnrolled):
            ledger.login(1, PIN)
    finally:
        ledger.close()


def test_wrong_pins_of_an_approval_count_against_the_session_asking_not_the_approver(
    ledger: Ledger, clock: FakeClock
) -> None:
    cashier = ledger.login(1, PIN)
    with pytest.raises(WrongPin) as first:
        ledger.approve(cashier, 3, "0000", at_least=Role.STORE_MANAGER)
    with pytest.raises(WrongPin):
        ledger.approve(cashier, 3, "0000", at_least=Role.STORE_MANAGER)
    with pytest.raises(SessionLockedOut) as locked:
        ledger.approve(cashier, 3, "0000", at_least=Role.STORE_MANAGER)

    assert first.value.attempts_left == 2
    assert locked.value.until == clock.now + timedelta(minutes=10)
    assert ledger.login(3, PIN).role == Role.MERCHANT_OWNER  # the owner is not locked out
    with pytest.raises(LockedOut):
        ledger.login(1, PIN)  # the cashier who kept guessing is


def test_an_approval_with_the_right_pin_names_the_approver_and_needs_their_role(ledger: Ledger) -> None:
    cashier = ledger.login(1, PIN)
    assert ledger.approve(cashier, 2, PIN, at_least=Role.STORE_MANAGER).id == 2
    with pytest.raises(Refused):
        ledger.approve(cashier, 1, PIN, at_least=Role.STORE_MANAGER)  # a cashier approves nothing


def test_a_manager_unlocks_a_locked_out_cashier_and_the_till_keeps_who_did(
    ledger: Ledger, clock: FakeClock, ledger_path: Path
) -> None:
    for _ in range(3):
        with pytest.raises((WrongPin, LockedOut)):
            ledger.login(1, "0000")
    manager = ledger.login(2, PIN)
    assert [(member.id, until) for member, until in ledger.locked_out_staff()] == [
        (1, clock.now + timedelta(minutes=10))
    ]

    ledger.unlock_staff(manager, 1)

    assert ledger.login(1, PIN).id == 1
    assert ledger.locked_out_staff() == []
    unlocks = ledger.staff_unlocks()
    assert [(u.staff_id, u.unlocked_by, u.unlocked_at) for u in unlocks] == [(1, 2, clock.now)]
    assert unlocks[0].locked_until == clock.now + timedelta(minutes=10)


def test_only_a_manager_or_owner_unlocks_and_never_someone_above_them(ledger: Ledger) -> None:
    for staff_id in (1, 3):
        for _ in range(3):
            with pytest.raises((WrongPin, LockedOut)):
                ledger.login(staff_id, "0000")
    cashier, manager = STAFF_VIEWS[1], ledger.login(2, PIN)
    with pytest.raises(Refused):
        ledger.unlock_staff(cashier, 1)
    with pytest.raises(Refused):
        ledger.unlock_staff(manager, 3)  # the owner is above a manager
    with pytest.raises(NotFound):
        ledger.unlock_staff(manager, 2)  # not locked out: nothing to unlock
    assert ledger.staff_unlocks() == []
