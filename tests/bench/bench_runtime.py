#!/usr/bin/env python3
"""Runtime figures of `cardsim serve`: start-up time, idle memory, /_sim/health throughput.

Started by bench_runtime.sh; see README.md beside this file. Python standard library only, plus wrk.
Every server it starts it stops again by PID (SIGTERM, then SIGKILL after 5 s); the whole run is
bounded by --deadline seconds.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench_support import rss_kib

LISTENING = re.compile(r"^listening (\w+) (\S+):(\d+)\s*$")


class Server:
    """One `cardsim serve --ephemeral` on free ports; knows its PID and its AWS-edge port."""

    def __init__(self, binary, extra_args, log):
        self.ports = {}
        self.seen_aws = threading.Event()
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [binary, "serve", "--ephemeral", "--bind", "127.0.0.1", "--aws-port", "0",
             "--platform-port", "0", "--fakes-port", "0", *extra_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
        # Keep reading stdout for the server's whole life so a chatty server never blocks on a full pipe.
        self.reader = threading.Thread(target=self._read_stdout, daemon=True)
        self.reader.start()

    def _read_stdout(self):
        for line in self.proc.stdout:
            m = LISTENING.match(line)
            if m:
                self.ports[m.group(1)] = int(m.group(3))
                if m.group(1) == "aws":
                    self.seen_aws.set()

    def wait_port(self, timeout):
        deadline = time.perf_counter() + timeout
        while not self.seen_aws.wait(0.001):
            if self.proc.poll() is not None:
                raise RuntimeError(f"cardsim exited with {self.proc.returncode} before listening")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no 'listening aws' line within {timeout}s")
        return self.ports["aws"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to this PID only
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(2)


def health_status(port, timeout=1.0):
    """One GET /_sim/health on a fresh connection; returns the status code, None if refused."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except (ConnectionRefusedError, ConnectionResetError, socket.timeout):
        return None
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def time_to_healthy(binary, extra_args, log, timeout):
    """Seconds from Popen to the first 200 from /_sim/health (polled every 0.2 ms), and to the
    'listening aws' line."""
    server = Server(binary, extra_args, log)
    try:
        port = server.wait_port(timeout)
        listening = time.perf_counter() - server.started_at
        deadline = server.started_at + timeout
        while True:
            if health_status(port) == 200:
                return time.perf_counter() - server.started_at, listening
            if server.proc.poll() is not None:
                raise RuntimeError(f"cardsim exited with {server.proc.returncode}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"/_sim/health not 200 within {timeout}s")
            time.sleep(0.0002)
    finally:
        server.stop()


def run_wrk(port, threads, connections, duration):
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "2s",
         f"http://127.0.0.1:{port}/_sim/health"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=duration + 30).stdout
    fig = {"raw": out}
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    fig["rps"] = float(m.group(1)) if m else None
    for pct in ("50", "99"):
        m = re.search(rf"^\s*{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        fig[f"p{pct}"] = m.group(1) if m else "?"
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    fig["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    fig["socket_errors"] = m.group(1).strip() if m else "none"
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.environ.get("CARDSIM_BIN", "build/cardsim"))
    ap.add_argument("--starts", type=int, default=20, help="start-ups to time (median reported)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--connections", type=int, default=32, help="wrk keep-alive connections")
    ap.add_argument("--duration", type=int, default=10, help="wrk seconds")
    ap.add_argument("--start-timeout", type=float, default=15.0, help="seconds one start may take")
    ap.add_argument("--deadline", type=int, default=180, help="seconds for the whole run")
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="extra argument for `cardsim serve` (repeatable), e.g. --serve-arg=--log-level=warn")
    args = ap.parse_args()

    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"bench: no executable {binary} (build it: bash scripts/setup.sh)")

    # Bound the run: SIGALRM (and SIGTERM) unwind through the finally blocks that stop the server.
    def give_up(signum, _frame):
        raise SystemExit(f"bench: stopped by signal {signum} (deadline {args.deadline}s or SIGTERM)")
    signal.signal(signal.SIGALRM, give_up)
    signal.signal(signal.SIGTERM, give_up)
    signal.alarm(args.deadline)

    log = tempfile.NamedTemporaryFile(prefix="cardsim-bench-", suffix=".log", delete=False)
    rows = []
    try:
        # (a) start-up: process start -> first 200 from /_sim/health
        healthy, listening = [], []
        for _ in range(args.starts):
            h, l = time_to_healthy(binary, args.serve_arg, log, args.start_timeout)
            healthy.append(h * 1000)
            listening.append(l * 1000)
        rows.append(("start -> first 200 /_sim/health, median",
                     f"{statistics.median(healthy):.1f} ms",
                     f"min {min(healthy):.1f}, max {max(healthy):.1f} ms over {args.starts} starts"))
        rows.append(("start -> 'listening aws' line, median", f"{statistics.median(listening):.1f} ms", ""))

        # (b) idle RSS and (c) throughput, on one server
        server = Server(binary, args.serve_arg, log)
        try:
            port = server.wait_port(args.start_timeout)
            while health_status(port) != 200:
                if server.proc.poll() is not None:
                    raise RuntimeError(f"cardsim exited with {server.proc.returncode}")
                time.sleep(0.01)
            time.sleep(1.0)  # let start-up allocations settle
            rows.append(("idle RSS (VmRSS, 1 s after healthy)", f"{rss_kib(server.proc.pid) / 1024:.1f} MiB", ""))
            if shutil.which("wrk"):
                fig = run_wrk(port, args.threads, args.connections, args.duration)
                if fig["rps"] is None:
                    print(fig["raw"], file=sys.stderr)
                    raise RuntimeError("could not read wrk's output")
                rows.append((f"/_sim/health req/s (wrk -t{args.threads} -c{args.connections} -d{args.duration}s)",
                             f"{fig['rps']:,.0f}",
                             f"p50 {fig['p50']}, p99 {fig['p99']}, non-2xx {fig['non2xx']}, "
                             f"socket errors {fig['socket_errors']}"))
                rows.append(("RSS after the wrk run", f"{rss_kib(server.proc.pid) / 1024:.1f} MiB", ""))
            else:
                rows.append(("/_sim/health req/s", "skipped", "wrk not installed (apt-get install wrk)"))
        finally:
            server.stop()
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        log.flush()
        with open(log.name) as f:
            tail = f.read()[-2000:]
        sys.exit(f"bench: {e}\n--- cardsim stderr (last lines) ---\n{tail}")
    finally:
        signal.alarm(0)
        log.close()
        os.unlink(log.name)

    cpus = os.cpu_count()
    print(f"cardsim runtime figures  ({binary}, {cpus} CPUs, wrk and server on the same machine)")
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'figure':<{w0}}  {'value':>{w1}}  notes")
    print(f"{'-' * w0}  {'-' * w1}  -----")
    for name, value, note in rows:
        print(f"{name:<{w0}}  {value:>{w1}}  {note}")


if __name__ == "__main__":
    main()
