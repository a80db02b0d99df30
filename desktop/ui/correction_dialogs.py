"""Dialogs that correct a card: void from its history (partial for points) and the owner's adjustment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QWidget

from desktop.ui.context import TillContext
from desktop.ui.dialogs import ActionDialog
from desktop.ui.format import describe_transaction, number
from desktop.ui.i18n import tr
from desktop.ui.ops import LedgerTask
from desktop.ui.widgets import WholeNumberEdit, styled
from sync.protocol import MAX_ADJUSTMENT, TransactionType

if TYPE_CHECKING:
    from desktop.ledger import CardView, TransactionView

LIST_KEYS = frozenset({Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown})


class VoidDialog(ActionDialog):
    """Pick a purchase or stamp from the card's history to void; points may be voided in part.

    The points to void are typed as text: a number above what is left (or 0) is shown as out of
    range and cannot be confirmed, never clamped to something else."""

    def __init__(
        self,
        context: TillContext,
        card: CardView,
        parent: QWidget | None = None,
        *,
        preselect: str | None = None,
    ) -> None:
        super().__init__(context, tr("Void a transaction"), parent)
        self.card = card
        self.preselect = preselect  # the transaction picked in the card's history, if any
        self.transactions: list[TransactionView] = []
        self.maximum = 0
        self.tx_list = QListWidget(self)
        self.tx_list.setMinimumHeight(160)
        self.tx_list.currentRowChanged.connect(self.on_tx_list_current_row_changed)
        self.body.insertWidget(1, self.tx_list)
        self.points_edit = WholeNumberEdit(self)
        self.points_edit.setAccessibleName(tr("Points to void"))
        self.points_edit.textChanged.connect(self.on_points_edit_text_changed)
        self.points_edit.installEventFilter(self)  # Up and Down pick another transaction
        self.form.addRow(tr("Points to void"), self.points_edit)
        self.add_keypad(None)
        self.ok_button.setEnabled(False)
        number = card.card_number
        context.op(self, lambda ledger: ledger.voidable(number)).success(self._show_voidable).run()

    def first_input(self) -> QWidget:
        return self.points_edit if self.points_edit.isEnabled() else self.tx_list

    def _show_voidable(self, transactions: list[TransactionView]) -> None:
        self.transactions = list(transactions)
        self.tx_list.clear()
        for tx in self.transactions:
            left = getattr(tx, "remaining_voidable", None)
            suffix = " — " + tr("{count} left to void").format(count=number(left)) if left is not None else ""
            self.tx_list.addItem(QListWidgetItem(describe_transaction(tx) + suffix))
        if not self.transactions:
            self.show_problem(tr("Nothing on this card can be voided."))
            return
        ids = [tx.id for tx in self.transactions]
        self.tx_list.setCurrentRow(ids.index(self.preselect) if self.preselect in ids else 0)
        if self.isActiveWindow():
            self.first_input().setFocus()
        self.points_edit.selectAll()  # typing replaces the whole rest

    def _selected(self) -> TransactionView | None:
        row = self.tx_list.currentRow()
        return self.transactions[row] if 0 <= row < len(self.transactions) else None

    @Slot(int)
    def on_tx_list_current_row_changed(self, _row: int) -> None:
        tx = self._selected()
        if tx is None:
            self.ok_button.setEnabled(False)
            return
        is_points = TransactionType(tx.type) == TransactionType.POINTS_EARNED
        self.maximum = int(getattr(tx, "remaining_voidable", None) or abs(tx.points_delta) or 1)
        self.points_edit.setEnabled(is_points)
        self.points_edit.setText(str(self.maximum) if is_points else "")
        self.points_edit.setPlaceholderText("" if is_points else tr("a stamp is voided whole"))
        self._judge()

    @Slot(str)
    def on_points_edit_text_changed(self, _text: str) -> None:
        self._judge()

    def _judge(self) -> None:
        """OK only for a transaction picked and, for points, a number from 1 to what is left."""
        tx = self._selected()
        problem = ""
        if tx is not None and self.points_edit.isEnabled():
            points = self.points_edit.number()
            if points is None:
                problem = tr("Type the points to void.")
            elif not 1 <= points <= self.maximum:
                problem = tr("{points} is out of range: void between 1 and {maximum} points.").format(
                    points=points, maximum=self.maximum
                )
        self.show_problem(problem)
        self.ok_button.setEnabled(tx is not None and not problem)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.points_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in LIST_KEYS:
                self.tx_list.keyPressEvent(event)
                self.points_edit.selectAll()
                return True
        return super().eventFilter(watched, event)

    def task(self) -> LedgerTask[Any] | None:
        tx = self._selected()
        if tx is None or not self.ok_button.isEnabled():
            self._judge()
            return None
        points = self.points_edit.number() if self.points_edit.isEnabled() else None
        staff, tx_id = self.signed_in_staff(), tx.id
        if staff is None:
            return None
        return lambda ledger: ledger.void(staff, tx_id, points=points)


class AdjustDialog(ActionDialog):
    """The owner corrects a balance (signed in: nobody else gets this far), with a reason."""

    def __init__(self, context: TillContext, card: CardView, parent: QWidget | None = None) -> None:
        super().__init__(context, tr("Adjust the balance"), parent)
        self.card = card
        program = context.program
        self.stamps_edit = self._delta_edit(tr("Stamps to add or take away"))
        self.points_edit = self._delta_edit(tr("Points to add or take away"))
        self.stamps_shown = program is None or program.has_stamps
        self.points_shown = program is None or program.has_points
        if self.stamps_shown:
            self.form.addRow(tr("Stamps (+ or −)"), self.stamps_edit)
        else:
            self.stamps_edit.hide()
        if self.points_shown:
            self.form.addRow(tr("Points (+ or −)"), self.points_edit)
        else:
            self.points_edit.hide()
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setMaxLength(1000)
        self.reason_edit.setPlaceholderText(tr("Why? (required)"))
        self.form.addRow(tr("Reason"), self.reason_edit)
        limit = number(MAX_ADJUSTMENT)
        hint = styled(QLabel(tr("Between −{limit} and +{limit} each.").format(limit=limit), self), "hint")
        self.form.addRow("", hint)
        self.add_keypad("−")

    def _delta_edit(self, name: str) -> WholeNumberEdit:
        edit = WholeNumberEdit(self, signed=True, digits=6)
        edit.setPlaceholderText("0")
        edit.setAccessibleName(name)
        return edit

    def first_input(self) -> QWidget:
        return self.stamps_edit if self.stamps_shown else self.points_edit

    def _problem(self, stamps: int | None, points: int | None, reason: str) -> str:
        typed = [edit for edit in (self.stamps_edit, self.points_edit) if edit.text().strip()]
        if any(edit.number() is None for edit in typed):
            return tr("Type a whole number, with − to take away.")
        if any(abs(value or 0) > MAX_ADJUSTMENT for value in (stamps, points)):
            return tr("An adjustment is at most {limit} either way.").format(limit=number(MAX_ADJUSTMENT))
        if not stamps and not points:
            return tr("Enter the stamps or points to add or take away.")
        if not reason:
            return tr("Please give a reason for the adjustment.")
        return ""

    def task(self) -> LedgerTask[Any] | None:
        stamps, points = self.stamps_edit.number(), self.points_edit.number()
        reason = self.reason_edit.text().strip()
        problem = self._problem(stamps, points, reason)
        if problem:
            self.show_problem(problem)
            return None
        owner, number = self.signed_in_staff(), self.card.card_number
        if owner is None:
            return None
        return lambda ledger: ledger.adjust(
            owner, number, stamps_delta=stamps or 0, points_delta=points or 0, reason=reason
        )
