"""What the spec keeps out of the bundle: unused Qt plugins, translations, and libraries only they needed."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.support.live_server import REPO_ROOT


def load_filters() -> ModuleType:
    # packaging/ is not a package (the name is the PyPI library's), so load the file itself.
    spec = importlib.util.spec_from_file_location(
        "bundle_filters", REPO_ROOT / "packaging" / "bundle_filters.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


filters = load_filters()


def test_unused_plugins_are_dropped_by_name_on_every_system() -> None:
    for dest in (
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6\\plugins\\platforms\\qminimal.dll",
        "PySide6/Qt/plugins/imageformats/libqjpeg.dylib",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    ):
        assert not filters.keep_binary(dest), dest


def test_the_plugins_the_till_loads_are_kept() -> None:
    for dest in (
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6\\plugins\\platforms\\qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/lib/libQt6Gui.so.6",
    ):
        assert filters.keep_binary(dest), dest


def test_translations_are_dropped_and_other_data_kept() -> None:
    assert not filters.keep_data("PySide6/Qt/translations/qt_de.qm")
    assert filters.keep_data("desktop/ledger/migrations/alembic.ini")
    assert filters.keep_data("tzdata/zoneinfo/Europe/Dublin")


def test_a_library_only_a_dropped_plugin_needed_goes_and_what_kept_binaries_need_stays() -> None:
    needs = {
        "/venv/PySide6/QtGui.abi3.so": {"libQt6Gui.so.6", "libpng16.so.16"},
        "/venv/lib-dynload/_ssl.so": {"libssl.so.3"},
    }
    binaries = [
        ("PySide6/QtGui.abi3.so", "/venv/PySide6/QtGui.abi3.so", "EXTENSION"),
        ("python3.11/lib-dynload/_ssl.so", "/venv/lib-dynload/_ssl.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/venv/Qt/lib/libQt6Gui.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Network.so.6", "/venv/Qt/lib/libQt6Network.so.6", "BINARY"),
        ("libpng16.so.16", "/lib/libpng16.so.16", "BINARY"),
        ("libssl.so.3", "/lib/libssl.so.3", "BINARY"),
        ("libgtk-3.so.0", "/lib/libgtk-3.so.0", "BINARY"),
        ("libpython3.11.so.1.0", "/usr/lib/libpython3.11.so.1.0", "BINARY"),
    ]

    kept = filters.prune_orphans(binaries, lambda source: needs.get(source, set()))

    assert {dest for dest, _source, _kind in kept} == {
        "PySide6/QtGui.abi3.so",
        "python3.11/lib-dynload/_ssl.so",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "libpng16.so.16",
        "libssl.so.3",
        "libpython3.11.so.1.0",
    }


def test_links_to_a_dropped_library_go_with_it() -> None:
    binaries = [("PySide6/Qt/lib/libQt6Gui.so.6", "/venv/Qt/lib/libQt6Gui.so.6", "BINARY")]
    datas = [
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
        ("desktop/assets/till.svg", "/src/desktop/assets/till.svg", "DATA"),
    ]

    kept = filters.without_dangling_links(datas, binaries)

    assert [dest for dest, _source, _kind in kept] == ["libQt6Gui.so.6", "desktop/assets/till.svg"]
