"""Redemption dialogs: a reward for points (F5), a full stamp card at risk (F4). Each says before
the cashier confirms whether the redemption is covered by the till's offline allowance, checked
online or at risk (docs/allowances.md); an at-risk one waits for a manager's PIN."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QWidget

from desktop.ui import theme
from desktop.ui.approval import ApprovalRows
from desktop.ui.context import TillContext
from desktop.ui.coverage import AT_RISK, ONLINE, at_risk_words, redemption_words
from desktop.ui.dialogs import ActionDialog
from desktop.ui.format import number, points_text
from desktop.ui.i18n import tr
from desktop.ui.ops import LedgerTask
from desktop.ui.widgets import restyle, styled
from sync.protocol import Role

if TYPE_CHECKING:
    from desktop.ledger import CardView, Coverage, Ledger, Recorded, StaffView

# How a redemption is recorded once the dialog knows who acts and who approved (None: nobody asked).
Redeem = Callable[["Ledger", "StaffView", "StaffView | None"], "Recorded"]


def needs_approval(error: BaseException) -> bool:
    """The ledger found the redemption at risk and asks a manager's approval (read by the error's
    name: the window never imports the ledger)."""
    return type(error).__name__ == "AtRiskNeedsApproval"


class RedemptionDialog(ActionDialog):
    """A redemption's dialog: its coverage (read when it opens, for what is picked) and the manager's
    approval rows, asked when the ledger finds it at risk; then Enter approves and records it."""

    def __init__(self, context: TillContext, title: str, card: CardView, parent: QWidget | None) -> None:
        super().__init__(context, title, parent)
        self.card = card
        self.coverage: Coverage | None = None
        self.setMinimumWidth(600)  # what a redemption is takes a few lines: fewer, wider ones
        self.coverage_label = styled(QLabel("", self), ONLINE)
        self.coverage_label.setWordWrap(True)
        self.coverage_label.hide()
        self.body.insertWidget(1, self.coverage_label)  # above the form: the approval rows go there
        self.approval = ApprovalRows(context, self.form, self)
        card_number = card.card_number
        context.op(self, lambda ledger: ledger.coverage(card_number)).success(self._covered).run()

    def amounts(self) -> tuple[int, int] | None:
        """(points, stamps) the picked redemption takes; None when nothing is picked."""
        raise NotImplementedError

    def _covered(self, cover: Coverage) -> None:
        self.coverage = cover
        self.show_coverage()

    def show_coverage(self, text: str | None = None, style: str = AT_RISK) -> None:
        """What the picked redemption is (or `text`, when the ledger has said)."""
        if text is None:
            amounts = self.amounts()
            if self.coverage is None or amounts is None:
                return
            points, stamps = amounts
            text, style = redemption_words(self.coverage, points=points, stamps=stamps)
        restyle(self.coverage_label, style)
        self.coverage_label.setText(text)
        self.coverage_label.setVisible(bool(text))
        self.fit_height()

    def redeem_task(self, redeem: Redeem) -> LedgerTask[Any] | None:
        """The ledger call, with the manager's approval once asked (the PIN checked on the ledger
        thread first: wrong PINs count against the signed-in staff member's session)."""
        staff = self.signed_in_staff()
        if staff is None:
            return None
        approval = self.approval.approval() if self.approval.asked else None
        if self.approval.asked and approval is None:
            self.show_problem(tr("The manager types their PIN to approve this redemption."))
            self.approval.pin_edit.setFocus()
            return None

        def record(ledger: Ledger) -> Recorded:
            approver = None
            if approval is not None:
                approver = ledger.approve(staff, *approval, at_least=Role.STORE_MANAGER)
            return redeem(ledger, staff, approver)

        return record

    def ask_approval(self) -> None:
        """At risk: say so (with who approves), and put the keyboard on the manager's PIN."""
        self.show_coverage(at_risk_words())
        self.show_problem("")
        self.approval.ask()
        self.fit_height()

    def _refused(self, error: BaseException) -> None:
        if needs_approval(error):
            self.ok_button.setEnabled(True)
            self.ask_approval()
            return
        if type(error).__name__ == "AtRiskForbidden":
            self.show_coverage("")  # the refusal below says it, in the ledger's words
        super()._refused(error)
        if self.approval.asked:
            self.approval.pin_edit.setFocus()


