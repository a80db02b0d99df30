"""`loyalty-till`: the till's window by default; enrol, sync, status and export-pending for IT."""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop.config import LEDGER_FILE, data_dir_for, ensure_private_dir
from sync.protocol import MAX_BATCH_ITEMS, ImportRequest, Tx

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_ALLOWED = 3
LOCK_FILE = "sync.lock"
# An import is one request body: stay well under the server's 1 MiB limit.
EXPORT_MAX_BYTES = 900 * 1024


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loyalty-till",
        description="The loyalty till. Without a command: opens the till's window.",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="where the till keeps its ledger")
    parser.add_argument("--demo", action="store_true", help="run with an embedded demo server")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what sync does")
    parser.add_argument(
        "--language", choices=["en", "de"], default=None, help="the window's language (default: the store's)"
    )
    commands = parser.add_subparsers(dest="command")
    enrol = commands.add_parser("enrol", help="enrol this till with a one-time code from head office")
    enrol.add_argument("--server", required=True, help="the server's URL, e.g. https://loyalty.example")
    enrol.add_argument("--code", required=True, help="the enrolment code")
    enrol.add_argument("--name", default=None, help="this till's name (default: the computer's name)")
    sync = commands.add_parser("sync", help="sync once and print what moved")
    sync.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the server")
    status = commands.add_parser("status", help="pending transactions, last sync, cursor")
    status.add_argument("--json", action="store_true", help="print JSON")
    export = commands.add_parser(
        "export-pending", help="write the pending transactions to a file head office can import"
    )
    export.add_argument("file", type=Path)
    return parser


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    data_dir = data_dir_for(args.data_dir, demo=args.demo)
    if args.command is None:
        from desktop.app import run_gui  # only the window needs Qt

        return int(run_gui(data_dir=data_dir, demo=args.demo, language=args.language))
    from sync.errors import AlreadyEnrolled, AuthFailed, EnrolmentRefused, NotEnrolled, SyncError

    commands = {
        "enrol": _enrol,
        "sync": _sync,
        "status": _status,
        "export-pending": _export_pending,
    }
    try:
        return commands[args.command](args, data_dir)
    except (AuthFailed, EnrolmentRefused, NotEnrolled, AlreadyEnrolled) as error:
        print(f"{error.title}: {error.message}", file=sys.stderr)
        return EXIT_NOT_ALLOWED
    except SyncError as error:
        print(f"{error.title}: {error.message}", file=sys.stderr)
        return EXIT_FAILED


@contextmanager
def _open_ledger(data_dir: Path) -> Iterator[Any]:
    from desktop.ledger import open_ledger

    ensure_private_dir(data_dir)
    ledger = open_ledger(data_dir / LEDGER_FILE)
    try:
        yield ledger
    finally:
        ledger.close()


def _enrol(args: argparse.Namespace, data_dir: Path) -> int:
    from sync.enrolment import enrol

    name = args.name or socket.gethostname() or "Till"
    with _open_ledger(data_dir) as ledger:
        identity = enrol(ledger, args.server, args.code, name)
        pulled = ledger.pull_cursor() is not None
    print(f"Enrolled as device {identity.device_id} of {identity.store_name} ({identity.merchant_name}).")
    if pulled:
        print("First sync done: program, staff and cards are here.")
        return EXIT_OK
    print("The first sync did not finish (server unreachable); run `loyalty-till sync` when online.")
    return EXIT_FAILED


def _sync(args: argparse.Namespace, data_dir: Path) -> int:
    from sync.enrolment import engine_for
    from sync.errors import NotEnrolled
    from sync.lock import RoundLock
    from sync.rules import REASON_TEXT

    with _open_ledger(data_dir) as ledger:
        identity = ledger.identity()
        if identity is None:
            raise NotEnrolled
        lock = RoundLock(data_dir / LOCK_FILE)
        engine = engine_for(ledger, identity, timeout=args.timeout, lock=lock)
        try:
            report = engine.run_once()
        finally:
            engine.close()
    print(f"Synced: {report.summary()}")
    for rejection in report.rejections:
        why = REASON_TEXT.get(rejection.reason, "") if rejection.reason else ""
        print(
            f"  rejected {rejection.type.value} on card {rejection.card_number}: "
            f"{rejection.reason.value if rejection.reason else 'no reason given'} ({why})"
        )
    for mismatch in report.mismatches:
        print(f"  repaired card {mismatch.card_number}: till {mismatch.local} -> server {mismatch.server}")
    return EXIT_OK


