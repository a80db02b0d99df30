"""Typed sync failures: one base error with a human title and message any UI can show."""

from __future__ import annotations


class SyncError(Exception):
    """Base of every sync failure: `title` and `message` are for people, the logs keep detail."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message


class Offline(SyncError):
    """The server could not be reached or asked us to come back later: retry with backoff."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        timed_out: bool = False,
    ) -> None:
        super().__init__("Offline", message)
        self.retry_after = retry_after
        self.timed_out = timed_out


class AuthFailed(SyncError):
    """The server refused this till's credentials (unknown or revoked device): stop syncing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__("This till is not allowed to sync", message)
        self.code = code


class EnrolmentRefused(SyncError):
    """The enrolment code was unknown, already used or expired."""

    def __init__(self, message: str) -> None:
        super().__init__("Enrolment refused", message)


class ProtocolError(SyncError):
    """The server answered 4xx (other than auth) or something we cannot read: a bug to report."""

    def __init__(self, *, status: int, code: str, detail: str) -> None:
        super().__init__("Sync failed", f"the server answered {status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


class NotEnrolled(SyncError):
    """The till has no device identity yet."""

    def __init__(self) -> None:
        super().__init__(
            "This till is not enrolled",
            "Enrol it first with an enrolment code from head office (loyalty-till enrol).",
        )


class AlreadyEnrolled(SyncError):
    """Refused: the till already has a device identity (a second one would split its ledger)."""

    def __init__(self, device_id: str) -> None:
        super().__init__(
            "This till is already enrolled",
            f"It syncs as device {device_id}; use a fresh data folder to enrol it again.",
        )
