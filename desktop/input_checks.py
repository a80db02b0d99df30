"""What typed input must look like at the till: card numbers (as against names), emails, phone numbers."""

from __future__ import annotations

import re

from sync.protocol import CARD_NUMBER_PATTERN

CARD_NUMBER = re.compile(CARD_NUMBER_PATTERN)
# One @, something before it, a dot in the domain; no spaces. (Deliverability is the mail's to tell.)
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
# Digits with the separators people write, an optional leading +.
PHONE = re.compile(r"\+?[0-9 ()./-]+")
MIN_PHONE_DIGITS = 5

EMAIL_PROBLEM = "That email address is not valid (it looks like name@example.com)."
PHONE_PROBLEM = "That phone number is not valid: digits, spaces, + ( ) - . / only, at least 5 digits."


def looks_like_card_number(text: str) -> bool:
    """A scanned or typed card number (letters, digits, dashes, at least one digit), not a name."""
    return CARD_NUMBER.fullmatch(text) is not None and any(char.isdigit() for char in text)


def contact_problem(email: str | None, phone: str | None) -> str:
    """What is wrong with an email or phone typed at enrolment, or '' (blank ones are fine)."""
    if email and not EMAIL.fullmatch(email):
        return EMAIL_PROBLEM
    if phone and (not PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < MIN_PHONE_DIGITS):
        return PHONE_PROBLEM
    return ""
