#!/usr/bin/env bash
# Runs the fault-injection tests (Tests/FaultTests): a full disk (tmpfs) under the checkpoint directory and an
# output folder, `pg_ctl restart -m immediate` of a PostgreSQL server of their own in the middle of a batch, a
# socket program under SIGKILL with the write-ahead log, and the fsync order (strace). Needs root for mount and
# pg_ctl (CI runs as root); a test whose tool is missing is skipped with a message saying what to install.
#
#   scripts/faults.sh            build the tests, then run the fault suites one after another
#   scripts/faults.sh --no-build run them on the current build
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "${1:-}" != "--no-build" ]; then
    command -v strace >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y strace >/dev/null 2>&1 || true; }
    swift build --build-tests
fi
for suite in FsyncOrderTests DiskFullTests PostgresRestartTests SocketKillTests; do
    echo "== $suite"
    swift test --skip-build --no-parallel --filter "FaultTests.$suite"
done
