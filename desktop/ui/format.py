"""How the till words things, in its language: transaction kinds, reasons, amounts, times and ages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import QDate, QLocale

from desktop.ui.i18n import QT_TR_NOOP, tr
from sync.protocol import Reason, TransactionType
from sync.rules import REASON_TEXT

T = TransactionType

TYPE_TEXT: dict[TransactionType, str] = {  # marked for translation; tr() at each use
    T.STAMP_EARNED: QT_TR_NOOP("Stamp added"),
    T.STAMP_REDEEMED: QT_TR_NOOP("Stamps redeemed"),
    T.STAMP_VOIDED: QT_TR_NOOP("Stamp voided"),
    T.POINTS_EARNED: QT_TR_NOOP("Points earned"),
    T.POINTS_REDEEMED: QT_TR_NOOP("Reward redeemed"),
    T.POINTS_VOIDED: QT_TR_NOOP("Points voided"),
    T.STAMP_ADJUSTMENT: QT_TR_NOOP("Stamps adjusted"),
    T.POINTS_ADJUSTMENT: QT_TR_NOOP("Points adjusted"),
    T.CARD_CREATED: QT_TR_NOOP("Card enrolled"),
    T.CARD_DEACTIVATED: QT_TR_NOOP("Card deactivated"),
    T.CARD_REACTIVATED: QT_TR_NOOP("Card reactivated"),
    T.WELCOME_BONUS: QT_TR_NOOP("Welcome bonus"),
    T.POINTS_EXPIRED: QT_TR_NOOP("Points expired"),
}

STATE_TEXT = {
    "pending": QT_TR_NOOP("Waiting to sync"),
    "accepted": QT_TR_NOOP("Accepted"),
    "rejected": QT_TR_NOOP("Rejected"),
}

ROLE_TEXT = {
    "staff": QT_TR_NOOP("staff"),
    "store_manager": QT_TR_NOOP("store manager"),
    "merchant_owner": QT_TR_NOOP("owner"),
}

# The reasons, keyed by their code: English is sync.rules.REASON_TEXT (one place for both the till
# and the server); the translation of "reason:<code>" is the reason in the till's language.
REASON_KEYS = (
    QT_TR_NOOP("reason:duplicate_id"),
    QT_TR_NOOP("reason:sequence_reused"),
    QT_TR_NOOP("reason:unknown_card"),
    QT_TR_NOOP("reason:card_number_taken"),
    QT_TR_NOOP("reason:unknown_staff"),
    QT_TR_NOOP("reason:not_permitted"),
    QT_TR_NOOP("reason:not_in_program"),
    QT_TR_NOOP("reason:card_inactive"),
    QT_TR_NOOP("reason:card_active"),
    QT_TR_NOOP("reason:invalid_delta"),
    QT_TR_NOOP("reason:reason_required"),
    QT_TR_NOOP("reason:unknown_reward"),
    QT_TR_NOOP("reason:invalid_points"),
    QT_TR_NOOP("reason:duplicate_order_reference"),
    QT_TR_NOOP("reason:daily_stamp_limit"),
    QT_TR_NOOP("reason:invalid_welcome_bonus"),
    QT_TR_NOOP("reason:unknown_related_transaction"),
    QT_TR_NOOP("reason:already_voided"),
    QT_TR_NOOP("reason:insufficient_points"),
    QT_TR_NOOP("reason:insufficient_stamps"),
    QT_TR_NOOP("reason:invalid_transaction_at"),
)

# Head office's state of a rejected transaction (pulled from the server).
OFFICE_STATE_TEXT = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "compensated": "Customer compensated",
    "customer_owes": "Customer owes the shop",
}


def office_state_text(tx: Any) -> str:
    """'Customer compensated: sorry' — a state a newer server adds is shown as it comes."""
    state = getattr(tx, "office_state", None) or "open"
    text = OFFICE_STATE_TEXT.get(state, state.replace("_", " ").capitalize())
    note = getattr(tx, "office_note", None)
    return f"{text}: {note}" if note else text


def type_text(kind: Any) -> str:
    try:
        return tr(TYPE_TEXT[TransactionType(kind)])
    except ValueError:
        return str(kind).replace("_", " ").capitalize()


def reason_words(reason: Reason) -> str:
    """Why the server (or the till) refused, in the till's language."""
    key = f"reason:{reason.value}"
    words = tr(key)
    return REASON_TEXT.get(reason, reason.value) if words == key else words


