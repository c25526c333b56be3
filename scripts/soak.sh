#!/usr/bin/env bash
# The soak: compressed hours of a checkpointing, write-ahead-logging pipeline with churning keys, mapWithState
# timeouts, an incremental window and 50 dashboard clients (Soak/SpateSoak/main.swift), sampled every second.
#
#   scripts/soak.sh [batches] [interval-ms] [out-dir]      (default 12000 batches of 50 ms, /tmp/spate-soak)
#   scripts/soak.sh 1200                                   a 1-minute smoke run
#
# Samples RSS, open file descriptors, threads and the checkpoint directory's size every second
# (scripts/soak_monitor.py); asserts after warm-up (the first 20% of the run) a flat RSS slope (under
# SOAK_MAX_SLOPE_MIB_PER_MIN, default 0.5), no growth of descriptors, threads or the checkpoint directory,
# no failed dashboard request, and exact final sums (records and value sums equal to the formula's).
# Writes <out-dir>/soak.png (the four series), <out-dir>/samples.csv and <out-dir>/figures.json; exits non-zero
# when an assertion fails. Needs python3 with matplotlib (installed with pip when missing).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
batches="${1:-12000}"
interval="${2:-50}"
out="${3:-/tmp/spate-soak}"
[[ "$batches" =~ ^[0-9]+$ && "$interval" =~ ^[0-9]+$ ]] || {
    echo "usage: scripts/soak.sh [batches] [interval-ms] [out-dir]" >&2; exit 2; }

python3 -c "import matplotlib" 2>/dev/null || {
    echo "== installing matplotlib (pip) for the soak chart"
    python3 -m pip install --quiet matplotlib
}

echo "== building the soak program (release, Soak/.build)"
(cd "$root/Soak" && swift build -c release 2>&1 | grep -E "error|Compiling SpateSoak|Build complete" || true)
binary="$(cd "$root/Soak" && swift build -c release --show-bin-path)/SpateSoak"
[ -x "$binary" ] || { echo "soak.sh: the soak program did not build ($binary)" >&2; exit 1; }

mkdir -p "$out"
echo "== soak: $batches batches of $interval ms (about $((batches * interval / 60000)) min), output in $out"
exec python3 "$root/scripts/soak_monitor.py" --out "$out" --clients 50 -- \
    "$binary" --batches "$batches" --interval-ms "$interval" --checkpoint "$out/checkpoint" --dashboard-port 4041
