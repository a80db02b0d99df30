"""First run: connect this till to the server with the URL and the one-time code from head office."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.ui.context import TillContext
from desktop.ui.i18n import tr
from desktop.ui.ops import friendly
from desktop.ui.widgets import restyle, styled

if TYPE_CHECKING:
    from sync.ports import DeviceIdentity


class EnrolScreen(QWidget):
    """Runs `sync.enrolment.enrol` on the ledger thread (it registers, then pulls everything)."""

    enrolled = Signal(object)  # DeviceIdentity

    def __init__(self, context: TillContext, *, device_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(styled(QLabel(tr("Set up this till"), self), "title"))
        intro = styled(
            QLabel(
                tr(
                    "Type the server address and the enrolment code head office gave you. "
                    "The till then downloads the programme, the staff and the cards."
                ),
                self,
            ),
            "muted",
        )
        intro.setWordWrap(True)
        column.addWidget(intro)
        column.addLayout(self._build_form(device_name))
        self.message_label = styled(QLabel("", self), "inline_problem")
        self.message_label.setWordWrap(True)
        column.addWidget(self.message_label)
        self.enrol_button = styled(QPushButton(tr("Connect this till"), self), "primary")
        self.enrol_button.setDefault(True)
        self.enrol_button.clicked.connect(self.on_enrol_button_clicked)
        for edit in (self.url_edit, self.code_edit, self.name_edit):
            edit.returnPressed.connect(self.on_enrol_button_clicked)
        column.addWidget(self.enrol_button)
        column.addStretch(2)
        box = QWidget(self)
        box.setLayout(column)
        box.setMaximumWidth(640)
        outer.addWidget(box, 3)
        outer.addStretch(1)

    def _build_form(self, device_name: str) -> QFormLayout:
        form = QFormLayout()
        form.setSpacing(12)
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("https://loyalty.example.com")
        form.addRow(tr("Server address"), self.url_edit)
        self.code_edit = QLineEdit(self)
        self.code_edit.setPlaceholderText("ABCD-1234")
        form.addRow(tr("Enrolment code"), self.code_edit)
        self.name_edit = QLineEdit(device_name or socket.gethostname() or "Till", self)
        form.addRow(tr("Name of this till"), self.name_edit)
        return form

    @Slot()
    def on_enrol_button_clicked(self) -> None:
        url, code, name = (e.text().strip() for e in (self.url_edit, self.code_edit, self.name_edit))
        restyle(self.message_label, "inline_problem")
        if not url.startswith(("http://", "https://")):
            self.message_label.setText(tr("The server address starts with https:// (or http://)."))
            return
        if not code:
            self.message_label.setText(tr("Type the enrolment code."))
            return
        restyle(self.message_label, "muted")
        self.message_label.setText(tr("Connecting…"))
        self.enrol_button.setEnabled(False)

        runner = self.context.runner

        def enrol() -> DeviceIdentity:
            # On the network thread: the register call and the first pull can take the server's
            # timeout, and the ledger (thread-safe) must answer the screens meanwhile.
            from sync.enrolment import enrol as enrol_till

            return enrol_till(runner.wait_for_ledger(), url, code, name or "Till")

        self.context.network.run(self, enrol, success=self._enrolled, failure=self._refused)

    def _enrolled(self, identity: DeviceIdentity) -> None:
        self.enrol_button.setEnabled(True)
        self.message_label.setText("")
        self.enrolled.emit(identity)

    def _refused(self, error: BaseException) -> None:
        self.enrol_button.setEnabled(True)
        title, message = friendly(error)
        restyle(self.message_label, "inline_problem")
        self.message_label.setText(tr("{title}: {message}").format(title=title, message=message))
        self.code_edit.setFocus()
