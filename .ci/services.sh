# Start PostgreSQL and Redis on loopback for CI and benchmarks; sourced, exports DATABASE_URL and CELERY_BROKER_URL.
# PG_PORT, REDIS_PORT and SERVICES_DIR may be set beforehand.
set -euo pipefail

PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
SERVICES_DIR=${SERVICES_DIR:-/tmp/crm-services}
PG_BIN=/usr/lib/postgresql/15/bin
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

install_packages() {
    local missing=()
    [ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v wrk >/dev/null || missing+=(wrk) # HTTP load generator of bench/teams.py
    if [ ${#missing[@]} -gt 0 ]; then
        "$(dirname "${BASH_SOURCE[0]}")/apt-get-wait" update -qq
        "$(dirname "${BASH_SOURCE[0]}")/apt-get-wait" install -y -qq "${missing[@]}" >/dev/null
    fi
    if [ ! -x "$PG_BIN/initdb" ]; then
        PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
}

# The `-c name=value` settings of docker-compose.yml's db service (its `command:` line), as postgres options.
production_settings() {
    grep -o '"postgres", "-c".*\]' "$(dirname "${BASH_SOURCE[0]}")/../docker-compose.yml" |
        grep -o '"[a-z_]*=[^"]*"' | tr -d '"' | sed 's/^/-c /' | tr '\n' ' '
}

start_postgres() {
    local data="$SERVICES_DIR/pg"
    mkdir -p "$SERVICES_DIR"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$SERVICES_DIR"
        RUN_AS=(runuser -u postgres --)
    else
        RUN_AS=()
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        "${RUN_AS[@]}" "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    local options="-p $PG_PORT -k $SERVICES_DIR -c listen_addresses=127.0.0.1"
    if [ "${PG_DURABLE:-0}" != 1 ]; then
        # CI's throwaway cluster need not survive a crash; benchmarks set PG_DURABLE=1 to measure real writes.
        options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    else
        # Durable, as production runs it: the settings of docker-compose.yml's db service.
        options="$options $(production_settings)"
    fi
    "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$SERVICES_DIR/pg.log" -w -o "$options" start >/dev/null
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='crm'" | grep -q 1 ||
        psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE ROLE crm LOGIN CREATEDB PASSWORD 'crm'"
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='crm'" | grep -q 1 ||
        psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE crm OWNER crm"
    export DATABASE_URL="postgres://crm:crm@127.0.0.1:$PG_PORT/crm"
}

stop_postgres() {
    local run_as=()
    [ "$(id -u)" != 0 ] || run_as=(runuser -u postgres --)
    "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg" -m fast stop >/dev/null 2>&1 || true
}

start_redis() {
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
        --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

stop_redis() {
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}
