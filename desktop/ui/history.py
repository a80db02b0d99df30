"""Tables: a card's history with sync states, the rejections list for managers, today's totals."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, TypeAlias

from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ui import theme
from desktop.ui.context import TillContext
from desktop.ui.format import (
    STATE_TEXT,
    deltas_text,
    local_time,
    long_date,
    number,
    office_state_text,
    reason_text,
    type_text,
    what_text,
)
from desktop.ui.i18n import QT_TR_NOOP, tr
from desktop.ui.ops import Change
from desktop.ui.widgets import styled
from sync.protocol import CardTxOut, Role

if TYPE_CHECKING:
    from desktop.ledger import TodayTotals, TransactionView

# A row of the card's history: this till's own view of a transaction, or the server's row of one.
Shown: TypeAlias = "TransactionView | CardTxOut"

HISTORY_HEADERS = [
    QT_TR_NOOP("When"),
    QT_TR_NOOP("What"),
    QT_TR_NOOP("Change"),
    QT_TR_NOOP("Sync"),
    QT_TR_NOOP("Where"),
]
REJECTION_HEADERS = [
    QT_TR_NOOP("When"),
    QT_TR_NOOP("Card"),
    QT_TR_NOOP("What"),
    QT_TR_NOOP("Why"),
    QT_TR_NOOP("Head office"),
]
STATE_COLOURS = {"pending": theme.WARN, "accepted": theme.ACCENT, "rejected": theme.DANGER}


class TouchTable(QTableWidget):
    """Rows a finger can pick, at the theme's scale (kept when the window changes class of screen)."""

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.StyleChange:
            self.verticalHeader().setDefaultSectionSize(theme.current().touch)


def _table(parent: QWidget, headers: list[str], *, stretch: tuple[int, ...], wrap: bool) -> QTableWidget:
    """A read-only table that always fits its width: the `stretch` columns share what the others
    (sized to their contents) leave, and wrap or elide their text (each cell's tooltip has it
    whole), so no column is ever pushed out of sight."""
    table = TouchTable(0, len(headers), parent)
    table.setHorizontalHeaderLabels([tr(header) for header in headers])
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(theme.current().touch)
    table.setWordWrap(wrap)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    # Keystrokes stay with the scan field: a scanner must never type into a table.
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    return table


