#!/usr/bin/env bash
# Starts, stops or reports the local Kinesis-compatible server SpateKinesis' tests and examples use: moto's
# server mode (an emulator of the AWS APIs, not AWS) on 127.0.0.1:4567. One moto server answers Kinesis and
# DynamoDB (the shard leases); it routes a request by its SigV4 credential scope, so clients must sign (any key
# and secret work). Installs moto[server] and boto3 with pip when missing (the tests produce records with boto3).
#
#   scripts/kinesis.sh start     install if needed, start, wait until it answers (idempotent)
#   scripts/kinesis.sh stop      stop the server this script started
#   scripts/kinesis.sh status    say whether it answers
# Point clients at: endpoint http://127.0.0.1:4567, region us-east-1, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY any.
set -euo pipefail

HOST=127.0.0.1
PORT="${KINESIS_PORT_SPATE:-4567}"
DIR="${KINESIS_STATE_DIR:-${TMPDIR:-/tmp}/spate-kinesis}"
PIDFILE="$DIR/moto.pid"
LOG="$DIR/moto.log"

say() { echo "kinesis.sh: $*" >&2; }

# True when moto answers HTTP on the port (its dashboard path answers any GET).
answers() { python3 - "$HOST" "$PORT" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/moto-api/", timeout=1); sys.exit(0)
except Exception:
    sys.exit(1)
PY
}

our_pid() {
    [ -f "$PIDFILE" ] || return 1
    local pid; pid="$(cat "$PIDFILE")"
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_missing() {
    if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c "import boto3, flask" 2>/dev/null; then
        say "installing moto[server] and boto3 (pip)"
        python3 -m pip install --quiet "moto[server]" boto3
    fi
}

start() {
    if answers; then say "already answers on $HOST:$PORT"; return 0; fi
    install_missing
    mkdir -p "$DIR"
    # setsid: the server outlives the shell that started it (the test command's).
    setsid moto_server -H "$HOST" -p "$PORT" >"$LOG" 2>&1 < /dev/null &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 100); do
        if answers; then say "moto answers on $HOST:$PORT (log $LOG)"; return 0; fi
        if ! our_pid >/dev/null; then say "moto_server exited; its log:"; cat "$LOG" >&2; return 1; fi
        sleep 0.2
    done
    say "moto_server did not answer on $HOST:$PORT within 20 s; its log is $LOG"
    return 1
}

stop() {
    local pid
    if pid="$(our_pid)"; then
        kill "$pid"; rm -f "$PIDFILE"; say "stopped moto ($pid)"
    else
        say "no moto started by this script runs"
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) if answers; then say "moto answers on $HOST:$PORT"; else say "nothing answers on $HOST:$PORT"; exit 1; fi ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
