"""How the till words things: transaction kinds, sync states, times and ages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sync.protocol import Reason, TransactionType
from sync.rules import REASON_TEXT

T = TransactionType

TYPE_TEXT: dict[TransactionType, str] = {
    T.STAMP_EARNED: "Stamp added",
    T.STAMP_REDEEMED: "Stamps redeemed",
    T.STAMP_VOIDED: "Stamp voided",
    T.POINTS_EARNED: "Points earned",
    T.POINTS_REDEEMED: "Reward redeemed",
    T.POINTS_VOIDED: "Points voided",
    T.STAMP_ADJUSTMENT: "Stamps adjusted",
    T.POINTS_ADJUSTMENT: "Points adjusted",
    T.CARD_CREATED: "Card enrolled",
    T.CARD_DEACTIVATED: "Card deactivated",
    T.CARD_REACTIVATED: "Card reactivated",
    T.WELCOME_BONUS: "Welcome bonus",
    T.POINTS_EXPIRED: "Points expired",
}

STATE_TEXT = {"pending": "Waiting to sync", "accepted": "Accepted", "rejected": "Rejected"}


def type_text(kind: Any) -> str:
    try:
        return TYPE_TEXT[TransactionType(kind)]
    except ValueError:
        return str(kind).replace("_", " ").capitalize()


def reason_text(tx: Any) -> str:
    text = getattr(tx, "reason_text", None)
    if text:
        return str(text)
    reason = getattr(tx, "reason", None)
    if reason is None:
        return ""
    try:
        return REASON_TEXT[Reason(reason)]
    except ValueError:
        return str(reason)


def local_time(moment: datetime | None, *, with_date: bool = False) -> str:
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    today = datetime.now().astimezone().date()
    if with_date or local.date() != today:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%H:%M")


def age_text(moment: datetime | None, *, now: datetime | None = None) -> str:
    """'just now', '4 min', '3 h', '2 days'."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = max(0.0, ((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def money(cents: int, currency: str = "") -> str:
    """'EUR 1,234.50': the currency's code first, then the amount."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    amount = f"{sign}{whole:,}.{part:02d}"
    return f"{currency} {amount}" if currency else amount


def role_text(role: Any) -> str:
    """'store manager' for store_manager."""
    return str(getattr(role, "value", role)).replace("_", " ")


def signed(value: int) -> str:
    return f"{value:+d}" if value else ""


def deltas_text(tx: Any) -> str:
    parts = []
    if tx.stamps_delta:
        parts.append(f"{tx.stamps_delta:+d} stamp" + ("s" if abs(tx.stamps_delta) != 1 else ""))
    if tx.points_delta:
        parts.append(f"{tx.points_delta:+d} points")
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
        text += f"  (order {reference})"
    return text
