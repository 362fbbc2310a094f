"""The cost of `--auth enforce` on SendMessage (README, "Access control"): SigV4 verification, the
operation's IAM action and resource, and policy evaluation for every request.

For each mode (`--auth off`, `--auth enforce`) a fresh `cardsim serve --ephemeral` (virtual clock at
wall time, so the 15-minute skew check passes) gets N SendMessage requests (JSON 1.0) pre-signed by
botocore as the app team, sent one after another over one keep-alive connection; req/s per round and
the median of the rounds are printed, with the difference per request in microseconds. Pre-signing
happens before the clock starts, so the figure is the server's cost plus a fixed client cost.
Standard library + botocore; servers on free loopback ports, stopped by PID. A figure, not a test.

    python3 tests/bench/bench_auth.py [--requests 5000] [--rounds 3] [--bin build/cardsim]
"""
import argparse
import datetime
import http.client
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

import cardsim_process  # noqa: E402
from cardsim_process import CardsimProcess  # noqa: E402

APP = Credentials("app-team", "app-team-secret")


def signed_sends(port, url, n):
    out = []
    for i in range(n):
        body = json.dumps({"QueueUrl": url, "MessageBody": "bench message %d" % i})
        req = AWSRequest(method="POST", url="http://127.0.0.1:%d/" % port, data=body, headers={
            "X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"})
        SigV4Auth(APP, "sqs", "us-east-1").add_auth(req)
        out.append((body.encode(), dict(req.headers.items())))
    return out


def run_round(port, requests):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    for body, headers in requests:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError("SendMessage answered %d" % resp.status)
    took = time.perf_counter() - start
    conn.close()
    return len(requests) / took


def prepare(sim):
    """Creates the queue (signed as the infra team); returns its URL."""
    port = sim.ports["aws"]
    body = json.dumps({"QueueName": "bench"})
    req = AWSRequest(method="POST", url="http://127.0.0.1:%d/" % port, data=body, headers={
        "X-Amz-Target": "AmazonSQS.CreateQueue", "Content-Type": "application/x-amz-json-1.0"})
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(req)
    status, _, data = sim.request("POST", "/", body=body.encode(), headers=dict(req.headers.items()))
    if status != 200:
        raise RuntimeError("CreateQueue answered %d: %s" % (status, data))
    return json.loads(data)["QueueUrl"]


def measure(args):
    """Both servers run side by side and the rounds alternate, so a shared machine's load swings
    hit both modes alike."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = {"off": [], "enforce": []}
    with CardsimProcess("--auth", "off", "--clock", "virtual", "--start-time", now) as off, \
            CardsimProcess("--auth", "enforce", "--clock", "virtual", "--start-time", now) as enforce:
        sims = {"off": off, "enforce": enforce}
        urls = {mode: prepare(sim) for mode, sim in sims.items()}
        for _ in range(args.rounds):
            for mode, sim in sims.items():
                port = sim.ports["aws"]
                results[mode].append(run_round(port, signed_sends(port, urls[mode], args.requests)))
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--bin", default=cardsim_process.BIN)
    args = p.parse_args()
    cardsim_process.BIN = args.bin
    results = measure(args)
    print("SendMessage over one keep-alive connection, %d pre-signed requests x %d rounds" %
          (args.requests, args.rounds))
    for mode, rates in results.items():
        print("  --auth %-8s median %8.0f req/s   rounds: %s" % (mode, statistics.median(rates),
                                                             ", ".join("%.0f" % r for r in rates)))
    off, enforce = statistics.median(results["off"]), statistics.median(results["enforce"])
    print("  cost of enforce: %.1f us a request (%.0f%% fewer req/s)" % ((1 / enforce - 1 / off) * 1e6,
                                                                       (1 - enforce / off) * 100))


if __name__ == "__main__":
    main()
