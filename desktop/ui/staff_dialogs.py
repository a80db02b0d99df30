"""Unlocking a locked-out colleague at the till (a manager or the owner, logged on the till)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QWidget

from desktop.ui.context import TillContext
from desktop.ui.dialogs import ActionDialog
from desktop.ui.format import local_time, role_text
from desktop.ui.i18n import tr
from desktop.ui.ops import LedgerTask
from desktop.ui.widgets import styled

if TYPE_CHECKING:
    from desktop.ledger import Ledger, StaffView


class UnlockDialog(ActionDialog):
    """Staff locked out by wrong PINs; a manager or the owner ends one's lockout (logged on the till)."""

    def __init__(self, context: TillContext, parent: QWidget | None = None) -> None:
        super().__init__(context, tr("Unlock a colleague"), parent)
        self.locked: list[tuple[StaffView, datetime]] = []
        self.staff_list = QListWidget(self)
        self.staff_list.setMinimumHeight(160)
        self.staff_list.setAccessibleName(tr("Locked-out staff"))
        self.body.insertWidget(1, self.staff_list)
        hint = styled(QLabel(tr("They can sign in at once; the till keeps who unlocked whom."), self), "hint")
        hint.setWordWrap(True)
        self.body.insertWidget(2, hint)
        self.ok_button.setText(tr("Unlock (Enter)"))
        self.records_transaction = False
        self.ok_button.setEnabled(False)
        context.op(self, lambda ledger: ledger.locked_out_staff()).success(self._show_locked).run()

    def first_input(self) -> QWidget:
        return self.staff_list

    def _show_locked(self, locked: list[tuple[StaffView, datetime]]) -> None:
        self.locked = list(locked)
        for member, until in self.locked:
            text = tr("{name} ({role}) — locked until {time}").format(
                name=member.name, role=role_text(member.role), time=local_time(until)
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, member.id)
            self.staff_list.addItem(item)
        if not self.locked:
            self.show_problem(tr("Nobody is locked out at this till."))
            return
        self.staff_list.setCurrentRow(0)
        self.ok_button.setEnabled(True)

    def task(self) -> LedgerTask[StaffView] | None:
        row = self.staff_list.currentRow()
        if not 0 <= row < len(self.locked):
            self.show_problem(tr("Pick the colleague to unlock."))
            return None
        member, unlocker = self.locked[row][0], self.signed_in_staff()
        if unlocker is None:
            return None

        def unlock(ledger: Ledger) -> StaffView:
            ledger.unlock_staff(unlocker, member.id)
            return member

        return unlock

    def done_text(self) -> str:
        return tr("{name} can sign in again.").format(name=self.recorded.name)
