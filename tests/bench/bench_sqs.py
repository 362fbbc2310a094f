#!/usr/bin/env python3
"""SQS benchmark: cardsim (durable, --data-dir in a temp dir) and moto_server side by side in one
run, alternating. Figures: SendMessage req/s and p50/p99 (wrk, JSON protocol), Receive+Delete cycle
req/s and p50/p99 (wrk), send->receive latency of one message (long poll), RSS with 1,000,000
messages queued (cardsim; moto is measured with fewer, said so in the table). Bounded in time
(about 2-3 minutes); every server it starts is stopped by its PID. Reports, asserts nothing.

    python3 tests/bench/bench_sqs.py [--bin build/cardsim] [--duration 5] [--rounds 2] [--messages 1000000]
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import cardsim_process  # noqa: E402
from cardsim_process import CardsimProcess  # noqa: E402

from bench_support import MotoServer, rss_kib, run_wrk as run_wrk_script

ACCOUNT_PATH = "/000000000000/"

SEND_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessage"
wrk.body = '{"QueueUrl":"%(url)s","MessageBody":"hello from wrk: a small payment event {\\"amount\\":1200}"}'
"""

BATCH_LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessageBatch"
local entries = {}
for i = 1, 10 do
  entries[i] = '{"Id":"e' .. i .. '","MessageBody":"queued message number ' .. i .. '"}'
end
wrk.body = '{"QueueUrl":"%(url)s","Entries":[' .. table.concat(entries, ",") .. ']}'
"""

# Each thread alternates: a ReceiveMessage, then a DeleteMessage for every handle it got back.
CYCLE_LUA = r"""
local url = "%(url)s"
local handles = {}
local empties = 0
local recv = wrk.format("POST", "/", {["Content-Type"]="application/x-amz-json-1.0",
  ["X-Amz-Target"]="AmazonSQS.ReceiveMessage"}, '{"QueueUrl":"' .. url .. '","MaxNumberOfMessages":1}')
function request()
  local h = table.remove(handles)
  if h then
    return wrk.format("POST", "/", {["Content-Type"]="application/x-amz-json-1.0",
      ["X-Amz-Target"]="AmazonSQS.DeleteMessage"}, '{"QueueUrl":"' .. url .. '","ReceiptHandle":"' .. h .. '"}')
  end
  return recv
end
function response(status, headers, body)
  local h = string.match(body, '"ReceiptHandle"%%s*:%%s*"([^"]+)"')
  if h then table.insert(handles, h)
  elseif string.find(body, '"Messages"') == nil and string.find(body, 'MessageId') == nil and status == 200 and #body < 40 then
    empties = empties + 1
  end
end
threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + (t:get("empties") or 0) end
  io.write(string.format("EMPTY_RECEIVES %%d\n", e))
