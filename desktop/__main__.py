"""Entry point of the till (`loyalty-till`), also of the bundle built by packaging/."""

from __future__ import annotations

import sys
from collections.abc import Sequence

SMOKE_FLAG = "--smoke-test"
VERSION_FLAG = "--version"
SERVER_MODULE = ("-m", "server_stub.cli")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if tuple(args[:2]) == SERVER_MODULE and getattr(sys, "frozen", False):
        # In the bundle sys.executable is this program: `--demo` starts its server as
        # `[sys.executable, "-m", "server_stub.cli", ...]`, which lands here.
        from server_stub.cli import main as server_main

        return server_main(args[2:])
    if args[:1] == [VERSION_FLAG]:
        print(f"loyalty-till {project_version()}")  # noqa: T201 - the CLI's answer
        return 0
    if SMOKE_FLAG in args:
        from desktop.smoke import main as smoke_main

        return smoke_main([arg for arg in args if arg != SMOKE_FLAG])
    from desktop.cli import run

    return run(args)


def project_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("loyalty-till")
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
