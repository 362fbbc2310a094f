"""Shared set-up for the S3 protocol tests: a running cardsim and boto3 clients bound to it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from cardsim_process import CardsimProcess  # noqa: E402,F401

ACCESS_KEY = "test"
SECRET_KEY = "test"
REGION = "us-east-1"


def endpoint(proc):
    return "http://127.0.0.1:%d" % proc.ports["aws"]


def client(proc, access_key=ACCESS_KEY, secret_key=SECRET_KEY, **config):
    return boto3.client(
        "s3",
        endpoint_url=endpoint(proc),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}, **config),
    )
