"""A card's latest transactions on the server (every till's and head office's), on a thread of its own.

A till shows its own history of a card at once, from its ledger; `CardLookup` fetches what the
card did elsewhere (`GET /v1/cards/{number}`). One lookup runs at a time, never on the ledger's
thread or a UI's (a slow network must hold up neither), and a lookup asked for a card that is no
longer wanted is dropped unsent. No UI toolkit here: answers go to a callback, from this thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sync.errors import SyncError
from sync.ports import DeviceIdentity
from sync.protocol import CardTxOut
from sync.transport import SyncClient

log = logging.getLogger(__name__)

# Nobody waits for this (the till's own history is shown already): a short timeout keeps a dead
# network from queueing lookups behind one another.
LOOKUP_TIMEOUT_S = 3.0

Found = Callable[[str, list[CardTxOut]], None]


class CardLookup:
    """`request(identity, number)` from any thread; `on_found(number, transactions)` is called on the
    lookup's thread (an empty list when the server does not know the card). Failures are logged,
    never raised: offline, the till simply shows its own history."""

    def __init__(self, on_found: Found, *, timeout: float = LOOKUP_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._on_found = on_found
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="card-lookup")
        self._lock = threading.Lock()
        self._wanted: str | None = None
        self._client: SyncClient | None = None
        self._client_key: tuple[str, str] | None = None
        self._closed = False

    def request(self, identity: DeviceIdentity | None, card_number: str) -> None:
        """Look the card up (the newest request wins); nothing happens for a till not enrolled."""
        if identity is None:
            return
        with self._lock:
            if self._closed:
                return
            self._wanted = card_number
            self._executor.submit(self._fetch, identity.server_url, identity.token, card_number)

    def forget(self) -> None:
        """No card is wanted any more: drop the lookups still queued."""
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
            if self._closed:  # closed while the answer was on its way
                return
        self._on_found(card_number, list(detail.transactions) if detail is not None else [])

    def _client_for(self, server_url: str, token: str) -> SyncClient:
        """One HTTP client (kept alive between lookups), made anew if the till was enrolled again."""
        key = (server_url, token)
        if self._client is None or self._client_key != key:
            if self._client is not None:
                self._client.close()
            self._client = SyncClient(server_url, token, timeout=self.timeout)
            self._client_key = key
        return self._client

    def close(self) -> None:
        """Drop queued lookups and stop the thread (a running one ends by its timeout)."""
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
