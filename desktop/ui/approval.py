"""A manager's approval inside another staff member's session: who approves, and their PIN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from desktop.ui.context import TillContext
from desktop.ui.i18n import tr
from desktop.ui.widgets import styled
from sync.protocol import Role

if TYPE_CHECKING:
    from desktop.ledger import StaffView


class ApprovalRows:
    """Two rows of a dialog's form: who approves (a store manager or the owner, the signed-in one
    first if they are one) and their PIN. Hidden until an action asks; the PIN is cleared after
    every try."""

    def __init__(self, context: TillContext, form: QFormLayout, parent: QWidget) -> None:
        self.context = context
        self.form = form
        self.approver_combo = QComboBox(parent)
        self.approver_combo.setAccessibleName(tr("Manager who approves"))
        self.pin_edit = styled(QLineEdit(parent), "pin_small")
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(8)
        self.pin_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"^\d{0,8}$"), parent))
        self.pin_edit.setPlaceholderText(tr("PIN"))
        self.pin_edit.setAccessibleName(tr("Manager's PIN"))
        form.addRow(tr("Manager"), self.approver_combo)
        form.addRow(tr("Manager's PIN"), self.pin_edit)
        self.asked = False
        self._show(False)
        # Read while the dialog opens, so the list is there before anyone is asked.
        context.op(parent, lambda ledger: ledger.staff_members()).success(self._fill).run()

    def _show(self, shown: bool) -> None:
        for widget in (self.approver_combo, self.pin_edit):
            self.form.setRowVisible(widget, shown)

    def ask(self) -> None:
        """Show the rows and put the keyboard on the PIN."""
        self.asked = True
        self._show(True)
        self.pin_edit.setFocus()

    def withdraw(self) -> None:
        """Not needed (any more): hide the rows."""
        if self.asked:
            self.asked = False
            self._show(False)

    def _fill(self, members: list[StaffView]) -> None:
        store = getattr(self.context.session.identity, "store_id", None)
        approvers = [
            member
            for member in members
            if member.is_active
            and Role(member.role).at_least(Role.STORE_MANAGER)
            and member.store_id in (None, store)
        ]
        for member in approvers:
            self.approver_combo.addItem(member.name, member.id)
        current = self.context.staff
        if current is not None:
            self.approver_combo.setCurrentIndex(max(0, self.approver_combo.findData(current.id)))

    def approval(self) -> tuple[int, str] | None:
        """(approver id, PIN) when both are given; the PIN field is cleared either way."""
        approver, pin = self.approver_combo.currentData(), self.pin_edit.text()
        self.pin_edit.clear()
        if approver is None or not pin:
            return None
        return int(approver), pin
