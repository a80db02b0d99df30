"""The card screen's actions: their keys, labels and shortcuts, and when each one is offered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop.ui.i18n import QT_TR_NOOP
from sync.protocol import Program

if TYPE_CHECKING:
    from desktop.ledger import CardView


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """An action's key, its label (English: translated where shown) and its shortcut."""

    key: str
    label: str
    shortcut: str


ACTIONS = [
    ActionSpec("stamp", QT_TR_NOOP("Add stamp"), "F2"),
    ActionSpec("earn", QT_TR_NOOP("Earn points"), "F3"),
    ActionSpec("redeem_stamps", QT_TR_NOOP("Redeem stamps"), "F4"),
    ActionSpec("reward", QT_TR_NOOP("Redeem reward"), "F5"),
    ActionSpec("void", QT_TR_NOOP("Void"), "F6"),
    ActionSpec("adjust", QT_TR_NOOP("Adjust"), "F7"),
    ActionSpec("enrol", QT_TR_NOOP("New card"), "F8"),
    ActionSpec("activation", QT_TR_NOOP("Deactivate"), "F9"),
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
