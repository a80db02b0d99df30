"""The smoke test from the source tree: the same run the bundle's test makes, without building anything."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.packaging.till_world import TillWorld, enrol_and_smoke, run_till

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


def test_a_wrong_pin_fails_the_smoke_test_with_the_reason_and_exit_code_one(
    till_world: TillWorld, tmp_path: Path
) -> None:
    data_dir = str(tmp_path / "till")
    code = till_world.enrolment_code()
    assert (
        run_till(
            SOURCE, "--data-dir", data_dir, "enrol", "--server", till_world.server.url, "--code", code
        ).returncode
        == 0
    )

    result = run_till(
        SOURCE,
        *("--data-dir", data_dir, "--smoke-test", "--staff-id", str(till_world.staff["id"])),
        *("--pin", "0000", "--card", till_world.card),
    )

    assert result.returncode == 1
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["smoke"] == "failed"
    assert "while signing in" in answer["why"]
    assert "lock_screen_ms" in answer and "transaction_id" not in answer
