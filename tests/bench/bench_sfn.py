#!/usr/bin/env python3
"""Step Functions benchmark: cardsim (durable, --data-dir in a temp dir, virtual clock) and
moto_server side by side in one run. Reports figures, asserts nothing about speed (CONVENTIONS,
"Tests"); not registered with ctest.

Figures
  1. 3-state Pass chain: started-and-completed executions per second (StartExecution calls from
     --clients keep-alive connections; cardsim runs each execution to completion before it answers,
     and every execution is checked SUCCEEDED at the end). moto_server is driven the same way but
     does not execute anything by default (its executions stay RUNNING): its figure is the cost of
     recording a start only.
  2. --parked executions parked in a one-hour Wait (cardsim): RSS before and after, and the wall
     time of POST /_sim/clock {"advance":"PT1H"} that wakes and finishes them all.
  3. A Map over --map-items items (inline, Pass per item): wall time of the StartExecution that runs
     it to completion, and the number of history events.

Usage: python3 tests/bench/bench_sfn.py [--bin build/cardsim] [--executions 5000] [--parked 10000]
       [--map-items 10000] [--clients 8] [--no-moto]
Servers are stopped by PID (SIGTERM, then SIGKILL), also on failure.
"""
import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from cardsim_process import CardsimProcess  # noqa: E402

from bench_support import MotoServer, rss_kib

ROLE = "arn:aws:iam::123456789012:role/bench"
CHAIN = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                               "B": {"Type": "Pass", "Next": "C"},
                                               "C": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "Next": "P"},
                                              "P": {"Type": "Pass", "End": True}}})
MAP = json.dumps({"StartAt": "M", "States": {"M": {
    "Type": "Map", "ItemsPath": "$.items",
    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
    "ResultSelector": {"count.$": "States.ArrayLength($)"}, "End": True}}})


