#!/usr/bin/env bash
# Installs and starts (or stops) the services the tests and examples use. scripts/test.sh runs
# `scripts/services.sh start` before building, so this also installs the system libraries the build needs.
#   scripts/services.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-start}" in
    start) scripts/kafka.sh start && scripts/postgres.sh start && scripts/kinesis.sh start ;;
    stop) rc=0; scripts/kafka.sh stop || rc=1; scripts/postgres.sh stop || rc=1; scripts/kinesis.sh stop || rc=1; exit $rc ;;
    status) rc=0; scripts/kafka.sh status || rc=1; scripts/postgres.sh status || rc=1; scripts/kinesis.sh status || rc=1; exit $rc ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
