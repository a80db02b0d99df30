"""FastAPI dependencies as Annotated aliases: the database, a session, the calling device or admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server_stub.config import Settings
from server_stub.db import Database
from server_stub.errors import ApiError
from server_stub.service.auth import (
    AdminContext,
    DeviceContext,
    TokenRejected,
    authenticate_admin,
    authenticate_device,
)

_bearer = HTTPBearer(auto_error=False, description="A device token (sync, cards) or an admin token (office).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


# Async (they only read the app's state): FastAPI runs a sync dependency on a worker thread.
async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(database: DatabaseDep) -> Iterator[Session]:
    """A session whose transaction commits when the route returns normally."""
    with database.session() as session, session.begin():
        yield session


# scope="function": the transaction commits before the answer is sent, never after.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_read_session(database: DatabaseDep) -> Iterator[Session]:
    """A session for routes that only read (never waits for a writer on SQLite)."""
    with database.read_session() as session, session.begin():
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401, "invalid_token", "A bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
        )
    return credentials.credentials


def current_device(database: DatabaseDep, credentials: Credentials) -> DeviceContext:
    return device_of(database, credentials)


def device_of(database: Database, credentials: HTTPAuthorizationCredentials | None) -> DeviceContext:
    """The calling device, or 401 (blocking: call it on a worker thread)."""
    token = _token(credentials)
    try:
        with database.read_session() as session, session.begin():
            return authenticate_device(session, token)
    except TokenRejected as exc:
        detail = "This till was revoked." if exc.code == "device_revoked" else "The token is not valid."
        raise ApiError(401, exc.code, detail, headers={"WWW-Authenticate": "Bearer"}) from None


def current_admin(database: DatabaseDep, credentials: Credentials) -> AdminContext:
    token = _token(credentials)
    try:
        with database.read_session() as session, session.begin():
            return authenticate_admin(session, token)
    except TokenRejected:
        raise ApiError(
            401, "invalid_token", "The token is not valid.", headers={"WWW-Authenticate": "Bearer"}
        ) from None


DeviceDep = Annotated[DeviceContext, Depends(current_device)]
AdminDep = Annotated[AdminContext, Depends(current_admin)]
