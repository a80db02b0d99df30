#!/usr/bin/env bash
# Install this bundle for the current user (or, as root, for everyone) with its menu entry and icon.
#   ./install.sh            -> ~/.local/opt/loyalty-till, ~/.local/bin/loyalty-till, ~/.local/share/...
#   sudo ./install.sh       -> /opt/loyalty-till, /usr/local/bin/loyalty-till, /usr/local/share/...
#   PREFIX=... TARGET=... ./install.sh   elsewhere (TARGET: the program's folder; PREFIX: bin/ and share/)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" -eq 0 ]; then
    prefix=${PREFIX:-/usr/local}; target=${TARGET:-/opt/loyalty-till}
else
    prefix=${PREFIX:-$HOME/.local}; target=${TARGET:-$HOME/.local/opt/loyalty-till}
fi
if [ "$here" != "$target" ]; then
    rm -rf "$target"
    mkdir -p "$(dirname "$target")"
    cp -a "$here" "$target"
fi
mkdir -p "$prefix/bin"
ln -sf "$target/loyalty-till" "$prefix/bin/loyalty-till"
install -Dm644 "$target/share/icons/hicolor/256x256/apps/loyalty-till.png" \
    "$prefix/share/icons/hicolor/256x256/apps/loyalty-till.png"
install -Dm644 "$target/share/icons/hicolor/scalable/apps/loyalty-till.svg" \
    "$prefix/share/icons/hicolor/scalable/apps/loyalty-till.svg"
mkdir -p "$prefix/share/applications"
sed "s|^Exec=.*|Exec=$target/loyalty-till|" "$target/share/applications/loyalty-till.desktop" \
    > "$prefix/share/applications/loyalty-till.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$prefix/share/applications" || true
echo "installed $target; start it from the menu (Loyalty Till) or run: loyalty-till"
echo "enrol it once: loyalty-till enrol --server https://your-server --code CODE-FROM-HEAD-OFFICE"
