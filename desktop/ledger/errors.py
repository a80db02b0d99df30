"""The ledger's errors: one base with a title and a message a cashier can read."""

from __future__ import annotations

from datetime import datetime

from desktop.clock_words import offset_words
from sync.protocol import Reason
from sync.rules import REASON_TEXT


class LedgerError(Exception):
    """Base of every expected problem the till's ledger reports."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message


class Refused(LedgerError):
    """The loyalty rules refused the action; nothing was written."""

    def __init__(self, reason: Reason) -> None:
        super().__init__("Not allowed", REASON_TEXT[reason])
        self.reason = reason


class WrongPin(LedgerError):
    def __init__(self, attempts_left: int) -> None:
        plural = "attempt" if attempts_left == 1 else "attempts"
        super().__init__("Wrong PIN", f"That PIN is not right. {attempts_left} {plural} left.")
        self.attempts_left = attempts_left


class LockedOut(LedgerError):
    def __init__(self, until: datetime) -> None:
        super().__init__(
            "Locked out",
            f"Too many wrong PINs. Try again after {until.astimezone().strftime('%H:%M')}.",
        )
        self.until = until


class SessionLockedOut(LockedOut):
    """Too many wrong PINs asked for inside a staff member's session: that staff member is locked out."""

    ends_session = True  # the till locks (the UI reads this; it never imports the ledger)

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.title = "Session locked"
        self.message = (
            f"Too many wrong PINs in this session. The till locks; you can sign in again after "
            f"{until.astimezone().strftime('%H:%M')}, or a manager can unlock you sooner."
        )


class ApprovalNeeded(LedgerError):
    """A purchase above the till's limit: a manager must approve it with their PIN."""

    def __init__(self, amount_cents: int, limit_cents: int) -> None:
        super().__init__(
            "A manager must approve this",
            "The purchase is above this till's limit; a manager approves it with their PIN.",
        )
        self.amount_cents = amount_cents
        self.limit_cents = limit_cents


class AtRiskNeedsApproval(LedgerError):
    """An offline redemption no allowance covers: the server may refuse it later, so a manager
    approves it with their PIN (docs/allowances.md)."""

    def __init__(self) -> None:
        super().__init__(
            "Not covered: a manager must approve",
            "The till is offline and this redemption is beyond the card's offline allowance: the "
            "server may refuse it later. A manager approves it with their PIN.",
        )


class AtRiskForbidden(LedgerError):
    """An offline redemption no allowance covers, and the programme forbids those."""

    def __init__(self) -> None:
        super().__init__(
            "Not covered offline",
            "The till is offline and this redemption is beyond the card's offline allowance. The "
            "programme allows only covered redemptions offline: redeem when the till is online again.",
        )


class ClockWrong(LedgerError):
    """The till's clock is too far from the server's: what it records would carry a wrong time."""

    def __init__(self, offset_seconds: float) -> None:
        super().__init__(
            "The till's clock is wrong",
            f"It is {offset_words(offset_seconds)} the server's. Nothing can be recorded until it is "
            "set right (ask IT to set the date, time and time zone).",
        )
        self.offset_seconds = offset_seconds


class UnknownStaff(LedgerError):
    def __init__(self) -> None:
        super().__init__("Unknown staff member", "This staff member cannot work at this shop.")


class StaffInactive(LedgerError):
    def __init__(self) -> None:
        super().__init__("Staff member inactive", "This staff member has been deactivated.")


class NotEnrolled(LedgerError):
    def __init__(self) -> None:
        super().__init__("Till not set up", "This till is not enrolled yet. Ask IT to enrol it.")


class NoProgram(LedgerError):
    def __init__(self) -> None:
        super().__init__(
            "No loyalty programme yet",
            "The programme has not been downloaded yet. Connect the till to the server once.",
        )


class NotFound(LedgerError):
    def __init__(self, what: str = "transaction") -> None:
        super().__init__("Not found", f"That {what} was not found on this till.")


class InvalidInput(LedgerError):
    """A value the cashier typed cannot be recorded (e.g. a malformed card number)."""

    def __init__(self, message: str) -> None:
        super().__init__("Invalid input", message)


class NothingPending(LedgerError):
    def __init__(self) -> None:
        super().__init__("Nothing to export", "Every transaction of this till has been synced.")
