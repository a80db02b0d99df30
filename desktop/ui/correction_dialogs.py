"""Dialogs that correct a card: void from its history (partial for points) and the owner's adjustment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QListWidgetItem, QSpinBox, QWidget

from desktop.ui.dialogs import ActionDialog
from desktop.ui.format import describe_transaction
from desktop.ui.widgets import styled
from sync.protocol import MAX_ADJUSTMENT, Role, TransactionType


class VoidDialog(ActionDialog):
    """Pick a purchase or stamp from the card's history to void; points may be voided in part."""

    def __init__(
        self, context: Any, card: Any, parent: QWidget | None = None, *, preselect: str | None = None
    ) -> None:
        super().__init__(context, "Void a transaction", parent)
        self.card = card
        self.preselect = preselect  # the transaction picked in the card's history, if any
        self.transactions: list[Any] = []
        self.tx_list = QListWidget(self)
        self.tx_list.setMinimumHeight(220)
        self.tx_list.currentRowChanged.connect(self.on_tx_list_current_row_changed)
        self.body.insertWidget(1, self.tx_list)
        self.points_spin = QSpinBox(self)
        self.points_spin.setRange(1, 1)
        self.form.addRow("Points to void", self.points_spin)
        self.ok_button.setEnabled(False)
        self.show_problem("")
        number = card.card_number
        context.op(self, lambda ledger: ledger.voidable(number)).success(self._show_voidable).run()

    def _show_voidable(self, transactions: list[Any]) -> None:
        self.transactions = list(transactions)
        self.tx_list.clear()
        for tx in self.transactions:
            left = getattr(tx, "remaining_voidable", None)
            suffix = f" — {left} left to void" if left is not None else ""
            self.tx_list.addItem(QListWidgetItem(describe_transaction(tx) + suffix))
        if not self.transactions:
            self.show_problem("Nothing on this card can be voided.")
            return
        ids = [tx.id for tx in self.transactions]
        self.tx_list.setCurrentRow(ids.index(self.preselect) if self.preselect in ids else 0)
        self.tx_list.setFocus()

    @Slot(int)
    def on_tx_list_current_row_changed(self, row: int) -> None:
        if not 0 <= row < len(self.transactions):
            self.ok_button.setEnabled(False)
            return
        tx = self.transactions[row]
        is_points = TransactionType(tx.type) == TransactionType.POINTS_EARNED
        left = int(getattr(tx, "remaining_voidable", None) or abs(tx.points_delta) or 1)
        self.points_spin.setEnabled(is_points)
        self.points_spin.setRange(1, max(1, left))
        self.points_spin.setValue(max(1, left))
        self.ok_button.setEnabled(True)

    def task(self) -> Callable[[Any], Any] | None:
        row = self.tx_list.currentRow()
        if not 0 <= row < len(self.transactions):
            self.show_problem("Pick the transaction to void.")
            return None
        tx = self.transactions[row]
        points = self.points_spin.value() if self.points_spin.isEnabled() else None
        staff, tx_id = self.context.staff, tx.id
        return lambda ledger: ledger.void(staff, tx_id, points=points)


class AdjustDialog(ActionDialog):
    """Correct a balance: the owner authorises it with their PIN and a reason is required."""

    def __init__(self, context: Any, card: Any, parent: QWidget | None = None) -> None:
        super().__init__(context, "Adjust the balance", parent)
        self.card = card
        program = context.program
        self.stamps_spin = self._delta_spin()
        self.points_spin = self._delta_spin()
        if program is None or program.has_stamps:
            self.form.addRow("Stamps (+ or −)", self.stamps_spin)
        else:
            self.stamps_spin.hide()
        if program is None or program.has_points:
            self.form.addRow("Points (+ or −)", self.points_spin)
        else:
            self.points_spin.hide()
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setMaxLength(1000)
        self.reason_edit.setPlaceholderText("Why? (required)")
        self.form.addRow("Reason", self.reason_edit)
        self.owner_combo = QComboBox(self)
        self.form.addRow("Owner", self.owner_combo)
        self.pin_edit = QLineEdit(self)
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(8)
        self.pin_edit.setPlaceholderText("PIN")
        self.form.addRow("Owner's PIN", self.pin_edit)
        hint = styled(QLabel("Only the merchant's owner can adjust a balance.", self), "hint")
        hint.setWordWrap(True)
        self.form.addRow("", hint)
        context.op(self, lambda ledger: ledger.staff_members()).success(self._show_owners).run()
        (self.stamps_spin if self.stamps_spin.isVisible() or program is None else self.points_spin).setFocus()

    def _delta_spin(self) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(-MAX_ADJUSTMENT, MAX_ADJUSTMENT)
        spin.setValue(0)
        return spin

    def _show_owners(self, staff: list[Any]) -> None:
        owners = [m for m in staff if m.is_active and Role(m.role) == Role.MERCHANT_OWNER]
        for owner in owners:
            self.owner_combo.addItem(owner.name, owner.id)
        current = self.context.staff
        if current is not None and Role(current.role) == Role.MERCHANT_OWNER:
            self.owner_combo.setCurrentIndex(max(0, self.owner_combo.findData(current.id)))
        if not owners:
            self.show_problem("No owner is known to this till; the adjustment cannot be authorised.")

    def task(self) -> Callable[[Any], Any] | None:
        stamps, points = self.stamps_spin.value(), self.points_spin.value()
        reason = self.reason_edit.text().strip()
        owner_id, pin = self.owner_combo.currentData(), self.pin_edit.text()
        problem = (
            "Enter the stamps or points to add or take away."
            if stamps == 0 and points == 0
            else "Please give a reason for the adjustment."
            if not reason
            else "Pick the owner who authorises this."
            if owner_id is None
            else "The owner must type their PIN."
            if not pin
            else ""
        )
        if problem:
            self.show_problem(problem)
            return None
        number = self.card.card_number
        self.pin_edit.clear()

        def adjust(ledger: Any) -> Any:
            owner = ledger.verify_pin(int(owner_id), pin)
            return ledger.adjust(owner, number, stamps_delta=stamps, points_delta=points, reason=reason)

        return adjust

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.owner_combo.hasFocus():
            self.on_ok_button_clicked()
            return
        super().keyPressEvent(event)
