"""Shared helpers for the EventBridge, Scheduler and Lambda protocol tests (boto3 against
`cardsim serve --clock virtual`)."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from cardsim_process import CardsimProcess  # noqa: E402,F401

for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
    os.environ.setdefault(k, v)

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = "arn:aws:iam::000000000000:role/cardsim"


def client(sim, service):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url="http://127.0.0.1:%d" % sim.ports["aws"], region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))


class VirtualSimCase(unittest.TestCase):
    """One `cardsim serve --clock virtual` per test class (virtual time starts at
    2027-01-01T00:00:00Z), with a boto3 client per entry of `clients` (attribute name -> service)."""

    clients = {"sqs": "sqs"}

    @classmethod
    def setUpClass(cls):
        cls.sim = CardsimProcess("--clock", "virtual").start()
        for attribute, service in cls.clients.items():
            setattr(cls, attribute, client(cls.sim, service))

    @classmethod
    def tearDownClass(cls):
        cls.sim.__exit__(None, None, None)

    def queue(self, name):
        return self.sqs.create_queue(QueueName=name)["QueueUrl"]


def advance(sim, duration):
    status, body = sim.json("POST", "/_sim/clock", {"advance": duration})
    assert status == 200, body
    return body


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


def function_arn(name):
    return "arn:aws:lambda:%s:%s:function:%s" % (REGION, ACCOUNT, name)


def drain(sqs, url, expect=None, timeout=5.0):
    """Every message of the queue (received and deleted); waits up to `timeout` real seconds for
    `expect` messages when given (in-process deliveries finish on the loop, not in this call)."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        for m in r.get("Messages", []):
            out.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if r.get("Messages"):
            continue
        if expect is None or len(out) >= expect or time.monotonic() > deadline:
            return out
        time.sleep(0.02)


def invocations(sim, name, expect=None, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        status, body = sim.json("GET", "/_sim/functions/%s/invocations" % name)
        assert status == 200, body
        got = body["invocations"]
        if expect is None or len(got) >= expect or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def pass_machine():
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
