"""How the console writes numbers, money and times: thousands separators, the store's zone named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment

from sync.protocol import Reason
from sync.rules import REASON_TEXT

UTC_NAME = "UTC"

STATE_TEXT = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "compensated": "Compensated",
    "customer_owes": "Customer owes the shop",
}

TYPE_TEXT = {
    "stamp_earned": "Stamp",
    "stamp_redeemed": "Stamp reward",
    "stamp_voided": "Stamp void",
    "points_earned": "Points for a purchase",
    "points_redeemed": "Points reward",
    "points_voided": "Points void",
    "stamp_adjustment": "Stamp adjustment",
    "points_adjustment": "Points adjustment",
    "card_created": "Card created",
    "card_deactivated": "Card deactivated",
    "card_reactivated": "Card reactivated",
    "welcome_bonus": "Welcome bonus",
    "points_expired": "Points expired",
}


def amount(value: int | None) -> str:
    """1234567 -> '1,234,567' (signed where negative); '' for nothing."""
    return "" if value is None else f"{value:,}"


def signed(value: int | None) -> str:
    return "" if value is None else f"{value:+,}" if value else "0"


def money(cents: int | None, currency: str = "EUR") -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d} {currency}"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or UTC_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_NAME)


def local_time_text(moment: datetime | None, tz: str | None) -> str:
    """'2026-12-04 14:05 (Europe/Dublin)': the time in the store's zone, the zone named."""
    if moment is None:
        return ""
    where = zone(tz)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(where):%Y-%m-%d %H:%M} ({where.key})"


def reason_text(code: str | None) -> str:
    """The reason in a manager's words, not its code."""
    if not code:
        return ""
    try:
        return REASON_TEXT[Reason(code)]
    except (ValueError, KeyError):
        return code


def type_text(code: str | None) -> str:
    return TYPE_TEXT.get(code or "", code or "")


def state_text(code: str | None) -> str:
    return STATE_TEXT.get(code or "open", code or "")


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', '2 h ago', '4 days ago'; 'never' for nothing."""
    if moment is None:
        return "never"
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 172_800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86_400:,} days ago"


def install(env: Environment) -> None:
    filters: dict[str, Any] = {
        "amount": amount,
        "signed": signed,
        "money": money,
        "local_time": local_time_text,
        "reason_text": reason_text,
        "type_text": type_text,
        "state_text": state_text,
        "ago": ago,
    }
    env.filters.update(filters)
