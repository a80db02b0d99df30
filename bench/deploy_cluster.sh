#!/usr/bin/env bash
# A throwaway PostgreSQL cluster with docs/deployment.md's settings (sized for this machine), so a
# benchmark can be run under them without changing the machine's own PostgreSQL:
#   bash bench/deploy_cluster.sh start   -- initdb in $DIR (default /tmp/loyalty-deploy-pg), port 5433
#   LOYALTY_TEST_PG=postgresql://postgres@127.0.0.1:5433/postgres .venv/bin/python bench/scale_bench.py
#   bash bench/deploy_cluster.sh stop    -- stop it and remove its files
set -euo pipefail
DIR=${DIR:-/tmp/loyalty-deploy-pg}
PORT=${PORT:-5433}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
# A quarter of the memory for shared_buffers, three quarters as the planner's cache estimate.
MEM_MB=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
    start)
        mkdir -p "$DIR"
        [ "$(id -u)" = 0 ] && chown postgres "$DIR"
        as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust >/dev/null
        cat >>"$DIR/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
shared_buffers = $((MEM_MB / 4))MB
effective_cache_size = $((MEM_MB * 3 / 4))MB
max_wal_size = 16GB
checkpoint_timeout = 15min
wal_compression = lz4
random_page_cost = 1.1
max_connections = 200
EOF
        as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start >/dev/null
        echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
        ;;
    stop)
        as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true
        rm -rf "$DIR"
        ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
