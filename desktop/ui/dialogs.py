"""Action dialogs that record one transaction: earn points, enrol a card, confirm (redemptions:
redeem_dialogs)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, QRegularExpression, Qt, Slot
from PySide6.QtGui import QRegularExpressionValidator, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.input_checks import EMAIL_PROBLEM, contact_problem
from desktop.ui.approval import ApprovalRows
from desktop.ui.context import TillContext
from desktop.ui.format import money, points_text, signed_number
from desktop.ui.i18n import tr
from desktop.ui.ops import Change, LedgerTask, friendly
from desktop.ui.widgets import Keypad, styled
from sync.protocol import MAX_PURCHASE_CENTS, Program, Role
from sync.rules import points_for_purchase

if TYPE_CHECKING:
    from desktop.ledger import CardView, Ledger, Recorded, StaffView

AMOUNT_PATTERN = r"^\d{0,7}([.,]\d{0,2})?$"


def parse_cents(text: str) -> int | None:
    """'12.5' -> 1250; None for empty or malformed input."""
    text = text.strip().replace(",", ".")
    if not text or not re.fullmatch(r"\d*(\.\d{0,2})?", text) or text == ".":
        return None
    try:
        cents = int((Decimal(text) * 100).to_integral_value())
    except InvalidOperation:
        return None
    return cents if 0 <= cents <= MAX_PURCHASE_CENTS else None


class ActionDialog(QDialog):
    """A form with OK/Cancel that records its action on the ledger thread and stays open on refusal."""

    def __init__(self, context: TillContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.recorded: Any = None
        self.records_transaction = True  # else: `done_text()` says what was done
        self.changes = Change.RECORDED
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(520)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(24, 20, 24, 20)
        self.body.setSpacing(12)
        heading = styled(QLabel(title, self), "title")
        self.body.addWidget(heading)
        self.middle = QHBoxLayout()  # the form, and a number pad beside it for touch screens
        self.middle.setSpacing(24)
        self.form = QFormLayout()
        self.form.setSpacing(10)
        self.middle.addLayout(self.form, 1)
        self.body.addLayout(self.middle)
        self.keypad: Keypad | None = None
        self.problem_label = styled(QLabel("", self), "inline_problem")
        self.problem_label.setWordWrap(True)
        keep_place = self.problem_label.sizePolicy()
        keep_place.setRetainSizeWhenHidden(True)  # a problem shown never moves the buttons
        self.problem_label.setSizePolicy(keep_place)
        self.problem_label.hide()
        self.body.addWidget(self.problem_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(tr("Cancel (Esc)"), self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = styled(QPushButton(tr("OK (Enter)"), self), "primary")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.on_ok_button_clicked)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        self.body.addLayout(buttons)

    def _keypad_ok(self) -> None:
        if self.ok_button.isEnabled():
            self.ok_button.click()

    def task(self) -> LedgerTask[Any] | None:
        """The ledger call to make, or None when the form is not complete (say why first)."""
        raise NotImplementedError

    def first_input(self) -> QWidget:
        """Where the keyboard goes when the dialog opens (a scanner or a cashier types at once)."""
        return self.ok_button

    def add_keypad(self, extra: str | None) -> None:
        """A number pad beside the form (unless the till's settings turn them off): it types into the
        field that has the focus, which it never takes."""
        if not self.context.settings.on_screen_keypad:
            return
        self.keypad = Keypad(self, extra=extra)
        self.keypad.type_into_focus(self)
        if extra is None:  # its OK key confirms, as Enter does
            self.keypad.enter_pressed.connect(self._keypad_ok)
        self.middle.addWidget(self.keypad, 0, Qt.AlignmentFlag.AlignTop)
        self.setMinimumWidth(self.minimumWidth() + self.keypad.sizeHint().width() + self.middle.spacing())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        target = self.first_input()
        target.setFocus(Qt.FocusReason.ActiveWindowFocusReason)
        if isinstance(target, QLineEdit):
            target.selectAll()  # typing replaces what is prefilled

    @Slot()
    def on_ok_button_clicked(self) -> None:
        task = self.task()
        if task is None:
            return
        self.ok_button.setEnabled(False)
        self.context.op(self, task).success(self._recorded).failure(self._refused).changes(self.changes).run()

    def show_problem(self, message: str) -> None:
        self.problem_label.setText(message)
        self.problem_label.setVisible(bool(message))
        self.fit_height()

    def fit_height(self) -> None:
        """Grow to the height the wrapped lines need at this width (a window's minimum size does
        not follow its labels' wrapping: a long message would be squeezed into one line). Before
        the dialog is shown, its first size is made from its contents anyway."""
        if not self.isVisible():
            return
        self.body.activate()
        needed = self.body.totalMinimumHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _recorded(self, result: Any) -> None:
        self.recorded = result
        if self.isVisible():  # not when the till locked meanwhile (the dialog was closed then)
            self.accept()

    def _refused(self, error: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if getattr(error, "ends_session", False):  # too many wrong PINs asked in this session
            self.reject()
            self.context.end_session(friendly(error)[1])
            return
        title, message = friendly(error)
        self.show_problem(tr("{title}: {message}").format(title=title, message=message))

    def done_text(self) -> str:
        """What the screen says after a dialog that records no transaction."""
        return ""

    def signed_in_staff(self) -> StaffView | None:
        """Who acts; None (said in the dialog) when the till locked meanwhile."""
        staff = self.context.staff
        if staff is None:
            self.show_problem(tr("The till is locked: sign in first."))
        return staff


class EarnPointsDialog(ActionDialog):
    """Purchase amount and order reference, with the points it will give shown as you type."""

    def __init__(self, context: TillContext, card: CardView, parent: QWidget | None = None) -> None:
        super().__init__(context, tr("Earn points"), parent)
        self.card = card
        self.program: Program | None = context.program
        self.amount_edit = QLineEdit(self)
        self.amount_edit.setPlaceholderText("0.00")
        self.amount_edit.setValidator(QRegularExpressionValidator(QRegularExpression(AMOUNT_PATTERN), self))
        self.amount_edit.textChanged.connect(self.on_amount_edit_text_changed)
        currency = self.program.currency if self.program is not None else ""
        self.form.addRow(tr("Purchase ({currency})").format(currency=currency), self.amount_edit)
        self.reference_edit = QLineEdit(self)
        self.reference_edit.setMaxLength(100)
        self.reference_edit.setPlaceholderText(tr("Receipt or order number"))
        self.form.addRow(tr("Order reference"), self.reference_edit)
        self.preview_label = styled(QLabel("", self), "big")
        self.form.addRow(tr("Points"), self.preview_label)
        self.approval = ApprovalRows(context, self.form, self)
        self.add_keypad(QLocale().decimalPoint())
        self.on_amount_edit_text_changed("")

    def first_input(self) -> QWidget:
        return self.amount_edit

    def preview_points(self) -> int | None:
        cents = parse_cents(self.amount_edit.text())
        if cents is None or self.program is None:
            return None
        return points_for_purchase(self.program, cents)

    @Slot(str)
    def on_amount_edit_text_changed(self, _text: str) -> None:
        self.approval.withdraw()  # another amount: asked again if it is above the limit too
        cents = parse_cents(self.amount_edit.text())
        program = self.program
        if cents is None or program is None:
            self.preview_label.setText("—")
            self.ok_button.setEnabled(False)
            return
        if cents < program.minimum_purchase_cents:
            minimum = money(program.minimum_purchase_cents, program.currency)
            self.preview_label.setText("0")
            self.show_problem(
                tr("Below the minimum purchase of {minimum}: no points.").format(minimum=minimum)
            )
            self.ok_button.setEnabled(False)
            return
        self.show_problem("")
        self.preview_label.setText(signed_number(points_for_purchase(program, cents)))
        self.ok_button.setEnabled(True)

    def task(self) -> LedgerTask[Any] | None:
        cents = parse_cents(self.amount_edit.text())
        if cents is None:
            self.show_problem(tr("Type the purchase amount."))
            return None
        staff, number = self.signed_in_staff(), self.card.card_number
        if staff is None:
            return None
        reference = self.reference_edit.text().strip() or None
        setting = self.context.settings.large_purchase_cents or None
        approval = self.approval.approval() if self.approval.asked else None
        if self.approval.asked and approval is None:
            self.show_problem(tr("The manager types their PIN to approve this purchase."))
            return None

        def earn(ledger: Ledger) -> Recorded:
            approver = None
            if approval is not None:
                approver = ledger.approve(staff, *approval, at_least=Role.STORE_MANAGER)
            return ledger.earn_points(
                staff,
                number,
                purchase_amount_cents=cents,
                order_reference=reference,
                limit_cents=ledger.purchase_limit(setting).cents,
                approved_by=approver,
            )

        return earn

    def _refused(self, error: BaseException) -> None:
        limit = getattr(error, "limit_cents", None)
        if not isinstance(limit, int):
            super()._refused(error)
            if self.approval.asked:
                self.approval.pin_edit.setFocus()
            return
        self.ok_button.setEnabled(True)
        currency = self.program.currency if self.program is not None else ""
        amount = money(getattr(error, "amount_cents", 0), currency)
        above = tr(
            "{amount} is above this till's limit of {limit}. "
            "Check the amount; if it is right, a manager approves it with their PIN."
        )
        self.show_problem(above.format(amount=amount, limit=money(limit, currency)))
        self.approval.ask()
        self.adjustSize()


class EnrolCardDialog(ActionDialog):
    """A new card for a customer; the programme's welcome bonus is granted with it."""

    def __init__(self, context: TillContext, card_number: str = "", parent: QWidget | None = None) -> None:
        super().__init__(context, tr("Enrol a new card"), parent)
        self.number_edit = QLineEdit(card_number, self)
        self.number_edit.setMaxLength(32)
        self.number_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"^[A-Za-z0-9-]{0,32}$"), self)
        )
        self.form.addRow(tr("Card number"), self.number_edit)
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(200)
        self.form.addRow(tr("Customer name"), self.name_edit)
        self.email_edit = QLineEdit(self)
        self.email_edit.setMaxLength(254)
        self.form.addRow(tr("Email (optional)"), self.email_edit)
        self.phone_edit = QLineEdit(self)
        self.phone_edit.setMaxLength(32)
        self.form.addRow(tr("Phone (optional)"), self.phone_edit)
        program = context.program
        bonus = program.welcome_bonus_points if program is not None and program.has_points else 0
        welcome = tr("Welcome bonus: {points}").format(points=points_text(bonus, signed=False))
        text = welcome if bonus > 0 else tr("No welcome bonus in this programme.")
        self.bonus_label = styled(QLabel(text, self), "subtitle")
        self.form.addRow("", self.bonus_label)

    def first_input(self) -> QWidget:
        return self.name_edit if self.number_edit.text() else self.number_edit

    def task(self) -> LedgerTask[Any] | None:
        number = self.number_edit.text().strip()
        if not number:
            self.show_problem(tr("Scan or type the new card's number."))
            return None
        staff = self.signed_in_staff()
        if staff is None:
            return None
        name = self.name_edit.text().strip() or None
        email = self.email_edit.text().strip() or None
        phone = self.phone_edit.text().strip() or None
        problem = contact_problem(email, phone)
        if problem:
            self.show_problem(tr(problem))
            (self.email_edit if problem == EMAIL_PROBLEM else self.phone_edit).setFocus()
            return None
        return lambda ledger: ledger.enrol_card(staff, number, customer_name=name, email=email, phone=phone)


class ConfirmDialog(ActionDialog):
    """Asks once before an action that is hard to undo (deactivating a card)."""

    def __init__(
        self,
        context: TillContext,
        *,
        title: str,
        question: str,
        task: LedgerTask[Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(context, title, parent)
        self._task = task
        label = QLabel(question, self)
        label.setWordWrap(True)
        self.body.insertWidget(1, label)
        self.ok_button.setText(tr("{action} (Enter)").format(action=title))

    def task(self) -> LedgerTask[Any] | None:
        return self._task
