"""The smoke test from the source tree: the same run the bundle's test makes, without building anything."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.packaging.till_world import TillWorld, enrol_and_smoke

SOURCE = (sys.executable, "-m", "desktop")


def test_an_enrolled_till_signs_in_records_a_purchase_syncs_it_and_exits(
    till_world: TillWorld, tmp_path: Path
) -> None:
    answer = enrol_and_smoke(SOURCE, till_world, tmp_path / "till")

    assert answer["card"] == till_world.card
    assert answer["lock_screen_ms"] <= answer["recorded_ms"] <= answer["accepted_ms"]
    rows = till_world.accepted_rows(answer["transaction_id"])
    assert len(rows) == 1, "the server stored the purchase exactly once"
    assert rows[0]["card_number"] == till_world.card
