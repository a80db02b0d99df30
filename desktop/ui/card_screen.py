"""The card screen: scan or search a card, see the customer, and act on the card with one key."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStackedLayout,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.input_checks import looks_like_card_number
from desktop.ui.actions import ACTIONS, enabled_actions
from desktop.ui.context import TillContext
from desktop.ui.correction_dialogs import AdjustDialog, VoidDialog
from desktop.ui.coverage import CoverageLine
from desktop.ui.customer_panel import CustomerPanel
from desktop.ui.dialogs import ActionDialog, ConfirmDialog, EarnPointsDialog, EnrolCardDialog
from desktop.ui.format import deltas_text, role_text, type_text
from desktop.ui.history import HistoryTable, RejectionsView, TodayPanel
from desktop.ui.i18n import QT_TR_NOOP, tr
from desktop.ui.ops import Change, LedgerTask, friendly
from desktop.ui.redeem_dialogs import RedeemStampsDialog, RewardDialog, needs_approval
from desktop.ui.staff_dialogs import UnlockDialog
from desktop.ui.widgets import Banner, styled
from sync.protocol import CARD_NUMBER_PATTERN, Role

if TYPE_CHECKING:
    from desktop.ledger import CardView, Ledger, Recorded, StaffView, SyncStatus

CARD_NUMBER = re.compile(CARD_NUMBER_PATTERN)
ONLY_OWNER_TITLE = QT_TR_NOOP("Only the owner can adjust a balance")
ONLY_OWNER_MESSAGE = QT_TR_NOOP("Ask the owner to sign in at this till (F12 locks it) and adjust it.")


class CardScreen(QWidget):
    """Everything a cashier does with a card; the scan field gets the focus back after each action."""

    card_shown = Signal(object)  # CardView | None
    lock_requested = Signal()

    def __init__(self, context: TillContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.card: CardView | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.shortcut_actions: dict[str, QAction] = {}
        self._build()
        self._update_actions()
        context.runner.ledger_changed.connect(self.on_runner_ledger_changed)
        context.runner.problem_raised.connect(self.on_runner_problem_raised)
        context.program_loaded.connect(self.on_context_program_loaded)

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 12, 20, 8)
        outer.setSpacing(10)
        outer.addLayout(self._build_header())
        columns = QHBoxLayout()
        columns.setSpacing(20)
        for column, stretch in ((self._build_left(), 4), (self._build_right(), 6)):
            holder = QWidget(self)
            holder.setLayout(column)
            column.setContentsMargins(0, 0, 0, 0)
            # Ignore the contents' width hints so the columns keep their proportions whatever they show.
            holder.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            columns.addWidget(holder, stretch)
        outer.addLayout(columns, 1)

    def _build_header(self) -> QHBoxLayout:
        """The store's name, and in its place for a while each "Saved" or refusal: a line of fixed
        height, so a message never moves a control a finger is about to touch."""
        header = QHBoxLayout()
        self.store_label = styled(QLabel("", self), "subtitle")
        self.banner = Banner(self)
        self.message_line = styled(QWidget(self), "message_line")  # its height: the theme's
        line = QStackedLayout(self.message_line)
        line.setStackingMode(QStackedLayout.StackingMode.StackAll)
        line.addWidget(self.store_label)
        line.addWidget(self.banner)
        self.banner.visibility_changed.connect(lambda shown: self.store_label.setVisible(not shown))
        header.addWidget(self.message_line, 1)
        self.staff_label = styled(QLabel("", self), "subtitle")
        header.addWidget(self.staff_label)
        self.unlock_button = QPushButton(tr("Unlock staff  Ctrl+U"), self)
        self.unlock_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.unlock_button.setToolTip(
            tr("End a colleague's lockout after wrong PINs (managers and the owner).")
        )
        self.unlock_button.clicked.connect(self.open_unlock)
        header.addWidget(self.unlock_button)
        self.lock_button = QPushButton(tr("Lock  F12"), self)
        self.lock_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.lock_button.clicked.connect(self.lock_requested)
        header.addWidget(self.lock_button)
        return header

    def _build_left(self) -> QVBoxLayout:
        left = QVBoxLayout()
        left.setSpacing(10)
        self.scan_edit = styled(QLineEdit(self), "scan")
        self.scan_edit.setPlaceholderText(tr("Scan a card or type a name"))
        self.scan_edit.setAccessibleName(tr("Card number or customer name"))
        self.scan_edit.returnPressed.connect(self.on_scan_edit_return_pressed)
        left.addWidget(self.scan_edit)
        self.results_list = QListWidget(self)
        self.results_list.setAccessibleName(tr("Matching cards"))
        self.results_list.itemActivated.connect(self.on_results_list_item_activated)
        self.results_list.hide()
        left.addWidget(self.results_list, 1)
        self.customer_panel = CustomerPanel(self)
        self.coverage_line = CoverageLine(self.context, self)
        self.customer_panel.add_note(self.coverage_line)
        left.addWidget(self.customer_panel, 2)
        return left

    def _build_right(self) -> QVBoxLayout:
        right = QVBoxLayout()
        right.setSpacing(10)
        grid = QGridLayout()
        grid.setSpacing(10)
        for index, spec in enumerate(ACTIONS):
            button = styled(QPushButton(f"{tr(spec.label)}\t{spec.shortcut}", self), "action")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _=False, key=spec.key: self.trigger(key))
            action = QAction(tr(spec.label), self)
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _=False, key=spec.key: self.trigger(key))
            self.addAction(action)
            self.buttons[spec.key], self.shortcut_actions[spec.key] = button, action
            grid.addWidget(button, index // 2, index % 2)
        right.addLayout(grid)
        self.tabs = QTabWidget(self)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.history = HistoryTable(self.context, self)
        self.rejections = RejectionsView(self.context, self)
        self.today = TodayPanel(self.context, self)
        self.tabs.addTab(self.history, tr("History"))
        self.tabs.addTab(self.rejections, tr("Rejections"))
        self.tabs.addTab(self.today, tr("Today"))
        self.tabs.currentChanged.connect(self.on_tabs_current_changed)
        right.addWidget(self.tabs, 1)
        self._add_shortcut("Escape", self.clear_card)
        self._add_shortcut("Ctrl+F", self.focus_scan)
        self._add_shortcut("Ctrl+H", lambda: self.tabs.setCurrentWidget(self.history))
        self._add_shortcut("Ctrl+R", self.show_rejections)
        self._add_shortcut("Ctrl+T", lambda: self.tabs.setCurrentWidget(self.today))
        self._add_shortcut("Ctrl+U", self.open_unlock)
        return right

    def _add_shortcut(self, keys: str, slot: Any) -> None:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        self.addAction(action)

    # --- session ----------------------------------------------------------------------------

    def start_session(self) -> None:
        staff, identity = self.context.staff, self.context.session.identity
        role = role_text(staff.role) if staff is not None else ""
        self.staff_label.setText(f"{staff.name} · {role}" if staff is not None else "")
        self.store_label.setText(identity.store_name if identity is not None else "")
        manager = self.context.staff_at_least(Role.STORE_MANAGER)
        self.tabs.setTabVisible(self.tabs.indexOf(self.rejections), manager)
        self.unlock_button.setVisible(manager)
        self.clear_card()
        self.banner.clear()
        self.today.reload()
        if manager:
            self.rejections.reload()

    def focus_scan(self) -> None:
        self.window().activateWindow()
        self.scan_edit.setFocus()
        self.scan_edit.selectAll()

    def clear_card(self) -> None:
        self.show_card(None)
        self.scan_edit.clear()
        self.results_list.hide()
        self.focus_scan()

    def show_rejections(self) -> None:
        if self.tabs.isTabVisible(self.tabs.indexOf(self.rejections)):
            self.tabs.setCurrentWidget(self.rejections)

    def show_card(self, card: CardView | None) -> None:
        changed = card is None or self.card is None or card.card_number != self.card.card_number
        self.card = card
        self.customer_panel.show_card(card, self.context.program)
        self.coverage_line.show_card(card.card_number if card is not None else None)
        if changed:
            self.history.show_card(card.card_number if card is not None else None)
        self._update_actions()
        self.card_shown.emit(card)

    # --- looking up -------------------------------------------------------------------------

    @Slot()
    def on_scan_edit_return_pressed(self) -> None:
        text = self.scan_edit.text().strip()
        if not text:
            return
        self.banner.clear()

        def look_up(ledger: Ledger) -> tuple[CardView | None, list[CardView]]:
            card = ledger.find_card(text) if CARD_NUMBER.fullmatch(text) else None
            return card, ([] if card is not None else ledger.search_cards(text))

        self.context.op(self, look_up).success(lambda found: self._looked_up(text, *found)).run()

    def _looked_up(self, text: str, card: CardView | None, matches: list[CardView]) -> None:
        if card is None and len(matches) == 1:
            card = matches[0]
        if card is not None:
            self.results_list.hide()
            self.show_card(card)
            self.scan_edit.clear()
            self.scan_edit.setFocus()
            return
        if not matches:
            self.show_card(None)
            hint = " " + tr("Press F8 to enrol it as a new card.") if looks_like_card_number(text) else ""
            matches_nobody = tr("No card or customer matches “{text}”.").format(text=text)
            self.banner.show_problem(tr("Card not found"), matches_nobody + hint)
            self.focus_scan()
            return
        self._show_matches(matches)

    def _show_matches(self, matches: list[CardView]) -> None:
        self.results_list.clear()
        for card in matches:
            name = card.customer_name or tr("(no name)")
            item = QListWidgetItem(tr("{name} — card {number}").format(name=name, number=card.card_number))
            item.setData(Qt.ItemDataRole.UserRole, card)
            self.results_list.addItem(item)
        self.results_list.show()
        self.results_list.setCurrentRow(0)
        self.results_list.setFocus()

    @Slot(QListWidgetItem)
    def on_results_list_item_activated(self, item: QListWidgetItem) -> None:
        self.results_list.hide()
        self.show_card(item.data(Qt.ItemDataRole.UserRole))
        self.scan_edit.clear()
        self.scan_edit.setFocus()

    # --- actions ----------------------------------------------------------------------------

    def _update_actions(self) -> None:
        card = self.card
        manager = self.context.staff_at_least(Role.STORE_MANAGER)
        for key, on in enabled_actions(card, self.context.program, manager=manager).items():
            self.buttons[key].setEnabled(on)
            self.shortcut_actions[key].setEnabled(on)
        label = tr("Reactivate") if card is not None and not card.is_active else tr("Deactivate")
        self.buttons["activation"].setText(f"{label}\tF9")
        self.buttons["activation"].setToolTip("" if manager else tr("Store managers and owners only."))
        owner = self.context.staff_at_least(Role.MERCHANT_OWNER)
        self.buttons["adjust"].setToolTip("" if owner else tr("The merchant's owner only."))
        program = self.context.program
        for key in ("stamp", "redeem_stamps"):
            self.buttons[key].setVisible(program is None or program.has_stamps)
        for key in ("earn", "reward"):
            self.buttons[key].setVisible(program is None or program.has_points)

    def trigger(self, key: str) -> None:
        """Run one action by its key (buttons and shortcuts both land here)."""
        if not self.buttons[key].isEnabled():
            return
        self.banner.clear()
        card, staff = self.card, self.context.staff
        if staff is None or (card is None and key != "enrol"):
            return  # the till locked, or the card went, between the key and here
        if key == "adjust" and not self.context.staff_at_least(Role.MERCHANT_OWNER):
            # Said before any PIN is asked: nobody can lock the owner out from another session.
            self.banner.show_problem(tr(ONLY_OWNER_TITLE), tr(ONLY_OWNER_MESSAGE))
            return
        if key == "enrol":
            self._open_dialog(EnrolCardDialog(self.context, self._number_to_enrol(), self))
            return
        assert card is not None
        number = card.card_number
        if key == "stamp":
            self._record(lambda ledger: ledger.add_stamp(staff, number))
        elif key == "redeem_stamps":
            self._record(lambda ledger: ledger.redeem_stamps(staff, number), at_risk=card)
        elif key == "activation":
            self._toggle_activation(card, staff)
        else:
            self._open_dialog(self._card_dialog(key, card))

    def _card_dialog(self, key: str, card: CardView) -> ActionDialog:
        dialogs: dict[str, Callable[[], ActionDialog]] = {
            "earn": lambda: EarnPointsDialog(self.context, card, self),
            "reward": lambda: RewardDialog(self.context, card, self),
            "void": lambda: VoidDialog(self.context, card, self, preselect=self.history.selected_id()),
            "adjust": lambda: AdjustDialog(self.context, card, self),
        }
        return dialogs[key]()

    def _open_dialog(self, dialog: ActionDialog) -> None:
        dialog.finished.connect(lambda result: self._dialog_finished(dialog, result))
        dialog.open()

    def open_unlock(self) -> None:
        """A manager or the owner ends a colleague's lockout (Ctrl+U)."""
        if not self.context.staff_at_least(Role.STORE_MANAGER):
            return
        self.banner.clear()
        self._open_dialog(UnlockDialog(self.context, self))

    def _number_to_enrol(self) -> str:
        text = self.scan_edit.text().strip()
        return text if self.card is None and looks_like_card_number(text) else ""

    def _dialog_finished(self, dialog: ActionDialog, result: int) -> None:
        if result == QDialog.DialogCode.Accepted and dialog.recorded is not None:
            if dialog.records_transaction:
                self._recorded(dialog.recorded)
            else:
                self.banner.show_info(dialog.done_text())
        dialog.deleteLater()
        # After the dialog's window gave the focus back to the main window.
        QTimer.singleShot(0, self.focus_scan)

    def _toggle_activation(self, card: CardView, staff: StaffView) -> None:
        number = card.card_number
        if not card.is_active:
            self._record(lambda ledger: ledger.reactivate(staff, number))
            return
        name = card.customer_name or tr("this customer")
        question = tr("Deactivate card {number} of {name}? It can be reactivated later.")
        dialog = ConfirmDialog(
            self.context,
            title=tr("Deactivate"),
            question=question.format(number=number, name=name),
            task=lambda ledger: ledger.deactivate(staff, number),
            parent=self,
        )
        self._open_dialog(dialog)

    def _record(self, task: LedgerTask[Recorded], *, at_risk: CardView | None = None) -> None:
        """Record at once; a redemption the ledger finds at risk opens a dialog for a manager's PIN."""
        for button in self.buttons.values():
            button.setEnabled(False)
        self.context.op(self, task).success(self._recorded).failure(
            lambda error: self._refused(error, at_risk=at_risk)
        ).changes(Change.RECORDED).run()

    def _recorded(self, recorded: Recorded) -> None:
        tx = recorded.transaction
        self.show_card(recorded.card)
        amounts = deltas_text(tx)
        done = f"{type_text(tx.type)}: {amounts}" if amounts else type_text(tx.type)
        self.banner.show_info(tr("{done}. Saved.").format(done=done))
        self.scan_edit.clear()
        self.scan_edit.setFocus()

    def _refused(self, error: BaseException, *, at_risk: CardView | None = None) -> None:
        self._update_actions()
        if needs_approval(error) and at_risk is not None:  # F4 offline, beyond the allowance
            self._open_dialog(RedeemStampsDialog(self.context, at_risk, self))
            return
        self.banner.show_problem(*friendly(error))
        self.scan_edit.setFocus()

    # --- refreshing -------------------------------------------------------------------------

    def reload_card(self) -> None:
        if self.card is None:
            return
        number = self.card.card_number
        self.context.op(self, lambda ledger: ledger.find_card(number)).success(self._reloaded).run()

    def _reloaded(self, card: CardView | None) -> None:
        if card is not None and self.card is not None and card.card_number == self.card.card_number:
            self.show_card(card)

    @Slot(object)
    def on_runner_ledger_changed(self, changes: Change) -> None:
        if changes & Change.CARDS:
            self.reload_card()

    @Slot(str, str)
    def on_runner_problem_raised(self, title: str, message: str) -> None:
        if self.isVisible():
            self.banner.show_problem(title, message)

    @Slot(object)
    def on_context_program_loaded(self, _program: object) -> None:
        self.customer_panel.show_card(self.card, self.context.program)
        self._update_actions()

    def show_status(self, status: SyncStatus) -> None:
        """The rejections waiting for a manager, counted on their tab."""
        count = status.rejections_open
        text = tr("Rejections ({count})").format(count=count) if count else tr("Rejections")
        self.tabs.setTabText(self.tabs.indexOf(self.rejections), text)

    @Slot(int)
    def on_tabs_current_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is self.rejections:
            self.rejections.reload()
        elif widget is self.today:
            self.today.reload()
