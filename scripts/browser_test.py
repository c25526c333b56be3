"""Drives the dashboard page in headless chromium (selenium + chromedriver); see scripts/browser-test.sh."""
import argparse
import re
import shutil
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

BAR_CHART = "Words per batch"
LINE_CHART = "Records per batch"


def fail(message):
    print("browser-test: FAIL: " + message)
    sys.exit(1)


def wait_for(what, check, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def produced(log_path, batch_time):
    """The n the pipeline printed for a batch time (it prints after the charts' outputs ran)."""
    def find():
        with open(log_path) as f:
            m = re.search(r"^batch %d n=(\d+)$" % batch_time, f.read(), re.M)
        return int(m.group(1)) if m else None
    return wait_for("the pipeline's line for batch %d" % batch_time, find, 10)


def read_charts(driver):
    return driver.execute_script("""
        function card(title) { return document.querySelector('.chart[data-title="' + title + '"]'); }
        var bar = card(arguments[0]), line = card(arguments[1]);
        if (!bar || !line) return null;
        var bars = {};
        bar.querySelectorAll('g.bar').forEach(function (g) { bars[g.dataset.label] = Number(g.dataset.value); });
        var last = line.querySelector('.series');
        return { barTime: Number(bar.dataset.batchTime), bars: bars, lineTime: Number(line.dataset.batchTime),
                 lineLast: last ? Number(last.dataset.last) : null,
                 barText: bar.textContent };
    """, BAR_CHART, LINE_CHART)


def check_values(charts, log_path):
    n = produced(log_path, charts["barTime"])
    expected = {"alpha": 3 * n, "beta": 2 * n, "gamma": n}
    if charts["bars"] != expected:
        fail("bar chart of batch %d shows %s, the pipeline produced %s" % (charts["barTime"], charts["bars"], expected))
    for label, value in expected.items():
        if label not in charts["barText"] or str(value) not in charts["barText"]:
            fail("bar chart text lacks %s = %d: %r" % (label, value, charts["barText"]))
    m = produced(log_path, charts["lineTime"])
    if charts["lineLast"] != 6 * m:
        fail("line chart of batch %d ends at %s, the pipeline produced %d" % (charts["lineTime"], charts["lineLast"], 6 * m))
    return n


def check_event_time(driver, log_path):
    """The event-time section: the watermark about a second behind the batch time, the late records of a
    batch equal to its n gammas (stamped a minute early), the window operator's open windows."""
    def read():
        return driver.execute_script("""
            function row(sel) { var r = document.querySelector('#event-time tr.' + sel); return r ? r.dataset : null; }
            var w = row('watermark'), late = row('late-records'), open = row('event-time-state');
            if (!w || !late || !open) return null;
            return { stream: w.name, lag: Number(w.lag), lateTime: Number(late.batchTime), late: Number(late.last),
                     operator: open.name, open: Number(open.last),
                     polylines: document.querySelectorAll('#event-time .timeline polyline').length };
        """)
    first = wait_for("the event-time section", read)
    figures = wait_for("a batch after the first in the event-time section",
                       lambda: (lambda f: f if f and f["lateTime"] > first["lateTime"] else None)(read()), 15)
    if figures["stream"] != "withWatermark#1" or not -10000 < figures["lag"] < 10000:
        fail("the watermark row is wrong: %s" % figures)
    n = produced(log_path, figures["lateTime"])
    if figures["late"] != n:
        fail("late records of batch %d: the page shows %s, the pipeline stamped %d gammas late"
             % (figures["lateTime"], figures["late"], n))
    if figures["operator"] != "words per 2 s" or figures["open"] < 1 or figures["polylines"] != 3:
        fail("the open windows row or the timelines are missing: %s" % figures)
    print("browser-test: event time: watermark lag %d ms, batch %d shows %d late records as produced, %d open windows"
          % (figures["lag"], figures["lateTime"], n, figures["open"]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--screenshot")
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,2600", "--hide-scrollbars"]:
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    try:
        driver.get(args.url)
        wait_for("the push stream to connect",
                 lambda: driver.execute_script("return document.getElementById('status').textContent") == "live")
        if "token" in driver.current_url:
            fail("the token stayed in the address bar (and the history): %s" % driver.current_url)
        charts = wait_for("the result charts", lambda: (lambda c: c if c and c["bars"] else None)(read_charts(driver)))
        n1 = check_values(charts, args.log)
        first = charts["barTime"]
        print("browser-test: batch %d shows alpha=%d beta=%d gamma=%d as produced" % (first, 3 * n1, 2 * n1, n1))

        # New batches complete: the charts move on, without reloading the page.
        charts = wait_for("the charts to change",
                          lambda: (lambda c: c if c and c["barTime"] > first else None)(read_charts(driver)), 15)
        n2 = check_values(charts, args.log)
        if n2 == n1:
            fail("the bar chart did not change (n=%d both times)" % n1)
        print("browser-test: then batch %d shows gamma=%d: the charts changed" % (charts["barTime"], n2))

        page = driver.execute_script("""return {
            stats: document.querySelectorAll('#stats tbody tr').length,
            timelinePoints: document.querySelectorAll('#stat-processing-time .timeline polyline').length,
            completed: document.querySelectorAll('#completed tbody tr').length,
            graph: Array.from(document.querySelectorAll('#graph g')).map(function (g) { return g.dataset.name; }),
            sources: Array.from(document.querySelectorAll('#sources tr.source')).map(function (r) { return r.dataset.source; }),
            ops: (document.querySelector('#completed tbody tr .ops') || {}).textContent || '' }""")
        if page["stats"] != 4 or page["timelinePoints"] != 1:
            fail("streaming statistics are not drawn: %s" % page)
        if page["completed"] < 2 or "dashboard(bar: Words per batch)" not in page["ops"]:
            fail("completed batches table is incomplete: %s" % page)
        if "queueStream#1" not in page["graph"] or "queueStream#1" not in page["sources"]:
            fail("operator graph or input streams missing: %s" % page)
        print("browser-test: statistics, batches, input streams and operator graph (%d boxes) drawn" % len(page["graph"]))

        check_event_time(driver, args.log)

        if args.screenshot:
            wait_for("ten completed batches for the screenshot",
                     lambda: driver.execute_script("return document.querySelectorAll('#completed tbody tr').length") >= 10, 20)
            time.sleep(0.5)
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(1400, min(height + 20, 4000))
            time.sleep(0.5)
            driver.save_screenshot(args.screenshot)
            print("browser-test: screenshot saved to " + args.screenshot)

        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        if errors:
            fail("console errors: %s" % errors)
        print("browser-test: PASS (no console errors)")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
