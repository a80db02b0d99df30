"""Alembic environment of the till's ledger: runs on the connection db.py hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from desktop.ledger.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:  # the alembic command line (e.g. `alembic revision --autogenerate`) on a given URL
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        run_on(conn)
