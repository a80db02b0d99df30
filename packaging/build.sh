#!/usr/bin/env bash
# Build the till as a PyInstaller one-folder bundle: dist/loyalty-till/loyalty-till on Linux,
# also "dist/Loyalty Till.app" on macOS (Windows: packaging/build.ps1). See packaging/README.md.
#   bash packaging/build.sh            DIST=... WORK=... PY=... override the folders and interpreter
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DIST=${DIST:-dist}
WORK=${WORK:-build/pyinstaller}
# A fresh work folder and a private cache instead of --clean, which empties the cache every build shares.
rm -rf "$WORK"
export PYINSTALLER_CONFIG_DIR="${PYINSTALLER_CONFIG_DIR:-$WORK/cache}"
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/loyalty_till.spec
bundle="$DIST/loyalty-till"
if [ "$(uname -s)" = "Linux" ]; then
    # The desktop entry and icon, laid out as under /usr or ~/.local (see packaging/README.md).
    install -Dm644 packaging/loyalty-till.desktop "$bundle/share/applications/loyalty-till.desktop"
    install -Dm644 packaging/loyalty-till.png "$bundle/share/icons/hicolor/256x256/apps/loyalty-till.png"
    install -Dm644 packaging/loyalty-till.svg "$bundle/share/icons/hicolor/scalable/apps/loyalty-till.svg"
    install -Dm755 packaging/install-linux.sh "$bundle/install.sh"
fi
version=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
echo "built $bundle ($(du -sh "$bundle" | cut -f1)), version $version"
if [ -d "$DIST/Loyalty Till.app" ]; then echo "built $DIST/Loyalty Till.app"; fi
