"""The push path's helpers for ledger rows: times as the columns hold them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from server_stub.service.bulk import naive_utc


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 23, 30, 0, 1, tzinfo=timezone(timedelta(hours=-8))),
        datetime(2026, 3, 2, 9, 15, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Dublin")),  # the hour clocks go forward
        datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=ZoneInfo("Europe/Dublin")),  # the repeated hour
        datetime(2026, 12, 2, 3, 4, 5, 678901, tzinfo=UTC),
    ],
)
def test_naive_utc_is_the_same_instant_in_utc_without_its_zone(moment: datetime) -> None:
    converted = naive_utc(moment)
    assert converted.tzinfo is None
    assert converted == moment.astimezone(UTC).replace(tzinfo=None)


def test_naive_utc_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="naive"):
        naive_utc(datetime(2026, 12, 2, 3, 4))
