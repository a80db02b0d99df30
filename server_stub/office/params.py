"""Query parameters of the office lists: time bounds, page limits and signed, opaque cursors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from server_stub.errors import invalid_request
from sync.protocol import ProblemError

_DATE_TEXT = r"\d{4}-\d{2}-\d{2}"
_TIME_TEXT = r"[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
_DATE = re.compile(f"^{_DATE_TEXT}$")
_RFC3339 = re.compile(f"^{_DATE_TEXT}{_TIME_TEXT}$")
BOUND_PATTERN = f"^{_DATE_TEXT}({_TIME_TEXT})?$"  # the shape; parse_bound checks the values


@dataclass(frozen=True, slots=True)
class TimeRange:
    """`start` inclusive, `end` exclusive; None is unbounded."""

    start: datetime | None = None
    end: datetime | None = None


def time_range(start: str | None, end: str | None) -> TimeRange:
    """Parse `from` / `to`: an RFC 3339 time with an offset, or a date meaning midnight UTC."""
    return TimeRange(start=parse_bound(start, name="from"), end=parse_bound(end, name="to"))


def parse_bound(value: str | None, *, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        if _DATE.fullmatch(value):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        if _RFC3339.fullmatch(value):
            return _rfc3339(value)
    except (ValueError, OverflowError):
        pass
    raise invalid_request(
        [ProblemError(loc=f"/query/{name}", msg="expected an RFC 3339 time with an offset or YYYY-MM-DD")]
    )


def _rfc3339(value: str) -> datetime:
    text = value.upper().replace(" ", "T").replace("Z", "+00:00")
    head, _, rest = text.partition(".")
    if rest:  # Python keeps microseconds only: cut longer fractions, keep the offset.
        digits = re.match(r"\d+", rest)
        assert digits is not None
        text = f"{head}.{digits.group()[:6].ljust(6, '0')}{rest[digits.end() :]}"
    parsed = datetime.fromisoformat(text)
    return parsed.astimezone(UTC)
