"""What the till's expected errors say to a person, in the till's language.

The ledger's and sync's errors carry an English title and message (for logs and the command
line); here they are said again in the till's language, from the error's kind and its values
(how many attempts are left, until when, how far the clock is off). The kind is read by name,
so the window never imports the ledger (its imports are slow; they happen on the ledger thread).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desktop.ui.format import local_time, offset_text, reason_words
from desktop.ui.i18n import QT_TR_NOOP, tr
from sync.protocol import Reason

# Titles and messages that are the same every time: translated by their English text.
FIXED_TEXTS = (
    QT_TR_NOOP("Unknown staff member"),
    QT_TR_NOOP("This staff member cannot work at this shop."),
    QT_TR_NOOP("Staff member inactive"),
    QT_TR_NOOP("This staff member has been deactivated."),
    QT_TR_NOOP("Till not set up"),
    QT_TR_NOOP("This till is not enrolled yet. Ask IT to enrol it."),
    QT_TR_NOOP("No loyalty programme yet"),
    QT_TR_NOOP("The programme has not been downloaded yet. Connect the till to the server once."),
    QT_TR_NOOP("Invalid input"),
    QT_TR_NOOP("A card number is 1 to 32 letters, digits or dashes."),
    QT_TR_NOOP("An order reference is 1 to 100 characters."),
    QT_TR_NOOP("A reason is at most 1000 characters."),
    QT_TR_NOOP("Name up to 200 characters, email up to 254, phone up to 32."),
    QT_TR_NOOP("The purchase amount must be between 0 and 10,000,000.00."),
    QT_TR_NOOP("Log in first."),
    QT_TR_NOOP("That reward is not in the programme."),
    QT_TR_NOOP("That amount is out of range."),
    QT_TR_NOOP("That email address is not valid (it looks like name@example.com)."),
    QT_TR_NOOP("That phone number is not valid: digits, spaces, + ( ) - . / only, at least 5 digits."),
    QT_TR_NOOP("Nothing to export"),
    QT_TR_NOOP("Every transaction of this till has been synced."),
    QT_TR_NOOP("The till cannot open its ledger"),
    QT_TR_NOOP("Ask IT to check the till's data folder (the log has the details)."),
    QT_TR_NOOP("This till is not allowed to sync"),
    QT_TR_NOOP("Head office revoked this till. Ask them to enrol it again."),
    QT_TR_NOOP("The server does not know this till's token. Ask head office to enrol it again."),
    QT_TR_NOOP("Enrolment refused"),
    QT_TR_NOOP("The enrolment code is unknown, already used or expired. Ask head office for a new one."),
    QT_TR_NOOP("Another sync is running"),
    QT_TR_NOOP("This till is already syncing; try again shortly."),
    QT_TR_NOOP("This till is not enrolled"),
    QT_TR_NOOP("The demo could not start"),
    QT_TR_NOOP("The demo data could not be created. See the log for details."),
    QT_TR_NOOP("The demo server did not start in time."),
)


def _until(error: BaseException) -> str:
    until = getattr(error, "until", None)
    return local_time(until) if isinstance(until, datetime) else ""


def _wrong_pin(error: BaseException) -> tuple[str, str]:
    left = int(getattr(error, "attempts_left", 0))
    message = (
        tr("That PIN is not right. 1 attempt left.")
        if left == 1
        else tr("That PIN is not right. {count} attempts left.").format(count=left)
    )
    return tr("Wrong PIN"), message


def _refused(error: BaseException) -> tuple[str, str]:
    reason = getattr(error, "reason", None)
    return tr("Not allowed"), reason_words(Reason(reason)) if reason else tr("This is not allowed.")


def _clock(error: BaseException) -> tuple[str, str]:
    offset = offset_text(float(getattr(error, "offset_seconds", 0.0)))
    return tr("The till's clock is wrong"), tr(
        "It is {offset}. Nothing can be recorded until it is set right "
        "(ask IT to set the date, time and time zone)."
    ).format(offset=offset)


def _protocol(error: BaseException) -> tuple[str, str]:
    status, code, detail = (getattr(error, name, "") for name in ("status", "code", "detail"))
    message = tr("The server answered {status} {code}: {detail}")
    return tr("Sync failed"), message.format(status=status, code=code, detail=detail)


WORDS: dict[str, Callable[[BaseException], tuple[str, str]]] = {
    "Refused": _refused,
    "WrongPin": _wrong_pin,
    "LockedOut": lambda e: (
        tr("Locked out"),
        tr("Too many wrong PINs. Try again after {time}.").format(time=_until(e)),
    ),
    "SessionLockedOut": lambda e: (
        tr("Session locked"),
        tr(
            "Too many wrong PINs in this session. The till locks; you can sign in again after {time}, "
            "or a manager can unlock you sooner."
        ).format(time=_until(e)),
    ),
    "ClockWrong": _clock,
    "ApprovalNeeded": lambda e: (
        tr("A manager must approve this"),
        tr("The purchase is above this till's limit; a manager approves it with their PIN."),
    ),
    "AtRiskNeedsApproval": lambda e: (
        tr("Not covered: a manager must approve"),
        tr(
            "The till is offline and this redemption is beyond the card's offline allowance: the "
            "server may refuse it later. A manager approves it with their PIN."
        ),
    ),
    "AtRiskForbidden": lambda e: (
        tr("Not covered offline"),
        tr(
            "The till is offline and this redemption is beyond the card's offline allowance. The "
            "programme allows only covered redemptions offline: redeem when the till is online again."
        ),
    ),
    "NotFound": lambda e: (tr("Not found"), tr("That was not found on this till.")),
    "Offline": lambda e: (
        tr("Offline"),
        tr("The server cannot be reached now. The till keeps working and syncs when it can."),
    ),
    "ProtocolError": _protocol,
    "AlreadyEnrolled": lambda e: (
        tr("This till is already enrolled"),
        tr("It syncs as another device; use a fresh data folder to enrol it again."),
    ),
}


def error_words(error: BaseException, title: str, message: str) -> tuple[str, str]:
    """The title and message of an expected error (given here in English) in the till's language."""
    words = WORDS.get(type(error).__name__)
    if words is not None:
        return words(error)
    return tr(title), tr(message)