def _cell(text: str, *, colour: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    if colour is not None:
        item.setForeground(QBrush(QColor(colour)))
    return item


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""


def _state_of(tx: Shown) -> str:
    """pending / accepted / rejected: this till's view's sync state, or the server row's status."""
    if isinstance(tx, CardTxOut):
        return tx.status.value
    return str(tx.sync_state)


def state_text(tx: Shown) -> str:
    state = _state_of(tx)
    text = tr(STATE_TEXT[state]) if state in STATE_TEXT else state
    if state == "rejected":
        text += ": " + reason_text(tx)
    return text


class HistoryTable(QWidget):
    """The current card's transactions, newest first, each with its sync state and where it
    was made: this till's (from its ledger, at once) and, when the server can be reached,
    the card's latest ones elsewhere (other tills, other stores, head office)."""

    HEADERS = HISTORY_HEADERS

    def __init__(self, context: TillContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.card_number: str | None = None
        self.transactions: list[Shown] = []  # as shown: this till's views and the server's rows
        self.local: list[TransactionView] = []
        self.remote: list[CardTxOut] = []
        layout = QVBoxLayout(self)
        self.table = _table(self, self.HEADERS, stretch=(1, 3), wrap=False)
        self.table.setAccessibleName(tr("Card history"))
        layout.addWidget(self.table)
        context.runner.ledger_changed.connect(self.on_runner_ledger_changed)
        # The server's rows can have changed only after a sync, not after a verb here.
        context.bridge.ledger_touched.connect(self.on_bridge_ledger_touched)
        context.lookup.found.connect(self.on_lookup_found)

    def show_card(self, card_number: str | None) -> None:
        if card_number != self.card_number:
            self.local, self.remote = [], []
        self.card_number = card_number
        self.reload()
        self._look_up()

    def reload(self) -> None:
        """This till's rows, from the ledger (the server's are kept until the next lookup)."""
        number = self.card_number
        if number is None:
            self._fill_local([])
            return
        self.context.op(self, lambda ledger: ledger.card_history(number)).success(self._fill_local).run()

    def _look_up(self) -> None:
        if self.card_number is None:
            self.context.lookup.forget()
        else:
            self.context.lookup.request(self.context.session.identity, self.card_number)

    def _fill_local(self, transactions: list[TransactionView]) -> None:
        self.local = list(transactions)
        self._render()

    @Slot(str, object)
    def on_lookup_found(self, card_number: str, transactions: list[CardTxOut]) -> None:
        if card_number == self.card_number:
            self.remote = list(transactions)
            self._render()

    def _render(self) -> None:
        shown = {str(tx.id) for tx in self.local}
        elsewhere = [tx for tx in self.remote if tx.id not in shown]  # this till's own: its view
        self.transactions = sorted([*self.local, *elsewhere], key=_newest_first)
        own_store = getattr(self.context.session.identity, "store_id", None)
        program = self.context.program
        currency = program.currency if program is not None else ""
        self.table.setRowCount(len(self.transactions))
        for row, tx in enumerate(self.transactions):
            self.table.setItem(row, 0, _cell(local_time(tx.transaction_at)))
            self.table.setItem(row, 1, _cell(what_text(tx, currency)))
            self.table.setItem(row, 2, _cell(deltas_text(tx)))
            self.table.setItem(row, 3, _cell(state_text(tx), colour=STATE_COLOURS.get(_state_of(tx))))
            self.table.setItem(row, 4, _cell(_where(tx, own_store)))

    def selected_id(self) -> str | None:
        """The transaction picked in the history (to void it), if it is this till's."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        tx = self.transactions[rows[0].row()]
        return str(tx.id) if _is_local(tx) else None

    def row_texts(self) -> list[list[str]]:
        """What each row says (for tests and accessibility checks)."""
        return [
            [_text(self.table.item(r, c)) for c in range(self.table.columnCount())]
            for r in range(self.table.rowCount())
        ]

    @Slot(object)
    def on_runner_ledger_changed(self, changes: Change) -> None:
        if changes & Change.HISTORY and self.card_number is not None:
            self.reload()

    @Slot(object)
    def on_bridge_ledger_touched(self, changes: Change) -> None:
        if changes & Change.HISTORY and self.card_number is not None:
            self._look_up()


THIS_TILL, THIS_STORE = QT_TR_NOOP("This till"), QT_TR_NOOP("This store")
OTHER_STORE, HEAD_OFFICE = QT_TR_NOOP("Another store"), QT_TR_NOOP("Head office")


def _is_local(tx: Shown) -> bool:
    """This till's own view of a transaction (not the server's row of one)."""
    return not isinstance(tx, CardTxOut)


def _where(tx: Shown, own_store: int | None) -> str:
    if not isinstance(tx, CardTxOut):
        return tr(THIS_TILL)
    if tx.store_id is None:
        return tr(HEAD_OFFICE)  # made by the server: an adjustment from the office, points expiry
    return tr(THIS_STORE if tx.store_id == own_store else OTHER_STORE)


def _newest_first(tx: Shown) -> tuple[float, int]:
    moment = tx.transaction_at
    if moment.tzinfo is None:  # the ledger's views: UTC
        moment = moment.replace(tzinfo=UTC)
    return (-moment.timestamp(), 0 if _is_local(tx) else 1)


class RejectionsView(QWidget):
    """Transactions the server refused, with the reason in plain words; managers acknowledge them."""

    HEADERS = REJECTION_HEADERS

    def __init__(self, context: TillContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.rejections: list[TransactionView] = []
        layout = QVBoxLayout(self)
        top = QHBoxLayout()  # the summary and the button on one line: the table keeps the height
        self.summary_label = styled(QLabel(tr("No rejected transactions."), self), "muted")
        self.summary_label.setWordWrap(True)
        top.addWidget(self.summary_label, 1)
        self.acknowledge_button = styled(QPushButton(tr("Acknowledge (Ctrl+K)"), self), "primary")
        self.acknowledge_button.setShortcut("Ctrl+K")
        self.acknowledge_button.setEnabled(False)
        self.acknowledge_button.clicked.connect(self.on_acknowledge_button_clicked)
        top.addWidget(self.acknowledge_button)
        layout.addLayout(top)
        self.table = _table(self, self.HEADERS, stretch=(3,), wrap=True)
        self.table.setAccessibleName(tr("Rejected transactions"))
        self.table.itemSelectionChanged.connect(self.on_table_item_selection_changed)
        layout.addWidget(self.table, 1)
        context.runner.ledger_changed.connect(self.on_runner_ledger_changed)

    def reload(self) -> None:
        self.context.op(self, lambda ledger: ledger.rejections()).success(self._fill).run()

    def _fill(self, rejections: list[TransactionView]) -> None:
        self.rejections = list(rejections)
        count = len(self.rejections)
        waiting = (
            tr("1 rejected transaction to review.")
            if count == 1
            else tr("{count} rejected transactions to review.").format(count=count)
        )
        balance = tr("The customer's card shows the server's balance.")
        self.summary_label.setText(f"{waiting} {balance}" if count else tr("No rejected transactions."))
        self.table.setRowCount(len(self.rejections))
        for row, tx in enumerate(self.rejections):
            self.table.setItem(row, 0, _cell(local_time(tx.transaction_at, with_date=True)))
            self.table.setItem(row, 1, _cell(tx.card_number))
            self.table.setItem(row, 2, _cell(f"{type_text(tx.type)}\n{deltas_text(tx)}".strip()))
            self.table.setItem(row, 3, _cell(reason_text(tx), colour=theme.DANGER))
            self.table.setItem(row, 4, _cell(office_state_text(tx)))
        self.table.resizeRowsToContents()
        if self.rejections:
            self.table.selectRow(0)  # so Ctrl+K acknowledges without touching the list
        self.on_table_item_selection_changed()

    def selected(self) -> TransactionView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rejections[rows[0].row()] if rows else None

    @Slot()
    def on_table_item_selection_changed(self) -> None:
        tx = self.selected()
        allowed = self.context.staff_at_least(Role.STORE_MANAGER)
        self.acknowledge_button.setEnabled(
            allowed and tx is not None and not getattr(tx, "acknowledged", False)
        )

    @Slot()
    def on_acknowledge_button_clicked(self) -> None:
        tx, staff = self.selected(), self.context.staff
        if tx is None or staff is None:
            return
        tx_id = tx.id
        self.context.op(self, lambda ledger: ledger.acknowledge_rejection(tx_id, staff)).changes(
            Change.REJECTIONS
        ).run()

    @Slot(object)
    def on_runner_ledger_changed(self, changes: Change) -> None:
        if changes & Change.REJECTIONS and self.isVisibleTo(self.window()):
            self.reload()


TOTAL_LABELS = [
    ("transactions", QT_TR_NOOP("Transactions")),
    ("stamps_given", QT_TR_NOOP("Stamps given (net of voids)")),
    ("stamps_voided", QT_TR_NOOP("Stamps voided")),
    ("stamps_redeemed", QT_TR_NOOP("Stamps redeemed")),
    ("points_given", QT_TR_NOOP("Points given (net of voids)")),
    ("points_voided", QT_TR_NOOP("Points voided")),
    ("points_redeemed", QT_TR_NOOP("Points redeemed")),
    ("rewards_redeemed", QT_TR_NOOP("Rewards redeemed")),
    ("voids", QT_TR_NOOP("Voids")),
    ("rejected", QT_TR_NOOP("Rejected by the server")),
    ("pending_count", QT_TR_NOOP("Waiting to sync")),
]


class TodayPanel(QWidget):
    """What this till recorded today (the store's day)."""

    def __init__(self, context: TillContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        scroll = styled(QScrollArea(self), "figures")  # on a small screen they scroll, never squeeze
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(scroll)
        inner = styled(QWidget(scroll), "figures")
        column = QVBoxLayout(inner)
        self.day_label = styled(QLabel(tr("Today"), inner), "subtitle")
        column.addWidget(self.day_label)
        grid = QGridLayout()  # two figures a line
        grid.setHorizontalSpacing(16)
        self.value_labels: dict[str, QLabel] = {}
        for index, (name, text) in enumerate(TOTAL_LABELS):
            row, pair = divmod(index, 2)
            value = styled(QLabel("0", inner), "figure")
            self.value_labels[name] = value
            grid.addWidget(styled(QLabel(tr(text), inner), "muted"), row, pair * 2)
            grid.addWidget(value, row, pair * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        column.addLayout(grid)
        column.addStretch(1)
        scroll.setWidget(inner)
        context.runner.ledger_changed.connect(self.on_runner_ledger_changed)

    def reload(self) -> None:
        self.context.op(self, lambda ledger: ledger.today_totals()).success(self._fill).run()

    def _fill(self, totals: TodayTotals) -> None:
        self.day_label.setText(tr("Today at this till — {day}").format(day=long_date(totals.day)))
        for name, label in self.value_labels.items():
            label.setText(number(getattr(totals, name, 0)))

    def value(self, name: str) -> str:
        return self.value_labels[name].text()

    @Slot(object)
    def on_runner_ledger_changed(self, changes: Change) -> None:
        if changes & Change.TOTALS:
            self.reload()
