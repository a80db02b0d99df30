"""The FastAPI application: `create_app(settings)` wires the database, the routes and the handlers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server_stub import office
from server_stub.config import Settings, resolve_database_url
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


# A push's objects die by reference counting, nearly all acyclic; at the default threshold (700 net
# allocations) a 1000-item push paid ten collections over its live batch (0.8 ms). The collector
# still runs once 100,000 container objects have piled up.
GC_THRESHOLD = 100_000


def serving_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """The app for a serving process: built, then what is loaded by now is kept out of every full
    collection (a 1000-item push otherwise pays a gen-2 pass over the whole app's objects)."""
    app = create_app(settings, database=database)
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    return app


def app_from_environment() -> FastAPI:
    """The app of one of `serve --workers N`'s processes (its database from LOYALTY_DATABASE_URL)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serving_app(Settings(database_url=resolve_database_url(None)))
