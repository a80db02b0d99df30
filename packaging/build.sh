#!/usr/bin/env bash
# Build the till as a PyInstaller one-folder bundle: dist/loyalty-till/loyalty-till
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
version=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
echo "VERSION = \"$version\"" > packaging/packaging_version.py
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "${DIST:-dist}" --workpath "${WORK:-build/pyinstaller}" packaging/loyalty_till.spec
install -Dm644 packaging/loyalty-till.desktop "${DIST:-dist}/loyalty-till/share/applications/loyalty-till.desktop"
install -Dm644 packaging/loyalty-till.png "${DIST:-dist}/loyalty-till/share/icons/hicolor/256x256/apps/loyalty-till.png"
echo "built ${DIST:-dist}/loyalty-till ($(du -sh "${DIST:-dist}/loyalty-till" | cut -f1)), version $version"
