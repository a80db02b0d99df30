"""Alembic environment: runs on the engine the server hands over (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from server_stub.models import Base

MIGRATION_LOCK_KEY = 7_165_342_001


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        is_postgres = connection.dialect.name == "postgresql"
        if is_postgres:
            # Two servers starting at once must not both migrate.
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=not is_postgres,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if is_postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()


run_migrations_online()
