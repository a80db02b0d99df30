"""A batch's own rules: seqs strictly increasing, ids distinct; the first item at fault is named."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from sync.protocol import PushRequest


def item(seq: int, tx_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {
        "id": str(tx_id or uuid.uuid4()),
        "seq": seq,
        "type": "stamp_earned",
        "card_number": "C-1",
        "staff_id": 1,
        "transaction_at": "2026-12-02T09:00:00+00:00",
        "stamps_delta": 1,
    }


def test_strictly_increasing_seqs_with_distinct_ids_pass() -> None:
    batch = PushRequest.model_validate({"transactions": [item(1), item(2), item(7)]}, strict=False)
    assert [tx.seq for tx in batch.transactions] == [1, 2, 7]


@pytest.mark.parametrize(
    ("seqs", "message"),
    [
        ([1, 1], "transactions/1: seq must be strictly increasing"),
        ([3, 2, 1], "transactions/1: seq must be strictly increasing"),
        ([1, 2, 5, 4, 4], "transactions/3: seq must be strictly increasing"),
    ],
)
def test_a_seq_not_above_the_previous_names_its_item(seqs: list[int], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PushRequest.model_validate({"transactions": [item(seq) for seq in seqs]}, strict=False)


def test_a_repeated_id_names_the_item_that_repeats_it_whatever_its_letter_case() -> None:
    same = uuid.uuid4()
    txs = [item(1), item(2, same), item(3), item(4, same)]
    txs[3]["id"] = txs[3]["id"].upper()
    with pytest.raises(ValidationError, match="transactions/3: id repeated within the batch"):
        PushRequest.model_validate({"transactions": txs}, strict=False)


def test_the_first_fault_by_position_is_named_when_there_are_both() -> None:
    same = uuid.uuid4()
    txs = [item(1), item(2, same), item(3, same), item(2)]
    with pytest.raises(ValidationError, match="transactions/2: id repeated"):
        PushRequest.model_validate({"transactions": txs}, strict=False)
