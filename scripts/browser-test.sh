#!/usr/bin/env bash
# Tests the dashboard page in a real headless browser: serves a pipeline's dashboard
# (Examples/LiveDashboardExample), opens it in Debian's chromium through chromedriver and selenium, and checks
# that the page loads with no console error, that its charts show the values the pipeline produced, and that
# they change when new batches complete. The dashboard has a token, so the page's way of carrying it (the URL's
# fragment, then a same-site cookie the event stream sends) is tested too.
# Usage: scripts/browser-test.sh            (SCREENSHOT=docs/dashboard.png also saves a screenshot)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "browser-test: installing chromium and chromium-driver"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q selenium

swift build --product LiveDashboardExample
bin="$(swift build --show-bin-path)/LiveDashboardExample"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
token="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
"$bin" "$port" 1000 "$token" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 100); do
    grep -q "^dashboard: " "$log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "browser-test: the example exited"; exit 1; }
    sleep 0.1
done
grep -q "^dashboard: " "$log" || { cat "$log"; echo "browser-test: the dashboard did not start"; exit 1; }

python3 scripts/browser_test.py --url "http://127.0.0.1:$port/#token=$token" --log "$log" ${SCREENSHOT:+--screenshot "$SCREENSHOT"}