def reason_text(tx: Any) -> str:
    reason = getattr(tx, "reason", None)
    if reason is None:
        return ""
    try:
        return reason_words(Reason(reason))
    except ValueError:
        return str(reason)


def role_text(role: Any) -> str:
    """'store manager' for store_manager."""
    value = str(getattr(role, "value", role))
    return tr(ROLE_TEXT[value]) if value in ROLE_TEXT else value.replace("_", " ")


def number(value: int) -> str:
    """1234 -> '1,234' (English), '1.234' (German)."""
    return QLocale().toString(value)


def signed_number(value: int) -> str:
    return ("+" if value > 0 else "") + number(value)


def money(cents: int, currency: str = "") -> str:
    """'EUR 1,234.50' (English), 'EUR 1.234,50' (German): the currency's code, then the amount."""
    locale = QLocale()
    whole, part = divmod(abs(cents), 100)
    amount = ("-" if cents < 0 else "") + f"{locale.toString(whole)}{locale.decimalPoint()}{part:02d}"
    return f"{currency} {amount}" if currency else amount


def long_date(day: date) -> str:
    """'Friday 4 December 2026', 'Freitag, 4. Dezember 2026'."""
    return QLocale().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.LongFormat)


def local_time(moment: datetime | None, *, with_date: bool = False) -> str:
    """'14:02' today, '3 Dec 14:02' ('3. Dez. 14:02') another day; 'never' for none."""
    if moment is None:
        return tr("never")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if with_date or local.date() != datetime.now().astimezone().date():
        day = QLocale().toString(QDate(local.year, local.month, local.day), tr("d MMM"))
        return f"{day} {clock}"
    return clock


def age_text(moment: datetime | None, *, now: datetime | None = None) -> str:
    """'just now', '4 min', '3 h', '2 days'."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = max(0.0, ((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return tr("just now")
    if seconds < 3600:
        return tr("{count} min").format(count=int(seconds // 60))
    if seconds < 86400 * 2:
        return tr("{count} h").format(count=int(seconds // 3600))
    return tr("{count} days").format(count=int(seconds // 86400))


def offset_text(offset_seconds: float) -> str:
    """'13 hours ahead of the server's clock', '7 minutes behind the server's clock'."""
    seconds = abs(offset_seconds)
    hours = seconds / 3600
    amount = (
        tr("{count} hours").format(count=round(hours))
        if hours >= 2
        else tr("{count} minutes").format(count=round(seconds / 60))
    )
    ahead = tr("{amount} ahead of the server's clock")
    behind = tr("{amount} behind the server's clock")
    return (ahead if offset_seconds > 0 else behind).format(amount=amount)


def stamps_text(count: int) -> str:
    """'+1 stamp', '-5 stamps'."""
    words = tr("{count} stamp") if abs(count) == 1 else tr("{count} stamps")
    return words.format(count=signed_number(count))


def points_text(count: int, *, signed: bool = True) -> str:
    """'+125 points', '1,234 points'."""
    words = tr("{count} point") if abs(count) == 1 else tr("{count} points")
    return words.format(count=signed_number(count) if signed else number(count))


def deltas_text(tx: Any) -> str:
    parts = []
    if tx.stamps_delta:
        parts.append(stamps_text(tx.stamps_delta))
    if tx.points_delta:
        parts.append(points_text(tx.points_delta))
    return ", ".join(parts)


def what_text(tx: Any, currency: str = "") -> str:
    """'Points earned · EUR 12.50', 'Reward redeemed: A cookie': the kind, with the purchase or reward
    when the till knows it (the server's rows of other tills carry neither)."""
    text = type_text(tx.type)
    reward = getattr(tx, "reward_name", None)
    if reward:
        return f"{text}: {reward}"
    cents = getattr(tx, "purchase_amount_cents", None)
    if cents is not None:
        return f"{text} · {money(cents, currency)}"
    return text


def describe_transaction(tx: Any) -> str:
    """'14:02  Points earned  +120 points  (order A-17)'."""
    text = f"{local_time(tx.transaction_at)}  {type_text(tx.type)}"
    amounts = deltas_text(tx)
    if amounts:
        text += f"  {amounts}"
    reference = getattr(tx, "order_reference", None)
    if reference:
        text += "  " + tr("(order {reference})").format(reference=reference)
    return text
