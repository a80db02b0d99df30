"""The console's web plumbing: templates, security headers, the signed-in user, CSRF, HTML errors."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server_stub.console import formatting
from server_stub.console.accounts import OfficeUserView, Policy, current_user
from server_stub.db import Database

PREFIX = "/office"
SESSION_COOKIE = "office_session"
LOGIN_CSRF_COOKIE = "office_login_csrf"
CSRF_FIELD = "csrf_token"
HERE = Path(__file__).parent

templates = Jinja2Templates(directory=str(HERE / "templates"))
formatting.install(templates.env)

# No inline script or style anywhere: every script and sheet is a file served from here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")


class ConsoleHeaders:
    """Adds the security headers to every answer under /office (a plain ASGI wrapper: the sync
    API's requests pass straight through, paying one prefix test)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        static = path.startswith(PREFIX + "/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                if not static:  # pages show a merchant's data: never kept by a shared cache
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SignInNeeded(Exception):
    """No valid session: the answer is the sign-in page (a redirect, or HX-Redirect for htmx)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """An expected failure shown as an HTML page (404 for another merchant's data, 403 for a role)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def sign_in_redirect(request: Request, exc: SignInNeeded) -> Response:
    target = f"{PREFIX}/login?next={quote(exc.next_path, safe='/')}"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def error_page(request: Request, exc: PageError) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "error.html",
        {"title": exc.title, "message": exc.message, "user": getattr(request.state, "office_user", None)},
        status_code=exc.status,
    )


def policy_of(request: Request) -> Policy:
    policy: Policy = getattr(request.app.state, "office_policy", Policy())
    return policy


def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


# psycopg prepares a statement run five times on a connection, and PostgreSQL then plans it
# once for any parameters: for a report over a time range that generic plan sorted 330,000
# rows on disk (1 s) where a plan made for the actual range aggregates them in memory (0.35 s).
CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


def db_session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the page returns normally; on PostgreSQL every
    statement is planned for its own parameters (a page's queries are reports, not hot paths)."""
    database = database_of(request)
    with database.session() as session, session.begin():
        if database.is_postgres:
            session.execute(CUSTOM_PLANS)
        yield session


DbSession = Annotated[Session, Depends(db_session, scope="function")]


def signed_in(request: Request) -> OfficeUserView:
    """The user of the session cookie; else SignInNeeded (its own short transaction)."""
    token = request.cookies.get(SESSION_COOKIE)
    user = None
    if token:
        with database_of(request).session() as session, session.begin():
            user = current_user(session, token, now=datetime.now(UTC), policy=policy_of(request))
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(path if request.method == "GET" else PREFIX + "/")
    request.state.office_user = user
    return user


def signed_in_admin(user: Annotated[OfficeUserView, Depends(signed_in)]) -> OfficeUserView:
    if not user.is_admin:
        raise PageError(403, "Not allowed", "Your role (analyst) can read the console but not change it.")
    return user


User = Annotated[OfficeUserView, Depends(signed_in)]
Admin = Annotated[OfficeUserView, Depends(signed_in_admin)]
CsrfField = Annotated[str | None, Form(alias=CSRF_FIELD)]


def check_csrf(user: OfficeUserView, sent: str | None) -> None:
    """Every form that changes something carries the session's token; else 403, nothing changed."""
    if not sent or not hmac.compare_digest(sent.encode("utf-8"), user.csrf_token.encode("utf-8")):
        raise PageError(
            403, "Form expired", "This form is missing its security token. Reload the page and retry."
        )


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def page(request: Request, template: str, context: Mapping[str, Any], *, status: int = 200) -> HTMLResponse:
    """A full page, or only its table region when htmx asks for it (sorting, filtering)."""
    values = {"user": getattr(request.state, "office_user", None), **context}
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "table-region":
        return templates.TemplateResponse(request, "_table_region.html", values, status_code=status)
    return templates.TemplateResponse(request, template, values, status_code=status)
