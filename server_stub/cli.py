"""`loyalty-server serve | seed-demo | expire-points | create-office-user`: each migrates first."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from server_stub.config import DATABASE_URL_ENV, DEFAULT_HOST, DEFAULT_PORT, Settings, resolve_database_url
from server_stub.db import Database, UnsupportedDatabase, create_database, migrate

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (postgresql+psycopg://... or sqlite:///...); else LOYALTY_DATABASE_URL, "
        "else a SQLite file in the user data folder",
    )
    parser = argparse.ArgumentParser(prog="loyalty-server", description="The loyalty sync server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", parents=[common], help="serve the API")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (PostgreSQL only; each has its own connection pool)",
    )
    commands.add_parser("seed-demo", parents=[common], help="create the demo world and print it as JSON")
    expire = commands.add_parser("expire-points", parents=[common], help="expire the points of idle cards")
    expire.add_argument("--now", default=None, help="RFC 3339 time to judge by (default: now)")
    user = commands.add_parser(
        "create-office-user",
        parents=[common],
        help="create a head-office console user (the password is read from standard input)",
    )
    user.add_argument("--merchant-id", type=int, required=True)
    user.add_argument("--username", required=True)
    user.add_argument("--role", choices=["admin", "analyst"], required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    settings = Settings(database_url=resolve_database_url(args.database_url))
    database = create_database(settings.database_url)
    try:
        try:
            migrate(database)
        except UnsupportedDatabase as exc:
            print(f"loyalty-server: {exc}", file=sys.stderr)
            return 2
        if args.command == "serve":
            return _serve(settings, database, host=args.host, port=args.port, workers=args.workers)
        if args.command == "seed-demo":
            return _seed(database)
        if args.command == "create-office-user":
            return _create_office_user(database, args.merchant_id, args.username, args.role)
        return _expire(database, args.now)
    finally:
        database.dispose()


def _serve(settings: Settings, database: Database, *, host: str, port: int, workers: int) -> int:
    import uvicorn

    from server_stub.app import serving_app
    from server_stub.http11 import ProblemH11Protocol
    from server_stub.service.retention import forget_answered_keys

    if workers < 1 or (workers > 1 and not database.is_postgres):
        print(
            "loyalty-server serve: --workers above 1 needs PostgreSQL (SQLite has one writer)",
            file=sys.stderr,
        )
        return 2
    with database.session() as session, session.begin():
        dropped = forget_answered_keys(session, now=datetime.now(UTC))
    log.info("dropped %d answered idempotency keys; serving on %s:%d", dropped, host, port)
    if workers > 1:  # each process builds its own app (and pool) from the environment
        os.environ[DATABASE_URL_ENV] = settings.database_url
        database.dispose()
        uvicorn.run(
            "server_stub.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            http=ProblemH11Protocol,
        )
        return 0
    uvicorn.run(
        serving_app(settings, database), host=host, port=port, log_level="info", http=ProblemH11Protocol
    )
    return 0


def _seed(database: Database) -> int:
    from server_stub.service.seed import WorldExists, seed_demo

    try:
        with database.session() as session, session.begin():
            document = seed_demo(session, database.backend, now=datetime.now(UTC))
    except WorldExists as exc:
        print(f"loyalty-server seed-demo: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(document, indent=2))
    return 0


def _expire(database: Database, now_text: str | None) -> int:
    from server_stub.service.expiry import expiring

    try:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(UTC)
    except ValueError:
        now = None
    if now is None or now.tzinfo is None:
        print("loyalty-server expire-points: --now must be an RFC 3339 time with an offset", file=sys.stderr)
        return 2
    from server_stub.service.retention import forget_answered_keys

    with database.session() as session, session.begin():
        forget_answered_keys(session, now=now)
    expired = 0
    for progress in expiring(database, now=now):
        print(
            f"merchant {progress.merchant_id}: {progress.done} of {progress.idle} cards checked,"
            f" {progress.expired} expired",
            file=sys.stderr,
        )
        expired += progress.expired if progress.finished else 0
    print(json.dumps({"expired_cards": expired}))
    return 0


def _create_office_user(database: Database, merchant_id: int, username: str, role: str) -> int:
    """The password comes from standard input (its first line), never from the command line."""
    from server_stub.console.accounts import AccountError, OfficeRole, create_office_user

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with database.session() as session, session.begin():
            user = create_office_user(
                session,
                merchant_id=merchant_id,
                username=username,
                role=OfficeRole(role),
                password=password,
                now=datetime.now(UTC),
            )
            created = {
                "id": user.id,
                "merchant_id": user.merchant_id,
                "username": user.username,
                "role": role,
            }
    except AccountError as exc:
        print(f"loyalty-server create-office-user: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(created))
    return 0


if __name__ == "__main__":
    sys.exit(main())
