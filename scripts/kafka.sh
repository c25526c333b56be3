#!/usr/bin/env bash
# Starts, stops or reports the local Kafka-protocol broker the Kafka tests and examples use: noida-db 0.2.3
# (PyPI) with only its Kafka service, on 127.0.0.1:9092, detached, data under ${TMPDIR:-/tmp}.
# Installs what is missing first: noida-db (pip) and librdkafka-dev + kcat (apt, for SpateKafka and checks).
#
#   scripts/kafka.sh start            install if needed, start, wait until the broker answers (idempotent)
#   scripts/kafka.sh stop             stop the broker this script started
#   scripts/kafka.sh status           say whether it runs
#   scripts/kafka.sh restart
#   scripts/kafka.sh topic NAME [PARTITIONS]   create a topic (CreateTopics v2; an existing topic is fine)
#   KAFKA_TOPICS="events:4,out:1" scripts/kafka.sh start   also create these topics
#   KAFKA_KEEP_DATA=1 scripts/kafka.sh start               keep the previous data (otherwise a fresh start wipes it)
#   KAFKA_STOP_WAIT=3 scripts/kafka.sh stop                 seconds to wait for the broker to exit before SIGKILL (10)
set -euo pipefail

HOST=127.0.0.1
PORT="${KAFKA_PORT:-9092}"
STATE="${KAFKA_STATE_DIR:-${TMPDIR:-/tmp}/spate-kafka-$PORT}"
PIDFILE="$STATE/broker.pid"
LOG="$STATE/broker.log"
NOIDA_VERSION=0.2.3

say() { echo "kafka.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root to run: $*"; return 1; fi
}

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

# True when a Kafka broker answers an ApiVersions request on the port.
answers() { python3 - "$HOST" "$PORT" <<'PY'
import socket, struct, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
    cid = b"kafka.sh"
    body = struct.pack(">hhih", 18, 0, 1, len(cid)) + cid          # ApiVersions v0
    s.sendall(struct.pack(">i", len(body)) + body)
    head = s.recv(4)
    n = struct.unpack(">i", head)[0]
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk: break
        data += chunk
    sys.exit(0 if len(data) >= 6 and struct.unpack(">i", data[:4])[0] == 1 else 1)
except Exception:
    sys.exit(1)
PY
}

our_pid() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }

install_missing() {
    if ! python3 -c 'import noida_db' 2>/dev/null; then
        say "installing noida-db==$NOIDA_VERSION (pip)"
        python3 -m pip install -q --disable-pip-version-check "noida-db==$NOIDA_VERSION" 2>/dev/null \
            || python3 -m pip install -q --disable-pip-version-check --break-system-packages "noida-db==$NOIDA_VERSION"
    fi
    local missing=()
    dpkg -s librdkafka-dev >/dev/null 2>&1 || missing+=(librdkafka-dev)
    command -v kcat >/dev/null 2>&1 || missing+=(kcat)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} (apt)"
        as_root apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

noida_binary() { python3 - <<'PY'
import os, shutil, noida_db
here = os.path.dirname(noida_db.__file__)
for root, _, files in os.walk(here):
    for f in files:
        p = os.path.join(root, f)
        if f.startswith("noida") and os.access(p, os.X_OK) and not f.endswith(".py"):
            print(p); raise SystemExit
print(shutil.which("noida-db") or "")
PY
}

