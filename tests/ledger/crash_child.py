"""Run by test_crash in a subprocess: records verbs (and sync answers) in a loop until killed.

Prints each recorded transaction id after its verb returned, so the parent knows what the
till said was done. Usage: python -m tests.ledger.crash_child LEDGER_PATH SEED
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from desktop.ledger import LedgerError, open_ledger
from sync.protocol import CardState, PushResult, TxStatus
from tests.ledger.conftest import CASHIER, MANAGER, OWNER, seed


def main(path: Path, rng: random.Random) -> None:
    ledger = open_ledger(path)
    if ledger.identity() is None:
        seed(ledger, None)
    cards = [card.card_number for card in ledger.search_cards("K")]
    print("ready", flush=True)
    while True:
        roll = rng.random()
        try:
            if roll < 0.2 or not cards:
                number = f"K-{rng.getrandbits(40):x}"
                recorded = ledger.enrol_card(CASHIER, number, customer_name="Crash Test")
                cards.append(number)
            elif roll < 0.3:
                sent = ledger.pending_transactions(rng.randint(1, 20))
                results = [_accept(tx.id, tx.card_number) for tx in sent]
                ledger.apply_push_results(sent, results)
                continue
            elif roll < 0.6:
                number = rng.choice(cards)
                recorded = ledger.earn_points(
                    CASHIER, number, purchase_amount_cents=rng.randint(100, 999), order_reference=None
                )
            elif roll < 0.8:
                recorded = ledger.adjust(OWNER, rng.choice(cards), stamps_delta=1, reason="crash test")
            else:
                earned = ledger.voidable(rng.choice(cards))
                if not earned:
                    continue
                recorded = ledger.void(MANAGER, earned[0].id)
        except LedgerError:
            continue
        print(recorded.transaction.id, flush=True)


def _accept(tx_id: object, card_number: str) -> PushResult:
    # The server's numbers do not matter here; the till must just apply them whole.
    card = CardState(card_number=card_number, stamp_count=0, points_balance=0, is_active=True)
    return PushResult(id=str(tx_id), status=TxStatus.ACCEPTED, card=card)


if __name__ == "__main__":
    main(Path(sys.argv[1]), random.Random(int(sys.argv[2])))
