#!/usr/bin/env python3
"""S3 benchmark: cardsim (durable data dir) and moto_server side by side in one run.

Figures: PutObject 1 KiB req/s, GetObject 1 KiB and 1 MiB req/s and MB/s (wrk, keep-alive, Lua
scripts written to a temp dir), peak RSS of cardsim while uploading and downloading a 1 GiB object
(moto keeps bodies in memory, so its RSS would just be the object size: not measured), and
ListObjectsV2 page latency at 100,000 keys (moto at --moto-list-keys keys: seeding 100,000 keys
through its one-connection-per-request server alone takes minutes).

Both servers get unsigned requests (cardsim serves anonymous requests; moto does not check auth).
Every server started here is stopped by its PID. Bounded: --deadline (default 230 s) for the run.

    python3 tests/bench/bench_s3.py [--bin build/cardsim] [--duration 5] [--keys 100000]
"""
import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time

from bench_support import MotoServer, rss_kib, run_wrk

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

PUT_LUA = """
local counter = 0
local body = string.rep("x", 1024)
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  return wrk.format("PUT", "/bench/put-" .. tid .. "-" .. counter, {["Content-Type"] = "application/octet-stream"}, body)
end
"""


class RssSampler:
    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop:
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except OSError:
                return
            time.sleep(0.01)

    def __enter__(self):
        self.peak = rss_kib(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        self._thread.join()


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise RuntimeError("%s %s -> %d %s" % (method, path, r.status, data[:200]))
        return data
    finally:
        conn.close()


def pipelined_puts(port, keys, connections=4, batch=500):
    """PUTs empty-ish bodies for `keys` over keep-alive connections, `batch` requests in flight."""
    def worker(chunk):
        s = socket.create_connection(("127.0.0.1", port))
        try:
            for i in range(0, len(chunk), batch):
                part = chunk[i:i + batch]
                payload = b"".join(b"PUT /bench-list/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nx"
                                   % k.encode() for k in part)
                s.sendall(payload)
                seen, buf = 0, b""
                while seen < len(part):
                    data = s.recv(1 << 20)
                    if not data:
                        raise RuntimeError("connection closed while seeding")
                    buf += data
                    seen = buf.count(b"\r\n\r\n")
                if buf.count(b"HTTP/1.1 200") != len(part):
                    raise RuntimeError("seeding failed: " + buf[:300].decode(errors="replace"))
        finally:
            s.close()
    chunks = [keys[i::connections] for i in range(connections)]
    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def threaded_puts(port, keys, threads=8):
    def worker(chunk):
        for k in chunk:
            request(port, "PUT", "/bench-list/" + k, body=b"x", headers=PUBLIC)
    ts = [threading.Thread(target=worker, args=(keys[i::threads],)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def list_latency(port, n_keys, repeats=20):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    results = {}
    cases = {
        "first page (1000 keys)": "/bench-list?list-type=2",
        "middle page (start-after)": "/bench-list?list-type=2&start-after=k%%2F%06d" % (n_keys // 2),
        "delimiter page (prefix+/)": "/bench-list?list-type=2&prefix=k%2F&delimiter=%2F&max-keys=100",
    }
    for name, path in cases.items():
        samples = []
        for _ in range(repeats):
            t = time.perf_counter()
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            samples.append((time.perf_counter() - t) * 1000)
            if r.status != 200:
                raise RuntimeError("list failed: %d %s" % (r.status, body[:200]))
        samples.sort()
        results[name] = (statistics.median(samples), samples[int(len(samples) * 0.95) - 1])
    conn.close()
    return results


def big_transfer(port, pid, size):
    chunk = os.urandom(1 << 20)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    with RssSampler(pid) as up:
        t = time.perf_counter()
        conn.putrequest("PUT", "/bench/huge")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        for _ in range(size // len(chunk)):
            conn.send(chunk)
        r = conn.getresponse()
        r.read()
        up_s = time.perf_counter() - t
        if r.status != 200:
            raise RuntimeError("1 GiB upload failed: %d" % r.status)
    with RssSampler(pid) as down:
        t = time.perf_counter()
        conn.request("GET", "/bench/huge")
        r = conn.getresponse()
        got = 0
        while True:
            data = r.read(1 << 20)
            if not data:
                break
            got += len(data)
        down_s = time.perf_counter() - t
        if got != size:
            raise RuntimeError("1 GiB download returned %d bytes" % got)
    conn.close()
    return up.peak, up_s, down.peak, down_s


# moto refuses anonymous reads unless the ACL allows them; cardsim ignores ACL headers.
PUBLIC = {"x-amz-acl": "public-read", "Content-Type": "application/octet-stream"}


def bench_small_and_medium(name, port, pid, args, work, out):
    request(port, "PUT", "/bench", headers=PUBLIC)
    request(port, "PUT", "/bench/small", body=os.urandom(1024), headers=PUBLIC)
    request(port, "PUT", "/bench/medium", body=os.urandom(1 << 20), headers=PUBLIC)

    def run(lua, label, path):
        return run_wrk(port, lua, 2, args.connections, args.duration, work, "%s-%s" % (name, label), path)
    out[name] = {
        "put": run(PUT_LUA, "put", "/"),
        "get1k": run("", "get1k", "/bench/small"),
        "get1m": run("", "get1m", "/bench/medium"),
        "rss": rss_kib(pid),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.environ.get("CARDSIM_BIN", os.path.join(HERE, "..", "..", "build", "cardsim")))
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--moto-list-keys", type=int, default=5_000)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--no-moto", action="store_true")
    parser.add_argument("--deadline", type=int, default=230)
    args = parser.parse_args()
    os.environ["CARDSIM_BIN"] = os.path.abspath(args.bin)
    from cardsim_process import CardsimProcess

    def on_alarm(*_):
        raise TimeoutError("benchmark deadline of %d s reached" % args.deadline)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.deadline)

    work = tempfile.mkdtemp(prefix="cardsim-bench-s3-")
    results, lists, big = {}, {}, None
    started = time.monotonic()
    try:
        data_dir = os.path.join(work, "data")
        with CardsimProcess("--log-level", "warn", data_dir=data_dir) as p:
            port, pid = p.ports["aws"], p.proc.pid
            bench_small_and_medium("cardsim", port, pid, args, work, results)
            keys = ["k/%06d" % i for i in range(args.keys)]
            request(port, "PUT", "/bench-list")
            t = time.perf_counter()
            print("seeding %d keys into cardsim ..." % args.keys, flush=True)
            pipelined_puts(port, keys)
            seed_s = time.perf_counter() - t
            lists["cardsim"] = (args.keys, seed_s, list_latency(port, args.keys))
            print("1 GiB transfer ...", flush=True)
            try:
                big = big_transfer(port, pid, args.big_mib << 20)
            except Exception:
                print("cardsim stderr:\n" + p.stderr()[-3000:], file=sys.stderr)
                raise
            results["cardsim"]["rss_end"] = rss_kib(pid)
        if not args.no_moto:
            moto = MotoServer()
            try:
                bench_small_and_medium("moto", moto.port, moto.pid, args, work, results)
                keys = ["k/%06d" % i for i in range(args.moto_list_keys)]
                request(moto.port, "PUT", "/bench-list", headers=PUBLIC)
                t = time.perf_counter()
                threaded_puts(moto.port, keys)
                seed_s = time.perf_counter() - t
                lists["moto"] = (args.moto_list_keys, seed_s, list_latency(moto.port, args.moto_list_keys, repeats=5))
            finally:
                moto.stop()
    finally:
        signal.alarm(0)
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("S3 benchmark (wrk -t2 -c%d -d%ds, keep-alive, unsigned requests; cardsim with a durable --data-dir)"
          % (args.connections, args.duration))
    names = [n for n in ["cardsim", "moto"] if n in results]
    print("%-34s" % "figure" + "".join("%18s" % n for n in names) + ("%12s" % "ratio" if len(names) == 2 else ""))

    def row(label, fn, fmt="%18.0f"):
        vals = [fn(results[n]) for n in names]
        ratio = ("%11.1fx" % (vals[0] / vals[1])) if len(vals) == 2 and vals[1] else ""
        print("%-34s" % label + "".join(fmt % v for v in vals) + ratio)
    row("PutObject 1 KiB req/s", lambda r: r["put"]["rps"])
    row("GetObject 1 KiB req/s", lambda r: r["get1k"]["rps"])
    row("GetObject 1 KiB MB/s", lambda r: r["get1k"]["mbs"], "%18.1f")
    row("GetObject 1 MiB req/s", lambda r: r["get1m"]["rps"])
    row("GetObject 1 MiB MB/s", lambda r: r["get1m"]["mbs"], "%18.1f")
    row("non-2xx responses (all wrk runs)", lambda r: r["put"]["non2xx"] + r["get1k"]["non2xx"] + r["get1m"]["non2xx"])
    row("RSS after wrk runs (MiB)", lambda r: r["rss"] / 1024, "%18.1f")
    for n in names:
        for k in ["put", "get1k", "get1m"]:
            if results[n][k]["errors"]:
                print("  %s %s: %s" % (n, k, results[n][k]["errors"]))
    if big:
        up_peak, up_s, down_peak, down_s = big
        size_mb = (args.big_mib << 20) / 1e6
        print()
        print("cardsim %d MiB object: upload %.1f s (%.0f MB/s), peak RSS %.1f MiB; download %.1f s (%.0f MB/s), "
              "peak RSS %.1f MiB" % (args.big_mib, up_s, size_mb / up_s, up_peak / 1024, down_s, size_mb / down_s,
                                     down_peak / 1024))
        print("  (moto not measured: it keeps object bodies in memory, so its RSS grows by the object size)")
    print()
    print("ListObjectsV2 page latency, ms (median / p95)")
    for n, (count, seed_s, lat) in lists.items():
        print("  %-8s %7d keys (seeded in %.1f s, %.0f PUT/s)" % (n, count, seed_s, count / seed_s))
        for case, (med, p95) in lat.items():
            print("      %-30s %8.2f / %8.2f" % (case, med, p95))
    print()
    print("total %.0f s" % (time.monotonic() - started))


if __name__ == "__main__":
    main()
