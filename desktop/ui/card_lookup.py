"""The server's latest transactions of a card, as a Qt signal (the lookup itself is sync.card_lookup).

The lookup answers on its own thread; this adapter only emits, and Qt's queued connection
delivers `found` on the GUI thread (the Electrum pattern, as the sync bridge does). The lookup's
imports (httpx) happen on first use, not at the till's start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from sync.card_lookup import CardLookup as LookupThread
    from sync.ports import DeviceIdentity
    from sync.protocol import CardTxOut


class CardLookup(QObject):
    """`request(identity, number)` from the GUI thread; `found(number, transactions)` back on it."""

    found = Signal(str, object)  # the card number, list[CardTxOut]

    def __init__(self, parent: QObject | None = None, *, timeout: float | None = None) -> None:
        super().__init__(parent)
        self.timeout = timeout
        self._lookup: LookupThread | None = None
        self._closed = False

    def _thread(self) -> LookupThread:
        if self._lookup is None:
            from sync.card_lookup import LOOKUP_TIMEOUT_S
            from sync.card_lookup import CardLookup as LookupThread

            timeout = self.timeout if self.timeout is not None else LOOKUP_TIMEOUT_S
            self._lookup = LookupThread(self._on_found, timeout=timeout)
        return self._lookup

    def _on_found(self, card_number: str, transactions: list[CardTxOut]) -> None:
        """On the lookup's thread: only emit."""
        self.found.emit(card_number, transactions)

    def request(self, identity: DeviceIdentity | None, card_number: str) -> None:
        if identity is not None and not self._closed:
            self._thread().request(identity, card_number)

    def forget(self) -> None:
        if self._lookup is not None:
            self._lookup.forget()

    def close(self) -> None:
        self._closed = True
        if self._lookup is not None:
            self._lookup.close()
