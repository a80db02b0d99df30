"""What in a till's data folder other local users could read (the folder must be 0700, its files 0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def exposed(folder: Path) -> list[str]:
    """The folder and everything in it whose mode lets the group or others in, as 'path 0o644'."""
    found = []
    for path in [folder, *sorted(folder.rglob("*"))]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(folder.parent)} {oct(mode)}")
    return found


@contextmanager
def usual_umask() -> Iterator[None]:
    """The umask most desktops give (0o022: new files readable by everyone), for the test's length."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)
