"""The protocol module's fast paths: UUID texts in C, models built from trusted values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sync.protocol import Customer, TransactionType, Tx, trusted, uuid_texts


def test_uuid_texts_are_the_canonical_lower_case_texts() -> None:
    values = [uuid.uuid4() for _ in range(50)] + [
        uuid.UUID("AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"),
        uuid.UUID(int=0),
    ]
    assert uuid_texts(values) == [str(value) for value in values]
    assert uuid_texts([]) == []


def _fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "seq": 7,
        "type": TransactionType.CARD_CREATED,
        "card_number": "C-1",
        "staff_id": 3,
        "transaction_at": datetime(2026, 12, 2, 9, 30, 0, 123456, tzinfo=UTC),
        "stamps_delta": 0,
        "points_delta": 0,
        "purchase_amount_cents": None,
        "order_reference": None,
        "reward_id": None,
        "related_transaction_id": uuid.uuid4(),
        "notes": "n",
        "customer": Customer.model_construct(name="Ann", email=None, phone=None),
        "program_version": 2,
    }
    fields.update(overrides)
    return fields


def test_a_trusted_tx_is_the_tx_model_construct_makes() -> None:
    fields = _fields()
    assert list(fields) == list(Tx.model_fields)  # every field, as `trusted` requires
    made, constructed = trusted(Tx, dict(fields)), Tx.model_construct(**fields)
    assert made == constructed
    assert made.model_dump_json() == constructed.model_dump_json()
    assert made.model_dump() == constructed.model_dump()
    assert made.model_fields_set == constructed.model_fields_set == set(Tx.model_fields)
    assert hash(made.id) == hash(constructed.id) and made.card_number == "C-1"
    assert Tx.model_validate_json(made.model_dump_json()) == constructed


def test_a_trusted_tx_is_frozen_like_any_other() -> None:
    import pytest
    from pydantic import ValidationError

    made = trusted(Tx, _fields())
    with pytest.raises(ValidationError):
        made.seq = 8  # type: ignore[misc]
    assert made.model_copy(update={"seq": 8}).seq == 8 and made.seq == 7
