"""The card screen's actions: their keys, labels and shortcuts, and when each one is offered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sync.protocol import Program

if TYPE_CHECKING:
    from desktop.ledger import CardView


@dataclass(frozen=True, slots=True)
class ActionSpec:
    key: str
    label: str
    shortcut: str


ACTIONS = [
    ActionSpec("stamp", "Add stamp", "F2"),
    ActionSpec("earn", "Earn points", "F3"),
    ActionSpec("redeem_stamps", "Redeem stamps", "F4"),
    ActionSpec("reward", "Redeem reward", "F5"),
    ActionSpec("void", "Void", "F6"),
    ActionSpec("adjust", "Adjust", "F7"),
    ActionSpec("enrol", "New card", "F8"),
    ActionSpec("activation", "Deactivate", "F9"),
]


def enabled_actions(card: CardView | None, program: Program | None, *, manager: bool) -> dict[str, bool]:
    """Which actions make sense for this card (None: no card shown) under this programme."""
    active = card is not None and bool(card.is_active)
    stamps = program is None or program.has_stamps
    points = program is None or program.has_points
    return {
        "stamp": active and stamps,
        "earn": active and points,
        "redeem_stamps": active and stamps,
        "reward": active and points and (program is None or bool(program.rewards)),
        "void": active,
        "adjust": active,
        "enrol": True,
        "activation": card is not None and manager,
    }
