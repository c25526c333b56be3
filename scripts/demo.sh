#!/usr/bin/env bash
# Runs Spate's demo pipeline on embedded defaults (generated click events, windowed counts per campaign,
# console and file output). Stop it with Ctrl-C. Usage: scripts/demo.sh [extra `spate demo` options]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product spate
exec .build/release/spate demo "$@"
