"""The head-office console under /office/: server-rendered pages (Jinja2, htmx), signed-in users."""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from server_stub.console import (
    routes_auth,
    routes_cards,
    routes_dashboard,
    routes_program,
    routes_rejections,
    routes_staff,
    routes_tills,
)
from server_stub.console.accounts import Policy
from server_stub.console.routes_auth import ClientThrottle
from server_stub.console.web import (
    HERE,
    PREFIX,
    ConsoleHeaders,
    PageError,
    SignInNeeded,
    error_page,
    sign_in_redirect,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
for module in (
    routes_auth,
    routes_dashboard,
    routes_tills,
    routes_rejections,
    routes_cards,
    routes_staff,
    routes_program,
):
    router.include_router(module.router)


def install_console(app: FastAPI, *, policy: Policy | None = None) -> None:
    """Mount the console on the app: its pages, static files, headers and error pages."""
    app.state.office_policy = policy or Policy()
    app.state.office_login_throttle = ClientThrottle()
    app.include_router(router)
    app.mount(PREFIX + "/static", StaticFiles(directory=HERE / "static"), name="office-static")
    app.add_exception_handler(SignInNeeded, sign_in_redirect)  # type: ignore[arg-type]
    app.add_exception_handler(PageError, error_page)  # type: ignore[arg-type]
    app.add_middleware(ConsoleHeaders)
    _html_validation_errors(app)


def _html_validation_errors(app: FastAPI) -> None:
    """A console form with a bad field is answered with a page (400), the API keeps its problem+json."""
    api_handler = app.exception_handlers[RequestValidationError]

    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PREFIX + "/"):
            problem = PageError(400, "Check the form", "A field of the form is missing or out of range.")
            return error_page(request, problem)
        answer = api_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(RequestValidationError, handler)
