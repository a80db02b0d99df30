"""Console users: argon2 password hashes, sign-in with a per-name throttle and lockout, sessions."""

from __future__ import annotations

import enum
import functools
import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server_stub.models import Merchant, OfficeLoginThrottle, OfficeSession, OfficeUser
from server_stub.office.audit import Actor

log = logging.getLogger(__name__)

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")

# Tests set LOYALTY_ARGON2_FAST=1 (as for PINs): the cost is stored in each hash.
_FAST = os.environ.get("LOYALTY_ARGON2_FAST") == "1"
_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1) if _FAST else PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a sign-in takes as long either way."""
    return _hasher.hash(secrets.token_urlsafe(16))


class OfficeRole(enum.StrEnum):
    ADMIN = "admin"  # reads and changes
    ANALYST = "analyst"  # reads only


@dataclass(frozen=True, slots=True)
class Policy:
    """Session and sign-in limits (the defaults are the product's; tests shorten them)."""

    idle_minutes: int = 30
    absolute_hours: int = 12
    max_failures: int = 5
    lockout_minutes: int = 15
    touch_every_seconds: int = 60  # how stale last_seen_at may get before it is written again


@dataclass(frozen=True, slots=True)
class OfficeUserView:
    """Who is signed in (what every page needs), never the hash."""

    id: int
    merchant_id: int
    merchant_name: str
    username: str
    role: OfficeRole
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == OfficeRole.ADMIN

    @property
    def actor(self) -> Actor:
        """The audit log's actor: the user's name, marked as a console user."""
        return Actor(token_id=0, merchant_id=self.merchant_id, name=f"{self.username} (console)")


class AccountError(Exception):
    """A console account could not be made: `message` says why, in words for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password must have at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD or "\x00" in password:
        raise AccountError("The password is too long or holds a NUL character.")


def create_office_user(
    session: Session, *, merchant_id: int, username: str, role: OfficeRole, password: str, now: datetime
) -> OfficeUser:
    """A new console user; the password is checked, then hashed with argon2 (slow on purpose)."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            "A user name is 3 to 64 letters, digits or . _ @ - (starting with a letter or digit)."
        )
    check_new_password(password)
    if session.get(Merchant, merchant_id) is None:
        raise AccountError(f"There is no merchant {merchant_id}.")
    if session.execute(select(OfficeUser.id).where(OfficeUser.username == name)).first() is not None:
        raise AccountError(f"The user name {name!r} is taken.")
    user = OfficeUser(
        merchant_id=merchant_id,
        username=name,
        role=role.value,
        password_hash=_hasher.hash(password),
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise AccountError(f"The user name {name!r} is taken.") from None
    log.info("office user %s created for merchant %d (%s)", name, merchant_id, role.value)
    return user


class SignInRefused(Exception):
    """Wrong name or password, or locked out; `locked` says which (the words never say if a name exists)."""

    def __init__(self, *, locked: bool) -> None:
        super().__init__("locked" if locked else "wrong credentials")
        self.locked = locked


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # for the cookie only: stored as its hash
    csrf_token: str


def sign_in(session: Session, username: str, password: str, *, now: datetime, policy: Policy) -> NewSession:
    """A session for the user, or SignInRefused. Failures count per name, known or not."""
    name = normalise_username(username)[:64]
    throttle = session.get(OfficeLoginThrottle, name, with_for_update=True)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        raise SignInRefused(locked=True)
    user = session.execute(select(OfficeUser).where(OfficeUser.username == name)).scalar_one_or_none()
    good = _verify(user.password_hash if user is not None else _dummy_hash(), password[:MAX_PASSWORD])
    if user is None or not good or not user.is_active:
        locked = _count_failure(session, name, throttle, now=now, policy=policy)
        log.info("office sign-in refused for %r%s", name, " (now locked)" if locked else "")
        raise SignInRefused(locked=locked)
    if throttle is not None:
        session.delete(throttle)
    user.last_login_at = now
    created = NewSession(token=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(32))
    session.add(
        OfficeSession(
            token_hash=session_hash(created.token),
            user_id=user.id,
            csrf_token=created.csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=policy.absolute_hours),
        )
    )
    log.info("office user %s signed in", name)
    return created


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(
    session: Session, name: str, throttle: OfficeLoginThrottle | None, *, now: datetime, policy: Policy
) -> bool:
    """One more failure for the name; True when it is now locked out."""
    if throttle is None:
        throttle = OfficeLoginThrottle(username=name, failures=0)
        session.add(throttle)
    if throttle.locked_until is not None and throttle.locked_until <= now:
        throttle.failures = 0  # the lockout is over: a fresh count
        throttle.locked_until = None
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= policy.max_failures:
        throttle.locked_until = now + timedelta(minutes=policy.lockout_minutes)
        return True
    return False


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def current_user(session: Session, token: str, *, now: datetime, policy: Policy) -> OfficeUserView | None:
    """The signed-in user of a session cookie, or None (unknown, idle too long, past its limit)."""
    key = session_hash(token)
    row = session.execute(
        select(OfficeSession, OfficeUser, Merchant.name)
        .join(OfficeUser, OfficeUser.id == OfficeSession.user_id)
        .join(Merchant, Merchant.id == OfficeUser.merchant_id)
        .where(OfficeSession.token_hash == key)
    ).one_or_none()
    if row is None:
        return None
    office_session, user, merchant_name = row
    idle_limit = office_session.last_seen_at + timedelta(minutes=policy.idle_minutes)
    if not user.is_active or now >= idle_limit or now >= office_session.expires_at:
        session.execute(delete(OfficeSession).where(OfficeSession.token_hash == key))
        return None
    if now - office_session.last_seen_at >= timedelta(seconds=policy.touch_every_seconds):
        session.execute(update(OfficeSession).where(OfficeSession.token_hash == key).values(last_seen_at=now))
    return OfficeUserView(
        id=user.id,
        merchant_id=user.merchant_id,
        merchant_name=merchant_name,
        username=user.username,
        role=OfficeRole(user.role),
        csrf_token=office_session.csrf_token,
    )


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(OfficeSession).where(OfficeSession.token_hash == session_hash(token)))
