"""The server's latest transactions of a card (every till's and head office's), off the GUI thread.

The history shows what this till recorded from its own ledger at once; when the server can
be reached, `CardLookup` adds what the card did elsewhere (`GET /v1/cards/{number}`). One
lookup runs at a time on its own thread, never the ledger's (a slow network must not hold
up a verb), and a lookup asked for a card that is no longer shown is dropped unsent.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from sync.errors import SyncError

log = logging.getLogger(__name__)

# A cashier does not wait for this (the till's own history is shown already): a short timeout
# keeps a dead network from queueing lookups behind one another.
LOOKUP_TIMEOUT_S = 3.0


class CardLookup(QObject):
    """`request(identity, number)` from the GUI thread; `found(number, transactions)` back on it
    (an empty list when the server does not know the card). Failures are logged, never shown:
    offline, the till simply shows its own history."""

    found = Signal(str, object)  # the card number, list[CardTxOut]

    def __init__(self, parent: QObject | None = None, *, timeout: float = LOOKUP_TIMEOUT_S) -> None:
        super().__init__(parent)
        self.timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card-lookup")
        self._lock = threading.Lock()
        self._wanted: str | None = None
        self._client: Any = None
        self._client_key: tuple[str, str] | None = None
        self._closed = False

    def request(self, identity: Any, card_number: str) -> None:
        """Look the card up (the newest request wins); nothing happens for a till not enrolled."""
        if identity is None:
            return
        with self._lock:
            if self._closed:
                return
            self._wanted = card_number
            self._executor.submit(self._fetch, identity.server_url, identity.token, card_number)

    def forget(self) -> None:
        """No card is shown any more: drop the lookups still queued."""
        with self._lock:
            self._wanted = None

    def _fetch(self, server_url: str, token: str, card_number: str) -> None:
        with self._lock:
            if self._closed or card_number != self._wanted:
                return  # superseded before it started
        try:
            detail = self._client_for(server_url, token).card(card_number)
        except SyncError as error:  # offline, refused: the till's own history stands
            log.info("card lookup unavailable (%s)", type(error).__name__)
            return
        except Exception:
            log.exception("card lookup failed")
            return
        with self._lock:
            if self._closed:  # the till closed while the answer was on its way
                return
        self.found.emit(card_number, list(detail.transactions) if detail is not None else [])

    def _client_for(self, server_url: str, token: str) -> Any:
        """One HTTP client (kept alive between lookups), made anew if the till was enrolled again."""
        from sync.transport import SyncClient

        key = (server_url, token)
        if self._client is None or self._client_key != key:
            if self._client is not None:
                self._client.close()
            self._client = SyncClient(server_url, token, timeout=self.timeout)
            self._client_key = key
        return self._client

    def close(self) -> None:
        """On exit: drop queued lookups and stop the thread (a running one ends by its timeout)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._executor.submit(self._close_client)
        self._executor.shutdown(wait=False, cancel_futures=False)

    def _close_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