class RewardDialog(RedemptionDialog):
    """The programme's rewards; those the card cannot afford are greyed out with the reason."""

    def __init__(self, context: TillContext, card: CardView, parent: QWidget | None = None) -> None:
        super().__init__(context, tr("Redeem a reward"), card, parent)
        self.costs: dict[str, int] = {}
        self.reward_list = QListWidget(self)
        # Three rows at least (more scroll), so a 1024x600 till has room for the manager's rows too.
        self.reward_list.setMinimumHeight(theme.current().touch * 3 + 8)
        self.reward_list.itemActivated.connect(self.on_reward_list_item_activated)
        on_card = tr("{points} on the card").format(points=points_text(card.points_balance, signed=False))
        self.body.insertWidget(1, styled(QLabel(on_card, self), "subtitle"))
        self.body.insertWidget(2, self.reward_list)
        program = context.program
        for reward in sorted(program.rewards if program is not None else [], key=lambda r: r.points_cost):
            self.costs[reward.id] = reward.points_cost
            shortfall = reward.points_cost - card.points_balance
            text = f"{reward.name} — {points_text(reward.points_cost, signed=False)}"
            needs = tr("{text} — needs {count} more points").format(text=text, count=number(shortfall))
            item = QListWidgetItem(text if shortfall <= 0 else needs)
            item.setData(Qt.ItemDataRole.UserRole, reward.id)
            if shortfall > 0:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
                item.setToolTip(tr("Not enough points: needs {count} more.").format(count=number(shortfall)))
            self.reward_list.addItem(item)
        first = next((item for item in self._items() if item.flags() & Qt.ItemFlag.ItemIsEnabled), None)
        if first is not None:
            self.reward_list.setCurrentItem(first)
        else:
            self.show_problem(tr("No reward is affordable with this card's points yet."))
            self.ok_button.setEnabled(False)
        self.reward_list.currentItemChanged.connect(self.on_reward_list_current_item_changed)

    def _items(self) -> list[QListWidgetItem]:
        return [self.reward_list.item(i) for i in range(self.reward_list.count())]

    def first_input(self) -> QWidget:
        return self.reward_list

    def amounts(self) -> tuple[int, int] | None:
        item = self.reward_list.currentItem()
        if item is None:
            return None
        return self.costs.get(str(item.data(Qt.ItemDataRole.UserRole)), 0), 0

    @Slot(QListWidgetItem, QListWidgetItem)
    def on_reward_list_current_item_changed(self, _current: object, _previous: object) -> None:
        self.approval.withdraw()  # another reward: asked again if it is at risk too
        self.show_problem("")
        self.show_coverage()

    @Slot(QListWidgetItem)
    def on_reward_list_item_activated(self, _item: QListWidgetItem) -> None:
        self.on_ok_button_clicked()

    def task(self) -> LedgerTask[Any] | None:
        item = self.reward_list.currentItem()
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.show_problem(tr("Pick a reward the card can afford."))
            return None
        reward_id, card_number = str(item.data(Qt.ItemDataRole.UserRole)), self.card.card_number

        def redeem(ledger: Ledger, staff: StaffView, approver: StaffView | None) -> Recorded:
            return ledger.redeem_reward(staff, card_number, reward_id, approved_by=approver)

        return self.redeem_task(redeem)


class RedeemStampsDialog(RedemptionDialog):
    """F4 records a full stamp card at once; when the ledger finds it at risk, this asks a manager."""

    def __init__(self, context: TillContext, card: CardView, parent: QWidget | None = None) -> None:
        super().__init__(context, tr("Redeem stamps"), card, parent)
        program = context.program
        self.target = program.stamps_target if program is not None else 0
        reward = (program.stamps_reward_description if program is not None else "") or tr("reward")
        stamps = tr("{count} of {target} stamps").format(count=card.stamp_count, target=self.target)
        self.body.insertWidget(1, styled(QLabel(f"{stamps} — {reward}", self), "subtitle"))
        self.ask_approval()

    def first_input(self) -> QWidget:
        return self.approval.pin_edit

    def amounts(self) -> tuple[int, int] | None:
        return 0, self.target

    def task(self) -> LedgerTask[Any] | None:
        card_number = self.card.card_number
        return self.redeem_task(
            lambda ledger, staff, approver: ledger.redeem_stamps(staff, card_number, approved_by=approver)
        )
