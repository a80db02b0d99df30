"""Staff PIN hashing (argon2id): the server hashes, tills verify offline against the pulled hash."""

from __future__ import annotations

import os
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")

# Tests set LOYALTY_ARGON2_FAST=1: a hash then costs ~1 ms instead of ~0.3 s. The cost is
# stored in each hash, so a till verifies either kind.
_FAST = os.environ.get("LOYALTY_ARGON2_FAST") == "1"
_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1) if _FAST else PasswordHasher()


def is_valid_pin(pin: str) -> bool:
    return bool(PIN_PATTERN.fullmatch(pin))


def hash_pin(pin: str) -> str:
    if not is_valid_pin(pin):
        raise ValueError("a PIN is 4 to 8 digits")
    return _hasher.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    """True when `pin` matches; False for a wrong PIN or a malformed hash."""
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False
