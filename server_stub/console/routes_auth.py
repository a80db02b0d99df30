"""Sign-in and sign-out: a form with a CSRF token, a throttle per client and per user name."""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server_stub.console.accounts import SignInRefused, sign_in, sign_out
from server_stub.console.web import (
    LOGIN_CSRF_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    CsrfField,
    DbSession,
    User,
    check_csrf,
    new_login_csrf,
    policy_of,
    set_cookie,
    templates,
)

router = APIRouter()

Text = Annotated[str, Form(max_length=1024)]


class ClientThrottle:
    """At most `limit` failed sign-ins per client address per `window` seconds (per process): one
    address trying many names is slowed down, whatever the per-name lockouts say."""

    def __init__(self, limit: int = 30, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._attempts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            attempts = self._attempts.get(client)
            while attempts and attempts[0] <= now - self.window:
                attempts.popleft()
            return attempts is None or len(attempts) < self.limit

    def failed(self, client: str) -> None:
        with self._lock:
            self._attempts.setdefault(client, deque()).append(time.monotonic())
            if len(self._attempts) > 10_000:  # forget idle clients
                self._attempts = {key: value for key, value in self._attempts.items() if value}


def _safe_next(target: str | None) -> str:
    """Only a path inside the console (no other site, no scheme-relative URL)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def _login_page(request: Request, *, message: str | None, status: int, next_path: str) -> HTMLResponse:
    token = new_login_csrf()
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"csrf_token": token, "message": message, "next": next_path, "user": None},
        status_code=status,
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_page(
        request, message=None, status=200, next_path=_safe_next(request.query_params.get("next"))
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    username: Text = "",
    password: Text = "",
    csrf_token: CsrfField = None,
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_token or not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(
            request,
            message="The form expired. Please sign in again.",
            status=403,
            next_path=_safe_next(next_path),
        )
    throttle: ClientThrottle = request.app.state.office_login_throttle
    client = request.client.host if request.client else "unknown"
    if not throttle.allow(client):
        response = _login_page(
            request,
            message="Too many sign-in attempts. Wait a minute and try again.",
            status=429,
            next_path=_safe_next(next_path),
        )
        response.headers["Retry-After"] = str(int(throttle.window))
        return response
    policy = policy_of(request)
    try:
        created = sign_in(session, username, password, now=datetime.now(UTC), policy=policy)
    except SignInRefused as refused:
        throttle.failed(client)
        message = (
            f"Too many failed sign-ins: this user name is locked for {policy.lockout_minutes} minutes."
            if refused.locked
            else "The user name or password is not right."
        )
        # Returned, not raised: the session commits, so the failure stays counted.
        return _login_page(
            request, message=message, status=429 if refused.locked else 401, next_path=_safe_next(next_path)
        )
    signed = RedirectResponse(_safe_next(next_path), status_code=303)
    set_cookie(request, signed, SESSION_COOKIE, created.token, max_age=policy.absolute_hours * 3600)
    signed.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return signed


@router.post("/logout")
def logout(request: Request, user: User, session: DbSession, csrf_token: CsrfField = None) -> Response:
    check_csrf(user, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sign_out(session, token)
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
