"""The customer panel: who the card belongs to, the stamp card, the points and what they can afford."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.ui.format import number, points_text
from desktop.ui.i18n import tr
from desktop.ui.widgets import ElidedLabel, StampCard, styled
from sync.protocol import Program

if TYPE_CHECKING:
    from desktop.ledger import CardView


def affordable_rewards(program: Program | None, points: int) -> list[str]:
    if program is None or not program.has_points:
        return []
    cost = tr("{name} ({cost} pts)")
    return [
        cost.format(name=r.name, cost=number(r.points_cost))
        for r in program.rewards
        if r.points_cost <= points
    ]


class CustomerPanel(QFrame):
    """Shows one card as the till sees it (confirmed state plus this till's pending transactions)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.card: CardView | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(8)
        self.name_label = styled(QLabel(tr("Scan a card to begin"), self), "title")
        self.name_label.setWordWrap(True)
        layout.addWidget(self.name_label)
        self.number_label = styled(QLabel("", self), "muted")
        layout.addWidget(self.number_label)
        line = QHBoxLayout()
        self.pending_label = styled(ElidedLabel("", self), "pending")
        self.pending_label.hide()
        line.addWidget(self.pending_label)
        line.addStretch(1)
        layout.addLayout(line)
        self.status_label = styled(QLabel("", self), "inline_problem")
        self.status_label.hide()
        layout.addWidget(self.status_label)
        self.stamp_card = StampCard(self)
        layout.addWidget(self.stamp_card)
        self.stamps_label = styled(QLabel("", self), "muted")
        layout.addWidget(self.stamps_label)
        self.points_label = styled(QLabel("", self), "big")
        layout.addWidget(self.points_label)
        self.rewards_label = styled(QLabel("", self), "muted")
        self.rewards_label.setWordWrap(True)
        layout.addWidget(self.rewards_label)
        layout.addStretch(1)
        self.show_card(None, None)

    def add_note(self, widget: QWidget) -> None:
        """A line of the screen's own below the balances (what a redemption would be here)."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.count() - 1, widget)  # above the stretch

    def show_card(self, card: CardView | None, program: Program | None) -> None:
        self.card = card
        has_card = card is not None
        for widget in (self.number_label, self.stamp_card, self.stamps_label, self.points_label):
            widget.setVisible(has_card)
        self.rewards_label.setVisible(has_card)
        if card is None:
            self.name_label.setText(tr("Scan a card to begin"))
            self.pending_label.hide()
            self.status_label.hide()
            return
        self.name_label.setText(card.customer_name or tr("Customer without a name"))
        self.number_label.setText(tr("Card {number}").format(number=card.card_number))
        self.status_label.setText(tr("This card is deactivated."))
        self.status_label.setVisible(not card.is_active)
        self._show_pending(card)
        self._show_balances(card, program)

    def _show_pending(self, card: CardView) -> None:
        count = int(getattr(card, "pending_count", 0) or 0)
        words = (
            tr("Includes 1 unsynced transaction")
            if count == 1
            else tr("Includes {count} unsynced transactions")
        )
        self.pending_label.setText(words.format(count=count))
        self.pending_label.setToolTip(
            tr("This view includes transactions not yet confirmed by the server; it may still change.")
        )
        self.pending_label.setVisible(bool(getattr(card, "has_pending", count > 0)))

    def _show_balances(self, card: CardView, program: Program | None) -> None:
        stamps_shown = program is None or program.has_stamps
        points_shown = program is None or program.has_points
        target = program.stamps_target if program is not None else 10
        self.stamp_card.set_stamps(card.stamp_count, target)
        self.stamp_card.setVisible(stamps_shown)
        self.stamps_label.setVisible(stamps_shown)
        reward = program.stamps_reward_description if program is not None else ""
        ready = card.stamp_count >= target
        text = tr("{count} of {target} stamps").format(count=card.stamp_count, target=target)
        if ready:
            text += " — " + tr("{reward} ready to redeem (F4)").format(reward=reward or tr("reward"))
        elif reward:
            text += f" — {reward}"
        self.stamps_label.setText(text)
        self.points_label.setText(points_text(card.points_balance, signed=False))
        self.points_label.setVisible(points_shown)
        rewards = affordable_rewards(program, card.points_balance)
        self.rewards_label.setVisible(points_shown)
        affordable = tr("Can afford: {rewards}").format(rewards=", ".join(rewards))
        self.rewards_label.setText(affordable if rewards else tr("No reward affordable yet."))