class Client:
    """One keep-alive connection speaking the Step Functions JSON 1.0 protocol."""

    def __init__(self, port, timeout=600):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, op, body):
        self.conn.request("POST", "/", body=json.dumps(body), headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions." + op,
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20270101/us-east-1/states/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError("%s -> %d %s" % (op, r.status, data[:300]))
        return json.loads(data) if data else {}

    def close(self):
        self.conn.close()


def run_parallel(port, total, clients, fn):
    """Calls fn(client, i) for i in range(total) from `clients` threads; returns elapsed seconds."""
    counter = iter(range(total))
    lock = threading.Lock()
    errors = []

    def worker():
        c = Client(port)
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                fn(c, i)
        except Exception as e:  # reported after the run
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return elapsed


def count_status(port, machine, status):
    c = Client(port)
    n, token = 0, None
    while True:
        body = {"stateMachineArn": machine, "statusFilter": status, "maxResults": 1000}
        if token:
            body["nextToken"] = token
        page = c.call("ListExecutions", body)
        n += len(page["executions"])
        token = page.get("nextToken")
        if not token:
            break
    c.close()
    return n


def pass_chain(port, name, executions, clients):
    c = Client(port)
    arn = c.call("CreateStateMachine", {"name": name, "definition": CHAIN, "roleArn": ROLE})["stateMachineArn"]
    c.close()
    elapsed = run_parallel(port, executions, clients,
                           lambda cl, i: cl.call("StartExecution", {"stateMachineArn": arn, "input": '{"i": %d}' % i}))
    return arn, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("CARDSIM_BIN", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "cardsim")))
    ap.add_argument("--executions", type=int, default=5000)
    ap.add_argument("--parked", type=int, default=10000)
    ap.add_argument("--map-items", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args()
    os.environ["CARDSIM_BIN"] = args.bin
    import cardsim_process
    cardsim_process.BIN = args.bin

    data_dir = tempfile.mkdtemp(prefix="cardsim-bench-sfn-")
    sim = moto = None
    rows = []
    try:
        sim = CardsimProcess("--clock", "virtual", "--log-level", "warn", data_dir=data_dir, start_timeout=30).start()
        port, pid = sim.ports["aws"], sim.proc.pid

        # 1. Pass chain
        arn, elapsed = pass_chain(port, "chain", args.executions, args.clients)
        ok = count_status(port, arn, "SUCCEEDED")
        rows.append(("cardsim: 3-state Pass chain, started and completed", "%.0f exec/s" % (args.executions / elapsed),
                     "%d executions in %.2f s, %d SUCCEEDED, %d clients" % (args.executions, elapsed, ok, args.clients)))
        if not args.no_moto:
            moto = MotoServer()
            marn, melapsed = pass_chain(moto.port, "chain", args.executions, args.clients)
            mrun = count_status(moto.port, marn, "RUNNING")
            msucc = count_status(moto.port, marn, "SUCCEEDED")
            rows.append(("moto_server: same chain, StartExecution only", "%.0f exec/s" % (args.executions / melapsed),
                         "%d starts in %.2f s; %d RUNNING, %d SUCCEEDED (moto does not execute by default)"
                         % (args.executions, melapsed, mrun, msucc)))
            moto.stop()
            moto = None

        # 2. Parked in a one-hour Wait
        rss0 = rss_kib(pid)
        c = Client(port)
        warn = c.call("CreateStateMachine", {"name": "parked", "definition": WAIT, "roleArn": ROLE})["stateMachineArn"]
        c.close()
        elapsed = run_parallel(port, args.parked, args.clients,
                               lambda cl, i: cl.call("StartExecution", {"stateMachineArn": warn}))
        time.sleep(0.5)
        rss1 = rss_kib(pid)
        running = count_status(port, warn, "RUNNING")
        t0 = time.perf_counter()
        status, body = sim.json("POST", "/_sim/clock", {"advance": "PT1H"})
        advance_s = time.perf_counter() - t0
        assert status == 200, body
        done = count_status(port, warn, "SUCCEEDED")
        rss2 = rss_kib(pid)
        rows.append(("cardsim: executions parked in a 1 h Wait", "%d RUNNING" % running,
                     "started in %.2f s (%.0f/s)" % (elapsed, args.parked / elapsed)))
        rows.append(("  RSS before / parked / after", "%.1f / %.1f / %.1f MiB" % (rss0 / 1024, rss1 / 1024, rss2 / 1024),
                     "%.2f KiB per parked execution" % ((rss1 - rss0) / max(1, args.parked))))
        rows.append(("  virtual clock +1 h finishes them", "%.2f s wall" % advance_s, "%d SUCCEEDED" % done))

        # 3. Map over N items
        c = Client(port)
        marn = c.call("CreateStateMachine", {"name": "map", "definition": MAP, "roleArn": ROLE})["stateMachineArn"]
        t0 = time.perf_counter()
        ex = c.call("StartExecution", {"stateMachineArn": marn, "input": json.dumps({"items": list(range(args.map_items))})})
        map_s = time.perf_counter() - t0
        d = c.call("DescribeExecution", {"executionArn": ex["executionArn"]})
        events, token = 0, None
        while True:
            body = {"executionArn": ex["executionArn"], "maxResults": 1000, "includeExecutionData": False}
            if token:
                body["nextToken"] = token
            page = c.call("GetExecutionHistory", body)
            events += len(page["events"])
            token = page.get("nextToken")
            if not token:
                break
        c.close()
        rows.append(("cardsim: Map over %d items" % args.map_items, "%.2f s" % map_s,
                     "status %s, output %s, %d history events" % (d["status"], d.get("output"), events)))
    finally:
        if moto:
            moto.stop()
        if sim:
            sim.__exit__(None, None, None)
        shutil.rmtree(data_dir, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print()
    for name, figure, note in rows:
        print("%-*s  %-24s %s" % (width, name, figure, note))


if __name__ == "__main__":
    main()
