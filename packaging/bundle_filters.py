"""Qt plugins and files the till never loads, kept out of the bundle by loyalty_till.spec."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable

# (destination, source, type code): PyInstaller's TOC entries.
Entry = tuple[str, str, str]

# Qt plugins by folder: None drops the whole folder, a set drops those plugins only.
# Names are without the platform's "lib" prefix and extension (qgif: libqgif.so, qgif.dll, libqgif.dylib).
UNUSED_PLUGINS: dict[str, frozenset[str] | None] = {
    # Kiosk back ends (no window system), a VNC server, test platforms: a till runs on a desktop.
    "platforms": frozenset(
        {"qeglfs", "qlinuxfb", "qminimal", "qminimalegl", "qvkkhrdisplay", "qvnc", "qdirect2d"}
    ),
    "egldeviceintegrations": None,
    # evdev/tslib input is for the kiosk back ends; X11, Wayland, Windows and macOS deliver touch themselves.
    "generic": None,
    # GTK and portal themes: the till draws its own theme, and the GTK one drags GTK's libraries in.
    "platformthemes": None,
    # The till shows one SVG icon; it loads no photos or other images.
    "imageformats": frozenset({"qgif", "qicns", "qjpeg", "qpdf", "qtga", "qtiff", "qwbmp", "qwebp"}),
    # Compositor-side pieces and shells of embedded compositors: the till is a Wayland client.
    "wayland-graphics-integration-client": frozenset(
        {"dmabuf-server", "drm-egl-server", "shm-emulation-server", "vulkan-server"}
    ),
    "wayland-graphics-integration-server": None,
    "wayland-shell-integration": frozenset({"fullscreen-shell-v1", "ivi-shell", "qt-shell"}),
    "qmltooling": None,
    "designer": None,
    "sqldrivers": None,
    "tls": None,
    "networkinformation": None,
}
# Folders of data files nothing reads: the till's text is English only.
UNUSED_DATA_FOLDERS = ("translations",)
# The interpreter's library is needed by the launcher, though no other binary links to it.
ALWAYS_KEEP = re.compile(r"^(lib)?python\d")

_PLUGIN = re.compile(r"(?:^|/)plugins/([^/]+)/(?:lib)?([^/]+?)\.(?:so|dll|dylib)$")


def _plain(dest: str) -> str:
    return dest.replace("\\", "/")


def keep_binary(dest: str) -> bool:
    """False for a Qt plugin the till never loads."""
    match = _PLUGIN.search(_plain(dest))
    if match is None:
        return True
    folder, name = match.groups()
    if folder not in UNUSED_PLUGINS:
        return True
    dropped = UNUSED_PLUGINS[folder]
    return dropped is not None and name not in dropped


def keep_data(dest: str) -> bool:
    """False for data in a folder nothing reads (Qt's translations) and for plugins dropped above."""
    plain = _plain(dest)
    if any(f"/{folder}/" in f"/{plain}" for folder in UNUSED_DATA_FOLDERS):
        return False
    return keep_binary(plain)


def _prunable(dest: str) -> bool:
    """Shared libraries collected only as dependencies: the top-level ones and Qt's own libraries."""
    plain = _plain(dest)
    return "/" not in plain or "/Qt/lib/" in f"/{plain}"


def prune_orphans(binaries: Iterable[Entry], imports_of: Callable[[str], Iterable[str]]) -> list[Entry]:
    """Drop dependency libraries no kept binary needs any more (those of the dropped plugins).

    `imports_of(source)` names every library a binary needs, transitively (ldd does on Linux).
    """
    entries = list(binaries)
    needed: set[str] = set()
    for dest, source, kind in entries:
        if kind in ("BINARY", "EXTENSION") and not _prunable(dest):
            needed.update(imports_of(source))
    return [entry for entry in entries if _needed(entry, needed)]


def _needed(entry: Entry, needed: set[str]) -> bool:
    dest, _source, kind = entry
    if kind not in ("BINARY", "SYMLINK") or not _prunable(dest):
        return True
    name = _plain(dest).rsplit("/", 1)[-1]
    return name in needed or ALWAYS_KEEP.match(name) is not None


def ldd_imports(source: str) -> set[str]:
    """The library names `source` needs, transitively (Linux: PyInstaller's ldd-based reader)."""
    from PyInstaller.depend.bindepend import get_imports  # type: ignore[import-untyped]

    return {name for name, _path in get_imports(source)}


def lean(binaries: Iterable[Entry]) -> list[Entry]:
    """The binaries without unused plugins; on Linux also without the libraries only those needed.

    On Windows and macOS PyInstaller reads direct imports only, so pruning there could drop a
    library needed two steps away: it is left to the plugin filter alone (not tried on those systems).
    """
    kept = [entry for entry in binaries if keep_binary(entry[0])]
    if sys.platform.startswith("linux"):
        kept = prune_orphans(kept, ldd_imports)
    return kept


def without_dangling_links(datas: Iterable[Entry], binaries: Iterable[Entry]) -> list[Entry]:
    """The data entries minus symbolic links (PyInstaller lists them as data) to a dropped file."""
    entries = list(datas)
    present = {_plain(dest) for dest, _source, _kind in [*entries, *binaries]}
    return [entry for entry in entries if entry[2] != "SYMLINK" or _plain(entry[1]) in present]
