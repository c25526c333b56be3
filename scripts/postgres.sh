#!/usr/bin/env bash
# Starts, stops or reports the local PostgreSQL server the PostgreSQL sink's tests and examples use: Debian's
# PostgreSQL (pg_ctl as the postgres user, no systemd, no files under /etc) on 127.0.0.1:5432, trust auth,
# cluster under ${TMPDIR:-/tmp}/spate-postgres, with a database `spate`.
# Installs what is missing first: postgresql and libpq-dev (apt; libpq-dev is what SpatePostgres builds against).
#
#   scripts/postgres.sh start     install if needed, initdb if needed, start, wait for pg_isready, create db (idempotent)
#   scripts/postgres.sh stop      stop the server this script started
#   scripts/postgres.sh status    say whether it runs
#   scripts/postgres.sh restart
# Connect with: psql "host=127.0.0.1 port=5432 user=postgres dbname=spate"
set -euo pipefail

HOST=127.0.0.1
PORT="${PGPORT_SPATE:-5432}"
DIR="${POSTGRES_STATE_DIR:-${TMPDIR:-/tmp}/spate-postgres}"
DATA="$DIR/data"
LOG="$DIR/pg.log"
DB=spate

say() { echo "postgres.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root to run: $*"; return 1; fi
}

# Runs a command as the postgres user (PostgreSQL refuses to run as root).
as_postgres() {
    if [ "$(id -un)" = postgres ]; then sh -c "$1"; else as_root su postgres -s /bin/sh -c "$1"; fi
}

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

# True when something accepts TCP connections on the port.
port_open() { python3 - "$HOST" "$PORT" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(0.3)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); sys.exit(0)
except OSError:
    sys.exit(1)
PY
}

ready() { local bin; bin="$(pgbin)"; [ -n "$bin" ] && "$bin/pg_isready" -q -h "$HOST" -p "$PORT" -t 1; }

# The postmaster PID of this script's cluster, if it runs.
our_pid() {
    [ -f "$DATA/postmaster.pid" ] || return 1
    local pid; pid="$(head -1 "$DATA/postmaster.pid")"
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_missing() {
    local missing=()
    [ -n "$(pgbin)" ] && [ -x "$(pgbin)/initdb" ] || missing+=(postgresql)
    dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} (apt)"
        as_root apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    id postgres >/dev/null 2>&1 || { say "the postgres user is missing after installing postgresql"; return 1; }
}

create_db() {
    local bin; bin="$(pgbin)"
    if ! "$bin/psql" -h "$HOST" -p "$PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" \
        | grep -q 1; then
        "$bin/createdb" -h "$HOST" -p "$PORT" -U postgres "$DB"
        say "created database $DB"
    fi
}

start() {
    if our_pid >/dev/null && ready; then create_db; say "already running on $HOST:$PORT"; return 0; fi
    if port_open; then
        say "port $PORT on $HOST is held by another process (not this script's PostgreSQL in $DATA); stop it first"
        return 1
    fi
    install_missing
    local bin; bin="$(pgbin)"
    as_root mkdir -p "$DIR"
    as_root chown postgres:postgres "$DIR"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        say "initdb in $DATA"
        as_postgres "'$bin/initdb' -D '$DATA' -U postgres --auth=trust -E UTF8 >'$DIR/initdb.log' 2>&1" \
            || { say "initdb failed; see $DIR/initdb.log"; tail -20 "$DIR/initdb.log" >&2; return 1; }
    fi
    # A stale postmaster.pid from a killed server blocks pg_ctl; it removes it itself when the PID is dead.
    as_postgres "'$bin/pg_ctl' -D '$DATA' -l '$LOG' -o '-c listen_addresses=$HOST -p $PORT -k $DIR' -w -t 30 start >/dev/null" \
        || { say "pg_ctl start failed; see $LOG:"; tail -20 "$LOG" >&2; return 1; }
    local i
    for i in $(seq 1 100); do
        if ready; then create_db; say "PostgreSQL ready on $HOST:$PORT (data $DATA, log $LOG)"; return 0; fi
        sleep 0.1
    done
    say "PostgreSQL did not become ready on $HOST:$PORT within 10 s; see $LOG"
    return 1
}

stop() {
    if ! our_pid >/dev/null; then say "no PostgreSQL started by this script is running"; return 0; fi
    as_postgres "'$(pgbin)/pg_ctl' -D '$DATA' -m fast -w -t 30 stop >/dev/null"
    say "PostgreSQL stopped"
}

status() {
    local pid
    if pid="$(our_pid)" && ready; then echo "PostgreSQL running on $HOST:$PORT (pid $pid, data $DATA, database $DB)"
    elif port_open; then echo "port $PORT on $HOST is held by a process not started by this script"; return 1
    else echo "PostgreSQL not running (start it with scripts/postgres.sh start)"; return 1; fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) status ;;
    *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
