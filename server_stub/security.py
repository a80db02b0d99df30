"""Secrets made by the server (tokens, enrolment codes) and how they are stored: SHA-256 only."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_enrolment_code() -> str:
    # Typed by a person: 12 characters, no look-alikes.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def token_hash(token: str) -> str:
    """Tokens are high-entropy, so a plain SHA-256 is enough and allows an indexed lookup."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode("ascii"), payload, hashlib.sha256).hexdigest()[:32]


def signature_matches(secret: str, payload: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, payload), signature)
