#!/usr/bin/env python3
"""Events and functions benchmark (cardsim only). Reports figures, asserts nothing about speed
(CONVENTIONS, "Tests"); not registered with ctest.

Figures
  1. SendMessage -> function start: an SQS event source mapping on cardsim-record; each message is
     sent with boto3 and the time until its event is visible at
     GET /_sim/functions/cardsim-record/invocations is measured (an upper bound: it includes the
     HTTP round trips of the check). Other emulators poll SQS for their mappings (LocalStack's
     poller waits about 1 s between empty receives), so their figure is ~0-1000 ms.
  2. Scheduled firings per second of virtual time: --rules EventBridge rules on rate(1 minute)
     with a function target; POST /_sim/clock {"advance": --advance} fires rules x minutes
     firings; figure = firings / wall seconds of the advance.
  3. The same with --rules EventBridge Scheduler schedules (rate(1 minute)): each firing also
     records its slot in events.db (one UPDATE, group-committed), so --durable shows that cost.

Usage: python3 tests/bench/bench_events.py [--bin build/cardsim] [--messages 500] [--rules 100]
       [--advance P1D] [--durable]
--durable runs on a fresh temporary --data-dir (SQLite files, as a user's serve) instead of
--ephemeral (in memory).
The server is stopped by PID (SIGTERM, then SIGKILL), also on failure.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protocol"))
from events_support import CardsimProcess, client, function_arn, queue_arn  # noqa: E402


def latency(sim, messages):
    sqs = client(sim, "sqs")
    fn = client(sim, "lambda")
    url = sqs.create_queue(QueueName="bench-esm")["QueueUrl"]
    fn.create_event_source_mapping(EventSourceArn=queue_arn("bench-esm"), FunctionName="cardsim-record", BatchSize=1)
    samples = []
    for i in range(messages):
        t0 = time.perf_counter()
        sqs.send_message(QueueUrl=url, MessageBody="m%d" % i)
        while True:
            _, body = sim.json("GET", "/_sim/functions/cardsim-record/invocations")
            inv = body["invocations"]
            if inv and inv[-1]["Records"][0]["body"] == "m%d" % i:
                break
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    q = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))]  # noqa: E731
    return {"n": len(samples), "p50_ms": round(q(0.50), 2), "p99_ms": round(q(0.99), 2),
            "mean_ms": round(statistics.mean(samples), 2), "max_ms": round(samples[-1], 2)}


def firings(sim, rules, advance):
    events = client(sim, "events")
    for i in range(rules):
        events.put_rule(Name="bench-%d" % i, ScheduleExpression="rate(1 minute)")
        events.put_targets(Rule="bench-%d" % i, Targets=[{"Id": "f", "Arn": function_arn("cardsim-echo")}])
    before = len(sim.json("GET", "/_sim/functions/cardsim-echo/invocations")[1]["invocations"])
    t0 = time.perf_counter()
    status, body = sim.json("POST", "/_sim/clock", {"advance": advance})
    wall = time.perf_counter() - t0
    assert status == 200, body
    minutes = {"P1D": 1440, "PT1H": 60, "P7D": 10080}.get(advance)
    total = rules * minutes if minutes else None
    after = len(sim.json("GET", "/_sim/functions/cardsim-echo/invocations")[1]["invocations"])
    return {"rules": rules, "advance": advance, "firings": total, "wall_s": round(wall, 3),
            "firings_per_s": round(total / wall) if total else None, "recorded_tail": after - before}


def schedule_firings(sim, schedules, advance):
    scheduler = client(sim, "scheduler")
    for i in range(schedules):
        scheduler.create_schedule(Name="bench-%d" % i, ScheduleExpression="rate(1 minute)",
                                  StartDate="2027-01-01T00:01:00Z", FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": function_arn("cardsim-echo"),
                                          "RoleArn": "arn:aws:iam::000000000000:role/cardsim"})
    t0 = time.perf_counter()
    status, body = sim.json("POST", "/_sim/clock", {"advance": advance})
    wall = time.perf_counter() - t0
    assert status == 200, body
    minutes = {"P1D": 1440, "PT1H": 60, "P7D": 10080}.get(advance)
    total = schedules * minutes
    return {"schedules": schedules, "advance": advance, "firings": total, "wall_s": round(wall, 3),
            "firings_per_s": round(total / wall)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("CARDSIM_BIN", "build/cardsim"))
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--rules", type=int, default=100)
    ap.add_argument("--advance", default="P1D", choices=["PT1H", "P1D", "P7D"])
    ap.add_argument("--durable", action="store_true", help="a temporary --data-dir instead of --ephemeral")
    args = ap.parse_args()
    os.environ["CARDSIM_BIN"] = os.path.abspath(args.bin)
    import cardsim_process
    cardsim_process.BIN = os.environ["CARDSIM_BIN"]
    data_dir = tempfile.mkdtemp(prefix="cardsim-bench-events-") if args.durable else None
    try:
        with CardsimProcess("--clock", "virtual", data_dir=data_dir) as sim:
            print("mode:", "durable (%s)" % data_dir if data_dir else "ephemeral")
            print("SendMessage -> function start (event source mapping, in-process):", latency(sim, args.messages))
            print("Scheduled firings (EventBridge rate(1 minute) rules, function target):",
                  firings(sim, args.rules, args.advance))
            print("Scheduled firings (Scheduler rate(1 minute) schedules, function target):",
                  schedule_firings(sim, args.rules, args.advance))
    finally:
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