def _status(args: argparse.Namespace, data_dir: Path) -> int:
    with _open_ledger(data_dir) as ledger:
        identity = ledger.identity()
        status = ledger.sync_status()
    now = datetime.now(UTC)
    oldest = status.oldest_pending_at
    document: dict[str, Any] = {
        "enrolled": identity is not None,
        "device_id": identity.device_id if identity else None,
        "store_id": identity.store_id if identity else None,
        "store_name": identity.store_name if identity else None,
        "server_url": identity.server_url if identity else None,
        "pending_count": status.pending_count,
        "oldest_pending_at": _iso(oldest),
        "oldest_pending_age_seconds": None if oldest is None else round((now - oldest).total_seconds()),
        "last_sync_at": _iso(status.last_sync_at),
        "last_sync_error": status.last_sync_error,
        "cursor": status.cursor,
    }
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(_status_text(document))
    return EXIT_OK


def _status_text(doc: dict[str, Any]) -> str:
    if doc["enrolled"]:
        lines = [f"Device:    {doc['device_id']} ({doc['store_name']}, {doc['server_url']})"]
    else:
        lines = ["Device:    not enrolled"]
    pending = f"Pending:   {doc['pending_count']}"
    if doc["oldest_pending_age_seconds"] is not None:
        pending += f" (oldest {_age(doc['oldest_pending_age_seconds'])} old, {doc['oldest_pending_at']})"
    lines.append(pending)
    lines.append(f"Last sync: {doc['last_sync_at'] or 'never'}")
    if doc["last_sync_error"]:
        lines.append(f"Last error: {doc['last_sync_error']}")
    lines.append(f"Cursor:    {doc['cursor'] or '(none: nothing pulled yet)'}")
    return "\n".join(lines)


def _export_pending(args: argparse.Namespace, data_dir: Path) -> int:
    from sync.errors import NotEnrolled

    with _open_ledger(data_dir) as ledger:
        identity = ledger.identity()
        if identity is None:
            raise NotEnrolled
        pending: list[Tx] = ledger.pending_transactions(2**31 - 1)
    if not pending:
        print("Nothing pending: no file written.")
        return EXIT_OK
    parts = list(_export_parts(pending))
    paths = export_paths(args.file, len(parts))
    for path, part in zip(paths, parts, strict=True):
        request = ImportRequest(device_id=identity.device_id, transactions=part)
        path.write_text(request.model_dump_json(indent=1), encoding="utf-8")
    print(f"Wrote {len(pending)} pending transaction(s) of device {identity.device_id} to:")
    for path in paths:
        print(f"  {path}")
    print("Head office imports each file with POST /v1/office/import; they stay pending here until then.")
    return EXIT_OK


def _export_parts(pending: Sequence[Tx]) -> Iterator[list[Tx]]:
    """Split into import requests of at most 1000 items and about 900 KiB each."""
    part: list[Tx] = []
    size = 0
    for tx in pending:
        tx_size = len(tx.model_dump_json()) + 4
        if part and (len(part) >= MAX_BATCH_ITEMS or size + tx_size > EXPORT_MAX_BYTES):
            yield part
            part, size = [], 0
        part.append(tx)
        size += tx_size
    if part:
        yield part


def export_paths(file: Path, count: int) -> list[Path]:
    """`file` itself for one part; `name.part1-of-3.json`, ... for more."""
    if count == 1:
        return [file]
    return [file.with_name(f"{file.stem}.part{i}-of-{count}{file.suffix}") for i in range(1, count + 1)]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