end
"""


def call(port, target, body, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("POST", "/", body=json.dumps(body), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS." + target,
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20270101/us-east-1/sqs/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status != 200:
        raise RuntimeError("%s -> %d %s" % (target, r.status, data[:300]))
    return json.loads(data) if data else {}


def run_wrk(port, lua, threads, conns, duration, workdir, name):
    """bench_support.run_wrk plus the empty receives CYCLE_LUA counts."""
    r = run_wrk_script(port, lua, threads, conns, duration, workdir, name)
    empty = re.search(r"EMPTY_RECEIVES (\d+)", r["output"])
    r["empty"] = int(empty.group(1)) if empty else 0
    return r


def fill(port, url, messages, workdir, conns=16, timeout=120):
    """Queues at least `messages` messages with SendMessageBatch (10 a request) over keep-alive
    connections: wrk runs in chunks sized from the measured rate until the count is reached."""
    t0 = time.monotonic()
    lua = BATCH_LUA % {"url": url}
    start = count(port, url)
    chunk = 1
    while time.monotonic() - t0 < timeout:
        have = count(port, url) - start
        if have >= messages:
            break
        c0 = time.monotonic()
        run_wrk(port, lua, 2, conns, chunk, workdir, "fill")
        rate = (count(port, url) - start - have) / max(0.001, time.monotonic() - c0)
        chunk = max(1, min(10, int((messages - have) / max(rate, 1.0))))
    return time.monotonic() - t0


def count(port, url):
    a = call(port, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]})
    return int(a["Attributes"]["ApproximateNumberOfMessages"])


def send_to_receive_ms(port, url, samples):
    out = []
    for _ in range(samples):
        got = {}

        def poll():
            got["r"] = call(port, "ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 5})
            got["t"] = time.perf_counter()

        t = threading.Thread(target=poll)
        t.start()
        time.sleep(0.05)  # let the long poll reach the server
        t0 = time.perf_counter()
        call(port, "SendMessage", {"QueueUrl": url, "MessageBody": "ping"})
        t.join(10)
        if "Messages" in got.get("r", {}):
            out.append((got["t"] - t0) * 1000)
            call(port, "DeleteMessage", {"QueueUrl": url, "ReceiptHandle": got["r"]["Messages"][0]["ReceiptHandle"]})
    return statistics.median(out) if out else None


def main():
    # `timeout` and Ctrl-C must still stop the servers this script started (by PID, in `finally`).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("CARDSIM_BIN", os.path.join(HERE, "..", "..", "build", "cardsim")))
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per server")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--messages", type=int, default=1_000_000, help="messages queued for the cardsim RSS figure")
    ap.add_argument("--moto-messages", type=int, default=0,
                    help="messages queued for moto's RSS figure (0: skipped; moto fills at a few hundred a second)")
    args = ap.parse_args()
    os.environ["CARDSIM_BIN"] = os.path.abspath(args.bin)
    cardsim_process.BIN = os.environ["CARDSIM_BIN"]
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="bench-sqs-")
    data_dir = os.path.join(workdir, "data")
    results = {"cardsim": {"send": [], "cycle": []}, "moto": {"send": [], "cycle": []}}
    sim = moto = None
    try:
        sim = CardsimProcess("--log-level", "warn", data_dir=data_dir, ephemeral=False).start()
        moto = MotoServer()
        servers = {"cardsim": (sim.ports["aws"], sim.proc.pid), "moto": (moto.port, moto.pid)}
        urls = {}
        for name, (port, _) in servers.items():
            urls[name] = {q: call(port, "CreateQueue", {"QueueName": "bench-" + q})["QueueUrl"]
                          for q in ("send", "cycle", "latency", "rss")}
        idle = {name: rss_kib(pid) for name, (port, pid) in servers.items()}

        for rnd in range(args.rounds):
            for name in ("cardsim", "moto"):
                port, _ = servers[name]
                r = run_wrk(port, SEND_LUA % {"url": urls[name]["send"]}, args.threads, args.connections,
                            args.duration, workdir, "send")
                results[name]["send"].append(r)
                print("round %d %-7s SendMessage    %9.0f req/s  p50 %s ms  p99 %s ms  non2xx %d %s" % (
                    rnd + 1, name, r["rps"], r["p50"], r["p99"], r["non2xx"], r["errors"]), flush=True)
        for rnd in range(args.rounds):
            for name in ("cardsim", "moto"):
                port, _ = servers[name]
                # Enough messages that the cycle never runs dry: a rough upper bound from the send rate.
                need = int(max(r["rps"] for r in results[name]["send"]) * args.duration * 0.8) + 100
                have = count(port, urls[name]["cycle"])
                if have < need:
                    fill(port, urls[name]["cycle"], need - have, workdir, conns=16 if name == "cardsim" else 4,
                         timeout=30 if name == "cardsim" else 15)
                r = run_wrk(port, CYCLE_LUA % {"url": urls[name]["cycle"]}, args.threads, args.connections,
                            args.duration, workdir, "cycle")
                results[name]["cycle"].append(r)
                print("round %d %-7s Receive+Delete %9.0f req/s  p50 %s ms  p99 %s ms  empty receives %d" % (
                    rnd + 1, name, r["rps"], r["p50"], r["p99"], r["empty"]), flush=True)

        latency = {}
        for name in ("cardsim", "moto"):
            port, _ = servers[name]
            latency[name] = send_to_receive_ms(port, urls[name]["latency"], 15)

        rss = {}
        for name, target in (("cardsim", args.messages), ("moto", args.moto_messages)):
            if target <= 0:
                continue
            port, pid = servers[name]
            budget = (150 if name == "cardsim" else 170) - (time.monotonic() - started)
            if budget < 20:
                print("skipping the %s RSS fill: time budget spent" % name)
                continue
            took = fill(port, urls[name]["rss"], target, workdir, conns=16 if name == "cardsim" else 4,
                        timeout=int(max(10, budget - 5)))
            rss[name] = (count(port, urls[name]["rss"]), rss_kib(pid), took)
            print("%-7s queued %d messages in %.1f s, RSS %.0f MiB" % (name, rss[name][0], took,
                                                                      rss[name][1] / 1024), flush=True)
    finally:
        if sim:
            sim.__exit__(None, None, None)
        if moto:
            moto.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    def best(name, kind):
        return max(results[name][kind], key=lambda r: r["rps"])

    print()
    print("| figure | cardsim (durable) | moto_server | ratio |")
    print("|---|---|---|---|")
    for kind, label in (("send", "SendMessage req/s"), ("cycle", "Receive+Delete req/s")):
        c, m = best("cardsim", kind), best("moto", kind)
        ratio = c["rps"] / m["rps"] if m["rps"] else float("inf")
        print("| %s | %.0f | %.0f | %.1fx |" % (label, c["rps"], m["rps"], ratio))
        print("| %s p50 / p99 ms | %s / %s | %s / %s | |" % (label.split()[0], c["p50"], c["p99"], m["p50"], m["p99"]))
    fmt = lambda v: "%.2f" % v if v is not None else "n/a"  # noqa: E731
    print("| send->receive, one message (long poll), median ms | %s | %s | |" % (fmt(latency.get("cardsim")),
                                                                                 fmt(latency.get("moto"))))
    print("| idle RSS MiB | %.0f | %.0f | |" % (idle["cardsim"] / 1024, idle["moto"] / 1024))
    if "cardsim" in rss or "moto" in rss:
        c = rss.get("cardsim")
        m = rss.get("moto")
        print("| RSS with N messages queued | %s | %s | |" % (
            "%.0f MiB (N=%d)" % (c[1] / 1024, c[0]) if c else "n/a",
            "%.0f MiB (N=%d)" % (m[1] / 1024, m[0]) if m else "n/a"))
    print("(wrk -t%d -c%d -d%ds, best of %d alternating rounds; total %.0f s)" % (
        args.threads, args.connections, args.duration, args.rounds, time.monotonic() - started))


if __name__ == "__main__":
    main()
