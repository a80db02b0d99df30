"""The FastAPI application: `create_app(settings)` wires the database, the routes and the handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server_stub import office
from server_stub.config import Settings
from server_stub.console import install_console
from server_stub.db import Database, create_database
from server_stub.errors import install_handlers
from server_stub.openapi import install_openapi
from server_stub.routes import cards, devices, health, sync_routes
from server_stub.service.push import InFlightKeys


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    """The app; the schema must already be migrated (the CLI does that before serving)."""
    db = database or create_database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="Loyalty sync server",
        version="1",
        description="Sync protocol v1 (PROTOCOL.md): tills push and pull; head office reads and manages.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = db
    app.state.in_flight = InFlightKeys()
    install_handlers(app)
    for router in (devices.router, sync_routes.router, cards.router, health.router, office.router):
        app.include_router(router)
    install_console(app)  # the head-office console under /office/
    install_openapi(app)
    return app
