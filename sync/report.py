"""What a sync round moved: the report callers get, and the counters the engine keeps meanwhile."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.ports import Mismatch
from sync.protocol import CardState, PushResponse, Reason, TransactionType, Tx, TxStatus


@dataclass(frozen=True, slots=True)
class Rejection:
    """A transaction the server rejected this round, and why."""

    transaction_id: str
    card_number: str
    type: TransactionType
    reason: Reason | None


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one round moved."""

    pushed: int = 0
    accepted: int = 0
    rejected: int = 0
    batches: int = 0
    pulled_pages: int = 0
    pulled_cards: int = 0
    program_updated: bool = False
    staff_updated: bool = False
    mismatches: tuple[Mismatch, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    seconds: float = 0.0
    allowances: int | None = None  # the allowances the till now holds (None: not asked this round)

    def summary(self) -> str:
        text = (
            f"pushed {self.pushed} transaction(s) in {self.batches} batch(es): "
            f"{self.accepted} accepted, {self.rejected} rejected; "
            f"pulled {self.pulled_cards} card change(s) in {self.pulled_pages} page(s)"
        )
        if self.program_updated:
            text += ", a new program"
        if self.staff_updated:
            text += ", the staff list"
        if self.allowances is not None:
            text += f"; {self.allowances} allowance(s) held"
        return text + f"; {len(self.mismatches)} mismatch(es) repaired ({self.seconds:.2f} s)"


@dataclass(slots=True)
class Round:
    """Counters of the round in progress."""

    started: float
    pushed: int = 0
    accepted: int = 0
    rejected: int = 0
    batches: int = 0
    pulled_pages: int = 0
    pulled_cards: int = 0
    program_updated: bool = False
    staff_updated: bool = False
    server_cards: dict[str, CardState] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    allowances: int | None = None
    spent_allowances: int = 0  # pushed redemptions that cited an allowance


def count_results(progress: Round, batch: Sequence[Tx], response: PushResponse) -> None:
    progress.batches += 1
    progress.pushed += len(batch)
    for tx, result in zip(batch, response.results, strict=True):
        if tx.allowance_id is not None:
            progress.spent_allowances += 1
        if result.status is TxStatus.ACCEPTED:
            progress.accepted += 1
        else:
            progress.rejected += 1
            progress.rejections.append(Rejection(str(tx.id), tx.card_number, tx.type, result.reason))
        if result.card is not None:
            progress.server_cards[result.card.card_number] = result.card


def build_report(progress: Round, mismatches: tuple[Mismatch, ...]) -> SyncReport:
    return SyncReport(
        pushed=progress.pushed,
        accepted=progress.accepted,
        rejected=progress.rejected,
        batches=progress.batches,
        pulled_pages=progress.pulled_pages,
        pulled_cards=progress.pulled_cards,
        program_updated=progress.program_updated,
        staff_updated=progress.staff_updated,
        mismatches=mismatches,
        rejections=tuple(progress.rejections),
        allowances=progress.allowances,
        seconds=time.monotonic() - progress.started,
    )
