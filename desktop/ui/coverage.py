"""What a redemption on a card is at this till, in the cashier's words (docs/allowances.md): covered
by the till's offline allowance, checked online by the server, or at risk; and the card screen's
line saying so, read on the ledger thread and kept current."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QLabel, QWidget

from desktop.ui.context import TillContext
from desktop.ui.format import local_time, number, points_text
from desktop.ui.i18n import tr
from desktop.ui.ops import Change
from desktop.ui.sync_bridge import kind_of
from desktop.ui.widgets import restyle, styled

if TYPE_CHECKING:
    from desktop.ledger import Coverage

# While a card is shown, time alone changes what a redemption is: the allowance ends, or the till
# has not synced for longer than the ledger's online window (3 minutes).
REFRESH_MS = 30_000
COVERED, ONLINE, AT_RISK = "coverage_covered", "coverage_online", "coverage_at_risk"


def what_is_left(cover: Coverage) -> str:
    """'300 points', '300 points and 5 stamps', '5 stamps' (only what the allowance still has)."""
    parts = []
    if cover.points > 0:
        parts.append(points_text(cover.points, signed=False))
    if cover.stamps > 0:
        words = tr("{count} stamp") if cover.stamps == 1 else tr("{count} stamps")
        parts.append(words.format(count=number(cover.stamps)))
    if len(parts) == 2:
        return tr("{points} and {stamps}").format(points=parts[0], stamps=parts[1])
    return parts[0] if parts else ""


def coverage_line(cover: Coverage | None) -> tuple[str, str]:
    """The card screen's line and its style: '' when the programme has no allowances."""
    if cover is None or not cover.allowances_on:
        return "", ONLINE
    left = what_is_left(cover) if cover.allowance_id is not None else ""
    if left:
        until = local_time(cover.valid_until)
        return tr("Covered offline: up to {amount} until {time}").format(amount=left, time=until), COVERED
    if cover.online:
        return tr("Online: checked by the server"), ONLINE
    if not cover.at_risk_allowed:
        return tr("Not covered offline: redeem when the till is online again"), AT_RISK
    return tr("Not covered: the server may refuse this"), AT_RISK


def redemption_words(cover: Coverage, *, points: int = 0, stamps: int = 0) -> tuple[str, str]:
    """What one redemption would be, said in its dialog before the cashier confirms ('' when the
    programme has no allowances: it redeems as it always did)."""
    kind = cover.kind(points=points, stamps=stamps)
    if kind == "covered":
        until = local_time(cover.valid_until)
        return tr("Covered: within the card's offline allowance (until {time}).").format(time=until), COVERED
    if kind == "online":
        return tr("Online: the server checks this redemption now."), ONLINE
    if kind == "at_risk" and not cover.at_risk_allowed:
        return (
            tr(
                "Not covered offline: the programme allows only redemptions within the card's "
                "offline allowance while the till is offline. Redeem when it is online again."
            ),
            AT_RISK,
        )
    if kind == "at_risk":
        return at_risk_words(), AT_RISK
    return "", ONLINE


def at_risk_words() -> str:
    return tr(
        "Not covered: the till is offline and this is beyond the card's offline allowance, so the "
        "server may refuse it later. A manager approves it with their PIN."
    )


class CoverageLine(QLabel):
    """The shown card's coverage, reloaded when the card changes, after each operation on the
    ledger, after each sync round (online or not) and every 30 seconds while a card is shown."""

    def __init__(self, context: TillContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.card_number: str | None = None
        self.coverage: Coverage | None = None
        styled(self, ONLINE)
        self.setWordWrap(True)
        self.setToolTip(
            tr(
                "Covered: the server accepts a redemption within this till's allowance on the card, "
                "even offline. Not covered: offline, the server may refuse it after the customer has "
                "gone; a manager approves it."
            )
        )
        self.hide()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.reload)
        context.runner.ledger_changed.connect(self.on_runner_ledger_changed)
        context.bridge.state_changed.connect(self.on_bridge_state_changed)

    def show_card(self, card_number: str | None) -> None:
        if card_number == self.card_number:
            return
        self.card_number = card_number
        self.coverage = None
        self.setText("")
        self.hide()
        if card_number is None:
            self._timer.stop()
            return
        self._timer.start()
        self.reload()

    @Slot()
    def reload(self) -> None:
        number = self.card_number
        if number is None:
            return
        self.context.op(self, lambda ledger: ledger.coverage(number)).success(
            lambda cover: self._show(number, cover)
        ).failure(lambda _error: None).run()  # a line that cannot be read says nothing

    def _show(self, card_number: str, cover: Coverage) -> None:
        if card_number != self.card_number:
            return  # another card was scanned meanwhile
        self.coverage = cover
        text, style = coverage_line(cover)
        restyle(self, style)
        self.setText(text)
        self.setVisible(bool(text))

    @Slot(object)
    def on_runner_ledger_changed(self, changes: Change) -> None:
        if changes & (Change.CARDS | Change.PENDING | Change.PROGRAM):
            self.reload()

    @Slot(object)
    def on_bridge_state_changed(self, state: object) -> None:
        if kind_of(state) != "syncing":  # a round ended, well or not: online may have changed
            self.reload()
