#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (their own package, with -sanitize=fuzzer,address, in
# Fuzz/.build-fuzz, so the engine's own build never sees the flags) and runs each for a given time.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default 60 s, every target)
#   scripts/fuzz.sh 20                                    what CI runs
#   scripts/fuzz.sh 600 TextParsers LineSplitter
#
# Targets: TextParsers LineSplitter SparkText DashboardRoutes KafkaRecords Checkpoint WriteAheadLog Formats (Fuzz/<Target>/main.swift says what each checks).
# Each run starts from the committed seeds in Fuzz/Corpus/<Target>/ plus what earlier local runs found
# (Fuzz/.build-fuzz/corpus/<Target>/, not committed). A crash, a failed check or a hang is saved as
# Fuzz/.build-fuzz/artifacts/<Target>/crash-* (minimize it with `<binary> -minimize_crash=1 <file>` and commit
# it to Fuzz/Corpus/<Target>/ as a regression seed once fixed). Prints the executions of every target and
# exits non-zero when any target crashed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(TextParsers LineSplitter SparkText DashboardRoutes KafkaRecords Checkpoint WriteAheadLog Formats)
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [seconds-per-target] [target...]" >&2; exit 2; }

cd "$root/Fuzz"
scratch="$root/Fuzz/.build-fuzz"
build=(swift build --scratch-path "$scratch" -c debug -Xswiftc -sanitize=fuzzer,address)
echo "== building the fuzz targets (${build[*]})"
"${build[@]}" 2>&1 | grep -E "error|warning: unre|Compiling Fuzz|Build complete" || true
bin="$("${build[@]}" --show-bin-path)"

# Swift's runtime keeps caches for the life of the process: leak reports would be noise, not findings.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"
# A failed check ends in fatalError: skip the runtime's symbolicating backtracer (slow on an ASan binary).
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
failed=()
summary=()
for target in "${targets[@]}"; do
    binary="$bin/Fuzz$target"
    [ -x "$binary" ] || { echo "no fuzz target $target (expected $binary)" >&2; exit 2; }
    seeds="$root/Fuzz/Corpus/$target"
    work="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    log="$scratch/logs/$target.log"
    mkdir -p "$seeds" "$work" "$artifacts" "$(dirname "$log")"
    echo "== $target for ${seconds}s"
    status=0
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    took="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
    [ -n "$runs" ] || runs="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
    [ -n "$took" ] && [ "$took" -gt 0 ] || took="$seconds"
    rate=$(( ${runs:-0} / (took > 0 ? took : 1) ))
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        summary+=("$(printf '%-16s CRASHED after %s executions' "$target" "${runs:-?}")")
        echo "!! $target failed (exit $status); the end of $log:"
        grep -E "Fatal error|ERROR: |SUMMARY|Test unit written|Base64" "$log" | head -20 || tail -30 "$log"
    else
        summary+=("$(printf '%-16s %12s executions in %4s s  %9s/s' "$target" "${runs:-0}" "$took" "$rate")")
    fi
done

echo "== fuzz summary (${seconds}s a target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]} (inputs in $scratch/artifacts/)"
    exit 1
fi
