#!/usr/bin/env bash
# Set up the project (virtualenv from the lock file) and run the till demo or the test suite.
#   bash dev.sh demo   -- the till with an embedded demo server and demo data
#   bash dev.sh test   -- lint, type-check and the whole test suite (installs PostgreSQL's start and Chromium)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

setup() {
    if [ ! -x .venv/bin/python ]; then
        "$PYTHON" -m venv .venv
    fi
    local want
    want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
    if [ "$(cat .venv/.installed 2>/dev/null)" != "$want" ]; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
        echo "$want" > .venv/.installed
    fi
}

ensure_postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p 5432 && return
        sleep 1
    done
    echo "PostgreSQL did not start on 127.0.0.1:5432" >&2
    exit 1
}

ensure_chromium() {
    # The console's browser tests drive Debian's Chromium (Playwright with executable_path).
    if [ -x /usr/bin/chromium ]; then return; fi
    echo "installing Chromium for the console's browser tests"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium >/dev/null
    fi
}

case "${1:-}" in
    demo)
        setup
        shift
        exec .venv/bin/loyalty-till --demo "$@"
        ;;
    test)
        setup
        ensure_postgres
        ensure_chromium
        shift
        .venv/bin/ruff check .
        .venv/bin/mypy
        export QT_QPA_PLATFORM=offscreen
        # Two workers, a test file each at a time (the machine's two cores; PostgreSQL works beside
        # them): 7 minutes against 11 in one process. `-n 0` (after `test`) runs in one process.
        exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
        ;;
    setup)
        setup
        ;;
    *)
        echo "usage: bash dev.sh demo|test|setup [args]" >&2
        exit 2
        ;;
esac
