"""How far the till's clock is from the server's, in words ('13 hours ahead of', '7 minutes behind')."""

from __future__ import annotations


def offset_words(offset_seconds: float) -> str:
    """The size and direction of an offset (positive: the till is ahead), for 'the server's clock'."""
    seconds = abs(offset_seconds)
    hours = seconds / 3600
    amount = f"{round(hours)} hours" if hours >= 2 else f"{round(seconds / 60)} minutes"
    return f"{amount} {'ahead of' if offset_seconds > 0 else 'behind'}"
