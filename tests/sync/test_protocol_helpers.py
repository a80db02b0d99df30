"""The protocol module's helpers: UUID texts made in C."""

from __future__ import annotations

import uuid

from sync.protocol import uuid_texts


def test_uuid_texts_are_the_canonical_lower_case_texts() -> None:
    values = [uuid.uuid4() for _ in range(50)] + [
        uuid.UUID("AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"),
        uuid.UUID(int=0),
    ]
    assert uuid_texts(values) == [str(value) for value in values]
    assert uuid_texts([]) == []