# Creates topic $1 with $2 partitions through CreateTopics v2 (the broker drops v0/v1); exists = fine.
create_topic() { python3 - "$HOST" "$PORT" "$1" "${2:-1}" <<'PY'
import socket, struct, sys
host, port, name, parts = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def string(s): b = s.encode(); return struct.pack(">h", len(b)) + b
cid = "kafka.sh"
body = struct.pack(">hhi", 19, 2, 7) + string(cid)                   # CreateTopics v2 header
body += struct.pack(">i", 1) + string(name) + struct.pack(">ih", parts, 1)
body += struct.pack(">ii", 0, 0)                                      # no assignments, no configs
body += struct.pack(">i?", 10000, False)                              # timeout, validate_only
s = socket.create_connection((host, port), timeout=10)
s.sendall(struct.pack(">i", len(body)) + body)
n = struct.unpack(">i", s.recv(4))[0]
data = b""
while len(data) < n:
    data += s.recv(n - len(data))
# correlation id, throttle, [topic, error code, error message]
pos = 4 + 4 + 4
tlen = struct.unpack(">h", data[pos:pos + 2])[0]; pos += 2 + tlen
code = struct.unpack(">h", data[pos:pos + 2])[0]
if code not in (0, 36):                                               # 36: TOPIC_ALREADY_EXISTS
    print(f"kafka.sh: creating topic {name} failed with Kafka error code {code}", file=sys.stderr); sys.exit(1)
PY
}

create_env_topics() {
    [ -n "${KAFKA_TOPICS:-}" ] || return 0
    local spec
    for spec in ${KAFKA_TOPICS//,/ }; do create_topic "${spec%%:*}" "${spec#*:}"; done
}

start() {
    if our_pid >/dev/null && answers; then create_env_topics; say "broker already running on $HOST:$PORT"; return 0; fi
    if port_open; then
        if answers; then say "a Kafka broker not started by this script answers on $HOST:$PORT; using it"
            create_env_topics; return 0; fi
        say "port $PORT on $HOST is held by another process that is not a Kafka broker; stop it or set KAFKA_PORT"
        return 1
    fi
    install_missing
    local bin; bin="$(noida_binary)"
    [ -n "$bin" ] || { say "cannot find the noida-db binary after installing noida-db"; return 1; }
    mkdir -p "$STATE"
    [ "${KAFKA_KEEP_DATA:-0}" = 1 ] || rm -rf "$STATE/data"
    mkdir -p "$STATE/data"
    python3 - "$bin" "$HOST" "$PORT" "$STATE/data" "$LOG" "$PIDFILE" <<'PY'
import subprocess, sys
bin, host, port, data, log, pidfile = sys.argv[1:]
out = open(log, "ab")
p = subprocess.Popen([bin, "start", "--only", "kafka", "--host", host, "--kafka-port", port, "--data-dir", data],
                     stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
open(pidfile, "w").write(str(p.pid))
PY
    local i
    for i in $(seq 1 100); do
        if answers; then create_env_topics; say "broker ready on $HOST:$PORT (log: $LOG)"; return 0; fi
        if ! our_pid >/dev/null; then say "the broker exited at start; see $LOG:"; tail -20 "$LOG" >&2; return 1; fi
        sleep 0.1
    done
    say "the broker did not answer on $HOST:$PORT within 10 s; see $LOG"
    return 1
}

stop() {
    local pid
    if ! pid="$(our_pid)"; then say "no broker started by this script is running"; rm -f "$PIDFILE"; return 0; fi
    kill -TERM "$pid" 2>/dev/null || true
    local i
    # noida-db saves its data when told to stop, then may wait for connected clients to go away.
    local wait="${KAFKA_STOP_WAIT:-10}"
    for i in $(seq 1 $((wait * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then say "broker did not exit in $wait s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$PIDFILE"
    say "broker stopped"
}

status() {
    if answers; then
        if pid="$(our_pid)"; then echo "running on $HOST:$PORT (pid $pid, data $STATE/data)"; else
            echo "a Kafka broker not started by this script answers on $HOST:$PORT"; fi
    else echo "not running (start it with scripts/kafka.sh start)"; return 1; fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status) status ;;
    topic) [ -n "${2:-}" ] || { say "usage: $0 topic NAME [PARTITIONS]"; exit 2; }; create_topic "$2" "${3:-1}" ;;
    *) echo "usage: $0 start|stop|restart|status|topic NAME [PARTITIONS]" >&2; exit 2 ;;
esac
