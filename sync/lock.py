"""A till-wide lock file so two processes (the till's window and `loyalty-till sync`) never sync at once."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from types import TracebackType

from sync.errors import SyncError

POLL_SECONDS = 0.05


class SyncBusy(SyncError):
    def __init__(self) -> None:
        super().__init__("Another sync is running", "This till is already syncing; try again shortly.")


class RoundLock:
    """Exclusive across processes (flock on `path`) and across threads of this process."""

    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> RoundLock:
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise SyncBusy
        try:
            self._fd = self._lock_file()
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._thread_lock.release()

    def _lock_file(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                # flock has no timeout of its own; the other holder is another process.
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise SyncBusy from None
                time.sleep(POLL_SECONDS)
