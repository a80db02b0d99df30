"""What a batch's cards hold for tills' offline use, as its items change it: pure, no I/O.

A card holds, for each till with an allowance on it, what is left of that allowance; the card's
`held` is their sum and never more than its balance (docs/allowances.md). A redemption covered by
its own till's allowance takes from that allowance; anything else is judged against the balance
less what other tills hold, and if it takes from what its own till holds, that allowance shrinks
so that the card still covers every hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sync import rules
from sync.protocol import TransactionType, Tx

T = TransactionType


class Held(NamedTuple):
    points: int = 0
    stamps: int = 0


NOTHING = Held()


@dataclass(frozen=True, slots=True)
class OwnAllowance:
    """The submitting till's allowance on one card, as the batch found it."""

    id: str
    left: Held
    valid_until: datetime  # UTC


class Escrow:
    """The holds of the batch's cards, and the submitting till's own allowances, as items change them."""

    def __init__(self, held: dict[str, Held], own: dict[str, OwnAllowance]) -> None:
        self.held = {number: hold for number, hold in held.items() if hold != NOTHING}  # by card number
        self.own = own  # by card number
        self.left = {allowance.id: allowance.left for allowance in own.values()}
        self.changed_cards: set[str] = set()
        self.changed_allowances: set[str] = set()

    def elsewhere(self, number: str) -> Held:
        """What the card holds for other tills: nothing of it may be taken here."""
        held = self.held.get(number)
        if held is None:  # most cards hold nothing
            return NOTHING
        own = self._own_left(number)
        return Held(held.points - own.points, held.stamps - own.stamps)

    def covers(self, tx: Tx, at: datetime) -> bool:
        """A redemption within its till's allowance on this card: cited, in time, and no larger."""
        if tx.allowance_id is None or tx.type not in rules.REDEMPTION_TYPES:
            return False
        own = self.own.get(tx.card_number)
        if own is None or str(tx.allowance_id) != own.id or at > own.valid_until:
            return False
        left = self.left[own.id]
        return -tx.points_delta <= left.points and -tx.stamps_delta <= left.stamps

    def settle(self, tx: Tx, card: rules.CardState, *, covered: bool) -> None:
        """After an accepted item: a covered redemption spends its allowance; anything else that
        leaves the card short of its holds takes the shortfall from its own till's allowance."""
        number = tx.card_number
        held = self.held.get(number)
        if held is None:  # a card that holds nothing has nothing to spend or fall short of
            return
        spent = Held(-tx.points_delta, -tx.stamps_delta) if covered else self._short(card, held)
        if spent == NOTHING:
            return
        self.held[number] = Held(held.points - spent.points, held.stamps - spent.stamps)
        self.changed_cards.add(number)
        own = self.own.get(number)
        assert own is not None, "the rules let only the holding till dip into what a card holds"
        left = self.left[own.id]
        self.left[own.id] = Held(left.points - spent.points, left.stamps - spent.stamps)
        self.changed_allowances.add(own.id)

    @staticmethod
    def _short(card: rules.CardState, held: Held) -> Held:
        return Held(max(0, held.points - card.points_balance), max(0, held.stamps - card.stamp_count))

    def _own_left(self, number: str) -> Held:
        own = self.own.get(number)
        return NOTHING if own is None else self.left[own.id]
