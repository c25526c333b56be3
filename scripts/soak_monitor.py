#!/usr/bin/env python3
"""Runs the soak program, samples it every second, drives dashboard clients, and checks the run.

    soak_monitor.py --out DIR [--clients 50] -- <soak binary> <its options>

Samples (every second, from /proc/<pid>): RSS (MiB), open file descriptors, threads, and the size of the
program's checkpoint directory (its --checkpoint option). Half the clients hold the dashboard's push stream
(/api/dashboard/events) open and read it; the other half poll /api/dashboard/state and Spark's REST API every
200 ms. After the program exits, the checks: exact final sums (the program's JSON line), and after warm-up (the
first 20% of the samples) an RSS slope under SOAK_MAX_SLOPE_MIB_PER_MIN (default 0.5 MiB/min), descriptors and
threads that do not grow, a checkpoint directory that does not grow (its mean size over the second half of the
run at most 1.5x the first half's), and no failed client request. Writes
samples.csv, figures.json and soak.png into DIR. Exit status 0 only when every check holds.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request


def rss_threads(pid):
    rss = threads = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024.0
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def directory_bytes(path):
    total = 0
    for base, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(base, name))
            except OSError:
                pass  # a file the checkpointer replaced between the listing and the stat
    return total


def mean(values):
    return round(sum(values) / len(values), 1) if values else 0.0


def slope_per_minute(times, values):
    """Least-squares slope of values over times (seconds), per minute."""
    n = len(times)
    if n < 2:
        return 0.0
    mt, mv = sum(times) / n, sum(values) / n
    var = sum((t - mt) ** 2 for t in times)
    return 0.0 if var == 0 else 60.0 * sum((t - mt) * (v - mv) for t, v in zip(times, values)) / var


class Clients:
    """Dashboard clients: `streams` readers of the push stream and `pollers` pollers of the JSON routes."""

    def __init__(self, port, count):
        self.base = f"http://127.0.0.1:{port}"
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests = self.failures = self.stream_bytes = 0
        self.errors = []
        self.failure_times = []
        self.threads = [threading.Thread(target=self.stream, daemon=True) for _ in range(count // 2)]
        self.threads += [threading.Thread(target=self.poll, daemon=True) for _ in range(count - count // 2)]

    def count(self, ok, error=None, nbytes=0):
        with self.lock:
            self.requests += 1
            self.stream_bytes += nbytes
            if not ok:
                self.failures += 1
                self.failure_times.append(time.time())
                if len(self.errors) < 5:
                    self.errors.append(str(error))

    def stream(self):
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(self.base + "/api/dashboard/events", timeout=10) as response:
                    while not self.stop.is_set():
                        chunk = response.read1(65536)
                        if not chunk:
                            break
                        with self.lock:
                            self.stream_bytes += len(chunk)
                self.count(True)
                time.sleep(0.2)  # a browser waits the stream's `retry:` before reconnecting; this waits less
            except Exception as error:  # the program stopping ends every stream: counted only while running
                if not self.stop.is_set():
                    self.count(False, error)
                    time.sleep(0.2)

    def poll(self):
        paths = ["/api/dashboard/state", "/api/v1/applications", "/metrics"]
        i = 0
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(self.base + paths[i % len(paths)], timeout=10) as response:
                    body = response.read()
                self.count(True, nbytes=len(body))
            except Exception as error:
                if not self.stop.is_set():
                    self.count(False, error)
            i += 1
            time.sleep(0.2)

    def start(self):
        for thread in self.threads:
            thread.start()


def wait_for_dashboard(port, process, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/applications", timeout=2).read()
            return True
        except Exception:
            time.sleep(0.2)
    return False


def option(command, name, default):
    return command[command.index(name) + 1] if name in command else default


def chart(samples, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [s["t"] / 60.0 for s in samples]
    fig, axes = plt.subplots(4, 1, figsize=(9, 10), sharex=True)
    for ax, key, label in zip(axes, ["rss_mib", "fds", "threads", "checkpoint_kib"],
                              ["RSS (MiB)", "open file descriptors", "threads", "checkpoint dir (KiB)"]):
        ax.plot(t, [s[key] for s in samples], linewidth=1)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("minutes")
    fig.suptitle("Spate soak (scripts/soak.sh)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    port = int(option(command, "--dashboard-port", "4041"))
    checkpoint = option(command, "--checkpoint", "/tmp/spate-soak-checkpoint")
    max_slope = float(os.environ.get("SOAK_MAX_SLOPE_MIB_PER_MIN", "0.5"))

    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    clients = Clients(port, args.clients)
    if not wait_for_dashboard(port, process):
        process.kill()
        sys.exit(f"soak: the dashboard never answered on port {port}")
    clients.start()

    samples, start = [], time.time()
    while process.poll() is None:
        try:
            rss, threads = rss_threads(process.pid)
            fds = len(os.listdir(f"/proc/{process.pid}/fd"))
        except (FileNotFoundError, ProcessLookupError):
            break
        samples.append({"t": round(time.time() - start, 2), "rss_mib": round(rss, 2), "fds": fds,
                        "threads": threads, "checkpoint_kib": round(directory_bytes(checkpoint) / 1024.0, 1)})
        time.sleep(1.0)
    ended = time.time()
    clients.stop.set()
    output = process.communicate()[0]
    # Requests refused while the program shut its dashboard down (the last seconds) are not failures of the run.
    with clients.lock:
        running_failures = sum(1 for t in clients.failure_times if t < ended - 5.0)
        shutdown_failures = clients.failures - running_failures
    status = process.returncode

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "samples.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["t", "rss_mib", "fds", "threads", "checkpoint_kib"])
        writer.writeheader()
        writer.writerows(samples)

    result = {}
    for line in output.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
    steady = samples[len(samples) // 5:]
    figures = {
        "seconds": round(time.time() - start, 1),
        "samples": len(samples),
        "program": result,
        "program_exit": status,
        "rss_mib_start": steady[0]["rss_mib"] if steady else None,
        "rss_mib_end": steady[-1]["rss_mib"] if steady else None,
        "rss_mib_max": max((s["rss_mib"] for s in samples), default=None),
        "rss_slope_mib_per_min": round(slope_per_minute([s["t"] for s in steady],
                                                        [s["rss_mib"] for s in steady]), 3),
        "fds_steady_min_max": [min((s["fds"] for s in steady), default=0), max((s["fds"] for s in steady), default=0)],
        "threads_steady_min_max": [min((s["threads"] for s in steady), default=0),
                                   max((s["threads"] for s in steady), default=0)],
        "checkpoint_kib_steady_max": max((s["checkpoint_kib"] for s in steady), default=0),
        "checkpoint_kib_mean_first_half": mean([s["checkpoint_kib"] for s in steady[:len(steady) // 2]]),
        "checkpoint_kib_mean_second_half": mean([s["checkpoint_kib"] for s in steady[len(steady) // 2:]]),
        "dashboard_clients": args.clients,
        "dashboard_requests": clients.requests,
        "dashboard_failures": running_failures,
        "dashboard_refused_at_shutdown": shutdown_failures,
        "dashboard_errors": clients.errors,
        "dashboard_bytes": clients.stream_bytes,
    }
    checks = {
        "exact sums": status == 0 and result.get("sum") == result.get("sum_expected")
        and result.get("records") == result.get("records_expected"),
        f"RSS slope under {max_slope} MiB/min": len(steady) >= 10 and figures["rss_slope_mib_per_min"] < max_slope,
        "descriptors flat": figures["fds_steady_min_max"][1] - figures["fds_steady_min_max"][0] <= args.clients + 10,
        "threads flat": figures["threads_steady_min_max"][1] - figures["threads_steady_min_max"][0] <= 8,
        # The directory's size swings with the write-ahead log's unread tail; growth shows as a larger mean later.
        "checkpoint directory does not grow": figures["checkpoint_kib_mean_second_half"]
        <= 1.5 * max(figures["checkpoint_kib_mean_first_half"], 64),
        "no failed dashboard request": running_failures == 0 and clients.requests > 0,
    }
    figures["checks"] = checks
    with open(os.path.join(args.out, "figures.json"), "w") as f:
        json.dump(figures, f, indent=2)
    chart(samples, os.path.join(args.out, "soak.png"))
    print(json.dumps(figures, indent=2))
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        sys.exit("soak: failed: " + ", ".join(failed))
    print("soak: every check holds")


if __name__ == "__main__":
    main()
