"""The lock screen: staff pick their name, then type their PIN on the keypad or the keyboard."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.context import TillContext
from desktop.ui.format import local_time, role_text
from desktop.ui.i18n import tr
from desktop.ui.ops import Change, friendly
from desktop.ui.widgets import Keypad, restyle, styled

if TYPE_CHECKING:
    from desktop.ledger import StaffView

STAFF_COLUMNS = 3  # at most; fewer when the names would not fit side by side


def lockout_text(error: BaseException) -> str:
    """'Locked out' with the time left, from a LockedOut error's `until`."""
    until = getattr(error, "until", None)
    if not isinstance(until, datetime):
        return friendly(error)[1]
    minutes = max(1, math.ceil((until - datetime.now(UTC)).total_seconds() / 60))
    words = (
        tr("Too many wrong PINs. Try again in 1 minute (after {time}).")
        if minutes == 1
        else tr("Too many wrong PINs. Try again in {minutes} minutes (after {time}).")
    )
    return words.format(minutes=minutes, time=local_time(until))


class LockScreen(QWidget):
    """Nobody can use the till until a staff member signs in with their PIN."""

    def __init__(self, context: TillContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.selected_staff: StaffView | None = None
        self.staff_buttons: dict[int, QPushButton] = {}
        self._shown_staff: list[tuple[int, str]] = []
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._build()
        context.runner.ledger_changed.connect(self.on_runner_ledger_changed)
        context.program_loaded.connect(self.on_context_program_loaded)

    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(48, 36, 48, 36)
        outer.setSpacing(48)
        left = QVBoxLayout()
        self.store_label = styled(QLabel(tr("Loyalty till"), self), "title")
        left.addWidget(self.store_label)
        left.addWidget(styled(QLabel(tr("Who is at the till? Pick your name."), self), "subtitle"))
        names = styled(QScrollArea(self), "names")  # a long staff list scrolls, never leaves the window
        names.setWidgetResizable(True)
        names.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        names.installEventFilter(self)  # its width decides how many names stand side by side
        self.names_area = names
        names.setFrameShape(QFrame.Shape.NoFrame)
        names.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        grid_holder = styled(QWidget(names), "names")
        self.staff_grid = QGridLayout(grid_holder)
        self.staff_grid.setContentsMargins(0, 0, 0, 0)
        self.staff_grid.setSpacing(12)
        self.staff_grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        names.setWidget(grid_holder)
        left.addWidget(names, 1)
        self.empty_label = styled(QLabel(tr("Waiting for the staff list from the server…"), self), "muted")
        left.addWidget(self.empty_label)
        self.demo_label = styled(QLabel("", self), "hint")
        self.demo_label.setWordWrap(True)
        self.demo_label.hide()
        left.addWidget(self.demo_label)
        outer.addLayout(left, 3)
        outer.addLayout(self._build_pin_column(), 2)

    def _build_pin_column(self) -> QVBoxLayout:
        right = QVBoxLayout()
        right.setSpacing(12)
        right.addStretch(1)
        self.who_label = styled(QLabel(tr("Pick your name"), self), "subtitle")
        right.addWidget(self.who_label)
        self.pin_edit = styled(QLineEdit(self), "pin")
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(8)
        self.pin_edit.setPlaceholderText(tr("PIN"))
        self.pin_edit.setAccessibleName(tr("PIN"))
        self.pin_edit.returnPressed.connect(self.on_pin_edit_return_pressed)
        right.addWidget(self.pin_edit)
        self.message_label = styled(QLabel("", self), "inline_problem")
        self.message_label.setWordWrap(True)
        right.addWidget(self.message_label)
        self.keypad = Keypad(self)
        self.keypad.digit_pressed.connect(self.on_keypad_digit_pressed)
        self.keypad.backspace_pressed.connect(self.pin_edit.backspace)
        self.keypad.enter_pressed.connect(self.on_pin_edit_return_pressed)
        right.addWidget(self.keypad)
        right.addStretch(1)
        return right

    # --- staff list -------------------------------------------------------------------------

    def reload(self) -> None:
        self.context.op(self, lambda ledger: ledger.staff_members()).success(self._show_staff).run()

    def _show_staff(self, staff: list[StaffView]) -> None:
        active = [member for member in staff if member.is_active]
        if [(m.id, m.name) for m in active] == self._shown_staff:
            return
        self._shown_staff = [(m.id, m.name) for m in active]
        for button in self.staff_buttons.values():
            self._group.removeButton(button)
            button.deleteLater()
        self.staff_buttons.clear()
        for index, member in enumerate(active):
            button = styled(QPushButton(member.name, self), "staff")
            button.setCheckable(True)
            button.setAccessibleName(tr("Sign in as {name}").format(name=member.name))
            button.clicked.connect(lambda _=False, m=member: self.select_staff(m))
            self._group.addButton(button)
            self.staff_buttons[member.id] = button
            self.staff_grid.addWidget(button, index // STAFF_COLUMNS, index % STAFF_COLUMNS)
        self._arrange_names()
        self.empty_label.setVisible(not active)
        self._chain_tab_order()
        if self.selected_staff is not None and self.selected_staff.id in self.staff_buttons:
            self.staff_buttons[self.selected_staff.id].setChecked(True)
        elif len(active) == 1:
            self.select_staff(active[0])

    def _arrange_names(self) -> None:
        """As many columns (of one width) as the widest name allows, up to STAFF_COLUMNS."""
        buttons = list(self.staff_buttons.values())
        if not buttons:
            return
        widest = max(button.sizeHint().width() for button in buttons)
        spacing = self.staff_grid.horizontalSpacing()
        room = self.names_area.viewport().width()
        columns = max(1, min(STAFF_COLUMNS, (room + spacing) // (widest + spacing)))
        for index, button in enumerate(buttons):
            self.staff_grid.addWidget(button, index // columns, index % columns)
        for column in range(STAFF_COLUMNS):
            self.staff_grid.setColumnStretch(column, 1 if column < columns else 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.names_area and event.type() == QEvent.Type.Resize:
            self._arrange_names()
        return super().eventFilter(watched, event)

    def _chain_tab_order(self) -> None:
        previous: QWidget | None = None
        for button in self.staff_buttons.values():
            if previous is not None:
                QWidget.setTabOrder(previous, button)
            previous = button
        if previous is not None:
            QWidget.setTabOrder(previous, self.pin_edit)

    def select_staff(self, member: StaffView) -> None:
        self.selected_staff = member
        self.staff_buttons[member.id].setChecked(True)
        self.who_label.setText(tr("{name}, type your PIN").format(name=member.name))
        self.message_label.setText("")
        self.pin_edit.clear()
        self.pin_edit.setFocus()

    def show_demo_hints(self) -> None:
        hints = self.context.session.demo_hints
        text = "  ·  ".join(f"{h.name} ({role_text(h.role)}): {h.pin}" for h in hints)
        self.demo_label.setText(tr("Demo PINs — {pins}").format(pins=text) if hints else "")
        self.demo_label.setVisible(bool(hints))

    # --- signing in --------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to a clean lock screen (after locking)."""
        self.pin_edit.clear()
        self.message_label.setText("")
        self.show_demo_hints()
        self.reload()
        self.pin_edit.setFocus()

    def show_message(self, text: str) -> None:
        """Why the till locked (after a reset, which clears the previous message)."""
        restyle(self.message_label, "inline_problem")
        self.message_label.setText(text)

    @Slot(str)
    def on_keypad_digit_pressed(self, digit: str) -> None:
        self.pin_edit.insert(digit)
        self.pin_edit.setFocus()

    @Slot()
    def on_pin_edit_return_pressed(self) -> None:
        member, pin = self.selected_staff, self.pin_edit.text()
        if member is None:
            self.message_label.setText(tr("Pick your name first."))
            return
        if not pin:
            self.message_label.setText(tr("Type your PIN."))
            return
        self.keypad.setEnabled(False)
        self.pin_edit.setEnabled(False)
        restyle(self.message_label, "muted")
        self.message_label.setText(tr("Checking…"))
        self.context.op(self, lambda ledger: ledger.login(member.id, pin)).success(self._signed_in).failure(
            self._refused
        ).run()

    def _signed_in(self, staff: StaffView) -> None:
        self._ready_for_input()
        self.pin_edit.clear()
        self.message_label.setText("")
        self.context.sign_in(staff)

    def _refused(self, error: BaseException) -> None:
        self._ready_for_input()
        self.pin_edit.clear()
        if hasattr(error, "until"):
            self.message_label.setText(lockout_text(error))
        else:
            self.message_label.setText(friendly(error)[1])
        self.pin_edit.setFocus()

    def _ready_for_input(self) -> None:
        restyle(self.message_label, "inline_problem")
        self.keypad.setEnabled(True)
        self.pin_edit.setEnabled(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Digits typed anywhere on the lock screen go to the PIN."""
        if event.text().isdigit() and not self.pin_edit.hasFocus():
            self.pin_edit.setFocus()
            self.pin_edit.insert(event.text())
            return
        super().keyPressEvent(event)

    @Slot(object)
    def on_runner_ledger_changed(self, changes: Change) -> None:
        if changes & Change.STAFF:
            self.reload()

    @Slot(object)
    def on_context_program_loaded(self, _program: object) -> None:
        identity = self.context.session.identity
        if identity is not None:
            self.store_label.setText(identity.store_name)

    def focus_default(self) -> None:
        self.pin_edit.setFocus(Qt.FocusReason.OtherFocusReason)
