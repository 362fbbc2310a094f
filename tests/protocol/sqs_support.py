"""Shared helpers for the SQS protocol tests: a running cardsim and clients pointed at it."""
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from cardsim_process import CardsimProcess  # noqa: E402

ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
for k, v in ENV.items():
    os.environ.setdefault(k, v)


def boto3_client(sim):
    import boto3
    from botocore.config import Config
    return boto3.client("sqs", endpoint_url="http://127.0.0.1:%d" % sim.ports["aws"], region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def advance(sim, duration):
    status, body = sim.json("POST", "/_sim/clock", {"advance": duration})
    assert status == 200, body


def attributes_md5(attributes):
    """MD5OfMessageAttributes per the AWS developer guide, independently of the server's code."""
    buf = b""
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        for part in (name.encode(), data_type.encode()):
            buf += struct.pack(">I", len(part)) + part
        if data_type.startswith("Binary"):
            raw = value["BinaryValue"]
            buf += b"\x02" + struct.pack(">I", len(raw)) + raw
        else:
            raw = value["StringValue"].encode()
            buf += b"\x01" + struct.pack(">I", len(raw)) + raw
    return hashlib.md5(buf).hexdigest()


def inspect(sim, queue_url):
    status, _, data = sim.request("GET", "/_sim/sqs/messages?QueueUrl=" + queue_url)
    assert status == 200, data
    return json.loads(data)["Messages"]
