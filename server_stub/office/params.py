"""Query parameters of the office lists: time bounds, page limits and signed, opaque cursors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server_stub.errors import invalid_request
from sync.protocol import ProblemError

# RFC 3339's date-time (any number of fraction digits, a leap second, T and Z in either case)
# and full-date: exactly what the published schema's formats `date-time` and `date` admit.
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
BOUND_SCHEMA = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}
# The instants a bound can be: the ends of what the ledger's times can hold.
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


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
    if match := _DATE_TIME.fullmatch(value):
        moment = _date_time(*match.groups())
    elif match := _DATE.fullmatch(value):
        year, month, day = match.groups()
        moment = _date_time(year, month, day, "00", "00", "00", None, "Z", None, None, None)
    else:
        moment = None
    if moment is None:
        raise invalid_request(
            [ProblemError(loc=f"/query/{name}", msg="expected an RFC 3339 time with an offset or YYYY-MM-DD")]
        )
    return moment


def _date_time(
    year: str,
    month: str,
    day: str,
    hour: str,
    minute: str,
    second: str,
    fraction: str | None,
    utc: str | None,
    sign: str | None,
    offset_hours: str | None,
    offset_minutes: str | None,
) -> datetime | None:
    """The instant in UTC (None if a field is out of range). A leap second is the last moment of its
    minute; an instant beyond the years 1..9999 in UTC is the nearest end of that range."""
    y, mo, d, h, mi, sec = (int(part) for part in (year, month, day, hour, minute, second))
    if not (1 <= mo <= 12 and 1 <= d <= _days_in(y, mo) and h <= 23 and mi <= 59 and sec <= 60):
        return None
    offset = timedelta()
    if utc is None:
        assert sign is not None and offset_hours is not None and offset_minutes is not None
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            return None
        offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes)) * (1 if sign == "+" else -1)
    if y == 0:
        return EARLIEST
    micro = 999_999 if sec == 60 else int((fraction or "0")[:6].ljust(6, "0"))
    local = datetime(y, mo, d, h, mi, min(sec, 59), micro)
    if local - datetime.min < offset:
        return EARLIEST
    if datetime.max - local < -offset:
        return LATEST
    return (local - offset).replace(tzinfo=UTC)


def _days_in(year: int, month: int) -> int:
    """Days in the month of the proleptic Gregorian calendar (year 0 included, a leap year)."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
