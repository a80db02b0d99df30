"""Small widgets the screens share: the painted stamp card, the PIN keypad, the message banner."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QEvent, QRectF, QRegularExpression, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QRegularExpressionValidator
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QWidget

from desktop.ui import theme
from desktop.ui.i18n import tr

BANNER_SECONDS = 8


W = TypeVar("W", bound=QWidget)


def styled(widget: W, object_name: str) -> W:
    """Give a new widget its style of the theme (QSS selects by object name)."""
    widget.setObjectName(object_name)
    return widget


def restyle(widget: QWidget, object_name: str) -> None:
    """Switch a widget to another style of the theme (QSS selects by object name)."""
    widget.setObjectName(object_name)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class ElidedLabel(QLabel):
    """One line that ends in … when it is wider than its room (the whole text in its tooltip), so a
    long message in another language never pushes a button out of the window."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setToolTip(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        room = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, room.width())
        flags = int(self.alignment() | Qt.AlignmentFlag.AlignVCenter)
        self.style().drawItemText(
            painter, room, flags, self.palette(), self.isEnabled(), shown, self.foregroundRole()
        )
        painter.end()


class WholeNumberEdit(QLineEdit):
    """A whole number typed as text: every keystroke stays (up to `digits` digits), so a value out
    of range is shown as typed and judged by the form, never clamped or silently dropped."""

    def __init__(self, parent: QWidget | None = None, *, signed: bool = False, digits: int = 9) -> None:
        super().__init__(parent)
        sign = "[+\u2212-]?" if signed else ""
        pattern = QRegularExpression(f"^{sign}\\d{{0,{digits}}}$")
        self.setValidator(QRegularExpressionValidator(pattern, self))
        self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)

    def number(self) -> int | None:
        """The number typed, or None for nothing (or a lone sign)."""
        text = self.text().strip().replace("\u2212", "-")
        try:
            return int(text)
        except ValueError:
            return None


class StampCard(QWidget):
    """A stamp card drawn as circles: filled ones for stamps collected, empty ones still to get."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stamps = 0
        self.target = 10
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(tr("Stamp card"))

    def set_stamps(self, stamps: int, target: int) -> None:
        self.stamps, self.target = max(0, stamps), max(1, target)
        self.setToolTip(tr("{count} of {target} stamps").format(count=self.stamps, target=self.target))
        self.setAccessibleDescription(self.toolTip())
        self.setFixedHeight(self.sizeHint().height())
        self.updateGeometry()
        self.update()

    def _columns(self) -> int:
        return min(self.target, 10)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        rows = -(-self.target // self._columns())
        cell = theme.current().stamp
        return QSize(10 * cell, rows * cell + 8)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.StyleChange:  # another class of screen: other stamp sizes
            self.setFixedHeight(self.sizeHint().height())

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self.sizeHint().height()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        columns = self._columns()
        cell = min(float(theme.current().stamp), (self.width() - 8) / columns)
        diameter = cell * 0.8
        for index in range(self.target):
            row, column = divmod(index, columns)
            rect = QRectF(4 + column * cell, 4 + row * cell, diameter, diameter)
            self._paint_stamp(painter, rect, filled=index < self.stamps, last=index == self.target - 1)
        overflow = self.stamps - self.target
        if overflow > 0:
            painter.setPen(QColor(theme.ACCENT_DARK))
            painter.drawText(self.rect().adjusted(0, 0, -6, -4), Qt.AlignmentFlag.AlignRight, f"+{overflow}")
        painter.end()

    def _paint_stamp(self, painter: QPainter, rect: QRectF, *, filled: bool, last: bool) -> None:
        colour = theme.STAMP_FILLED if filled else theme.STAMP_EMPTY
        painter.setPen(QPen(colour, 3))
        painter.setBrush(colour if filled else QColor(theme.PANEL))
        painter.drawEllipse(rect)
        if last and not filled:
            painter.setPen(QColor(theme.ACCENT))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "★")
        elif filled:
            painter.setPen(QPen(QColor("white"), 3))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "✓")


class Keypad(QWidget):
    """Big digit keys for a touch screen; emits what was pressed. With `extra` (a decimal
    separator, a minus sign), its bottom row is that key, 0 and delete, for a dialog's fields;
    without, delete, 0 and OK, for the PIN."""

    digit_pressed = Signal(str)
    backspace_pressed = Signal()
    enter_pressed = Signal()

    def __init__(self, parent: QWidget | None = None, *, extra: str | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        bottom = [extra, "0", "⌫"] if extra else ["⌫", "0", "OK"]
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", *bottom]
        self.buttons: dict[str, QPushButton] = {}  # by key: "0".."9", "⌫", "OK" or the extra one
        for index, key in enumerate(keys):
            enter = extra is None and key == "OK"
            button = QPushButton(tr("OK") if enter else key, self)
            button.setObjectName("key_enter" if enter else "key")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the field being typed keeps the keyboard
            button.setAccessibleName(tr("Enter") if enter else tr("Delete") if key == "⌫" else key)
            button.clicked.connect(lambda _=False, k=key, e=enter: self._pressed(k, enter=e))
            self.buttons[key] = button
            grid.addWidget(button, index // 3, index % 3)

    def _pressed(self, key: str, *, enter: bool) -> None:
        if key == "⌫":
            self.backspace_pressed.emit()
        elif enter:
            self.enter_pressed.emit()
        else:
            self.digit_pressed.emit(key)

    def type_into_focus(self, window: QWidget) -> None:
        """Keys type into whichever field of `window` has the keyboard focus (as a keyboard would)."""

        def insert(text: str) -> None:
            focus = window.focusWidget()
            if isinstance(focus, QLineEdit) and focus.isEnabled():
                focus.insert(text)

        def backspace() -> None:
            focus = window.focusWidget()
            if isinstance(focus, QLineEdit) and focus.isEnabled():
                focus.backspace()

        self.digit_pressed.connect(insert)
        self.backspace_pressed.connect(backspace)


class Banner(QLabel):
    """One line of feedback at the top of a screen: green for done, red for a refusal. It sits in a
    place kept for it (the screen's message line), so showing it never moves anything else."""

    visibility_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.kind = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.on_timer_timeout)
        self.hide()

    def show_info(self, text: str) -> None:
        self._show("banner_info", text)

    def show_problem(self, title: str, message: str) -> None:
        self._show(
            "banner_problem",
            tr("{title}: {message}").format(title=title, message=message) if title else message,
        )

    def clear(self) -> None:
        self.kind = ""
        self.setText("")
        self.setToolTip("")
        self.hide()
        self.visibility_changed.emit(False)

    def _show(self, kind: str, text: str) -> None:
        self.kind = kind
        restyle(self, kind)
        self.setText(text)
        self.setToolTip(text)  # the whole of a message too long for the line
        self.setAccessibleName(text)
        self.show()
        self.raise_()
        self.visibility_changed.emit(True)
        self._timer.start(BANNER_SECONDS * 1000 * (2 if kind == "banner_problem" else 1))

    @Slot()
    def on_timer_timeout(self) -> None:
        self.clear()
