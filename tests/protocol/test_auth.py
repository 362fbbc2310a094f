"""Access control at the AWS edge (issue 11): `--auth enforce` verifies SigV4 against the configured
credentials and evaluates the principal's IAM policies; `--auth off` accepts anything.
Real boto3 clients for S3, SQS (JSON), Step Functions and EventBridge; SQS's query protocol and
unsigned requests are sent raw (signed with botocore's SigV4Auth where they must be signed)."""
import base64
import binascii
import datetime
import hashlib
import hmac
import http.client
import json
import os
import sys
import tempfile
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from cardsim_process import CardsimProcess  # noqa: E402

REGION = "us-east-1"
INFRA = ("test", "test")
APP = ("app-team", "app-team-secret")
PASS_MACHINE = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
ROLE = "arn:aws:iam::000000000000:role/cardsim"


def iso(delta=datetime.timedelta()):
    return (datetime.datetime.now(datetime.timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def client(proc, service, creds, **config):
    return boto3.client(service, endpoint_url="http://127.0.0.1:%d" % proc.ports["aws"],
                        aws_access_key_id=creds[0], aws_secret_access_key=creds[1], region_name=REGION,
                        config=Config(retries={"max_attempts": 1}, **config))


def error_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an error")


def error_message(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"].get("Message", "")
    raise AssertionError("expected an error")


def signed_query(proc, creds, params):
    """An SQS query-protocol POST signed with botocore's SigV4 (as older SDKs send them)."""
    url = "http://127.0.0.1:%d/" % proc.ports["aws"]
    body = urllib.parse.urlencode(dict(params, Version="2012-11-05"))
    req = AWSRequest(method="POST", url=url, data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(*creds), "sqs", REGION).add_auth(req)
    return proc.request("POST", "/", body=body.encode(), headers=dict(req.headers.items()))


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def streaming_put(proc, creds, path, payload, chunk_size=65536, trailer=None, tamper=None, query=""):
    """A PUT with a signed aws-chunked body, signed here independently of botocore and cardsim
    (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html): STREAMING-AWS4-HMAC-SHA256-PAYLOAD,
    or with `trailer` ((name, value)) the -TRAILER variant. `tamper(chunks)` may alter the encoded chunks
    (a list of (size line, data)) and `tamper` on the trailer signature ("trailer-signature") after signing."""
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    scope = "%s/%s/s3/aws4_request" % (date, REGION)
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    host = "127.0.0.1:%d" % proc.ports["aws"]
    headers = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": mode,
               "content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload))}
    if trailer:
        headers["x-amz-trailer"] = trailer[0]
    names = sorted(headers)
    canonical = "\n".join(["PUT", path, query, "".join("%s:%s\n" % (n, headers[n]) for n in names),
                            ";".join(names), mode])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + creds[1]).encode(), date), REGION), "s3"), "aws4_request")
    to_sign = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest())
    previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        creds[0], scope, ";".join(names), previous)
    empty = hashlib.sha256(b"").hexdigest()
    chunks = []
    pieces = [payload[i:i + chunk_size] for i in range(0, len(payload), chunk_size)] + [b""]
    for piece in pieces:
        sts = "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s" % (amz_date, scope, previous, empty,
                                                                hashlib.sha256(piece).hexdigest())
        previous = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        chunks.append(["%x;chunk-signature=%s" % (len(piece), previous), piece])
    if tamper:
        tamper(chunks)
    body = b"".join(line.encode() + b"\r\n" + data + (b"\r\n" if data else b"") for line, data in chunks)
    if trailer:
        lines = "%s:%s\n" % trailer
        sts = "AWS4-HMAC-SHA256-TRAILER\n%s\n%s\n%s\n%s" % (amz_date, scope, previous,
                                                             hashlib.sha256(lines.encode()).hexdigest())
        signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if tamper:
            signature = "0" * 64
        body += ("%s:%s\r\nx-amz-trailer-signature:%s\r\n" % (trailer[0], trailer[1], signature)).encode()
    body += b"\r\n"
    del headers["host"]
    target = path + ("?" + query if query else "")
    return proc.request("PUT", target, body=body, headers=headers)


def raw_get(proc, path_and_query):
    return proc.request("GET", path_and_query)


class AuthEnforceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Virtual clock at wall time: boto3 signs with the wall clock, and the skew check is against it.
        cls.proc = CardsimProcess("--auth", "enforce", "--clock", "virtual", "--start-time", iso()).start()
        p = cls.proc
        cls.infra = {s: client(p, s, INFRA) for s in ["s3", "sqs", "stepfunctions", "events"]}
        cls.app = {s: client(p, s, APP) for s in ["s3", "sqs", "stepfunctions", "events"]}
        cls.infra["s3"].create_bucket(Bucket="batch")
        cls.queue_url = cls.infra["sqs"].create_queue(QueueName="app-jobs")["QueueUrl"]
        cls.machine = cls.infra["stepfunctions"].create_state_machine(
            name="statement-batch", definition=PASS_MACHINE, roleArn=ROLE)["stateMachineArn"]

    @classmethod
    def tearDownClass(cls):
        cls.proc.__exit__(None, None, None)

    # --- good credentials, both teams ------------------------------------------------------------

    def test_infra_team_manages_everything(self):
        s3, sqs, sfn = self.infra["s3"], self.infra["sqs"], self.infra["stepfunctions"]
        s3.create_bucket(Bucket="infra-owned")
        s3.put_object(Bucket="infra-owned", Key="k", Body=b"x")
        s3.delete_object(Bucket="infra-owned", Key="k")
        s3.delete_bucket(Bucket="infra-owned")
        url = sqs.create_queue(QueueName="infra-q")["QueueUrl"]
        sqs.delete_queue(QueueUrl=url)
        arn = sfn.create_state_machine(name="infra-m", definition=PASS_MACHINE, roleArn=ROLE)["stateMachineArn"]
        sfn.delete_state_machine(stateMachineArn=arn)
        self.infra["events"].put_rule(Name="infra-rule", ScheduleExpression="rate(1 day)")

    def test_app_team_runs_its_pipelines(self):
        s3, sqs, sfn = self.app["s3"], self.app["sqs"], self.app["stepfunctions"]
        s3.put_object(Bucket="batch", Key="cashflow/2027-01-01.csv", Body=b"1,2,3")
        self.assertEqual(s3.get_object(Bucket="batch", Key="cashflow/2027-01-01.csv")["Body"].read(), b"1,2,3")
        s3.head_object(Bucket="batch", Key="cashflow/2027-01-01.csv")
        self.assertEqual([o["Key"] for o in s3.list_objects_v2(Bucket="batch", Prefix="cashflow/")["Contents"]],
                         ["cashflow/2027-01-01.csv"])
        self.assertIn("batch", [b["Name"] for b in s3.list_buckets()["Buckets"]])
        sqs.send_message(QueueUrl=self.queue_url, MessageBody="job")
        sqs.send_message_batch(QueueUrl=self.queue_url, Entries=[{"Id": "1", "MessageBody": "b"}])
        got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)["Messages"]
        for m in got:
            sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])
        sqs.list_queues()
        execution = sfn.start_execution(stateMachineArn=self.machine, input="{}")["executionArn"]
        sfn.describe_execution(executionArn=execution)
        sfn.update_state_machine(stateMachineArn=self.machine, definition=PASS_MACHINE)
        sfn.list_state_machines()
        s3.delete_object(Bucket="batch", Key="cashflow/2027-01-01.csv")

    def test_query_protocol_signed_requests_work(self):
        status, _, body = signed_query(self.proc, APP, {"Action": "SendMessage", "QueueUrl": self.queue_url,
                                                         "MessageBody": "via query"})
        self.assertEqual(status, 200, body)

    # --- policies: AccessDenied in each service's shape ------------------------------------------

    def test_app_team_cannot_create_or_delete_buckets(self):
        s3 = self.app["s3"]
        self.assertEqual(error_of(s3.create_bucket, Bucket="app-made"), ("AccessDenied", 403))
        self.assertEqual(error_of(s3.delete_bucket, Bucket="batch"), ("AccessDenied", 403))
        message = error_message(s3.create_bucket, Bucket="app-made")
        self.assertIn("s3:CreateBucket", message)
        self.assertIn("DenyResourceAdmin", message)
        self.assertIn("arn:aws:s3:::app-made", message)
        self.infra["s3"].head_bucket(Bucket="batch")  # still there

    def test_app_team_cannot_create_or_delete_queues_json_and_query(self):
        sqs = self.app["sqs"]
        self.assertEqual(error_of(sqs.create_queue, QueueName="app-made"), ("AccessDenied", 403))
        self.assertEqual(error_of(sqs.delete_queue, QueueUrl=self.queue_url), ("AccessDenied", 403))
        status, _, body = signed_query(self.proc, APP, {"Action": "CreateQueue", "QueueName": "app-made"})
        self.assertEqual(status, 403)
        err = ET.fromstring(body).find("{*}Error")
        self.assertEqual(err.findtext("{*}Code"), "AccessDenied")
        self.assertIn("sqs:CreateQueue", err.findtext("{*}Message"))
        self.assertEqual(error_of(sqs.set_queue_attributes, QueueUrl=self.queue_url,
                                  Attributes={"Policy": "{}"}), ("AccessDenied", 403))

    def test_app_team_cannot_create_state_machines_or_rules(self):
        sfn, events = self.app["stepfunctions"], self.app["events"]
        code, _ = error_of(sfn.create_state_machine, name="app-m", definition=PASS_MACHINE, roleArn=ROLE)
        self.assertEqual(code, "AccessDeniedException")
        self.assertIn("denied by default", error_message(sfn.delete_state_machine, stateMachineArn=self.machine))
        self.assertEqual(error_of(events.put_rule, Name="app-rule", ScheduleExpression="rate(1 day)")[0],
                         "AccessDeniedException")
        self.assertIn("DenyResourceAdmin", error_message(events.delete_rule, Name="infra-rule"))

    # --- authentication errors -------------------------------------------------------------------

    def test_wrong_secret_is_signature_does_not_match(self):
        for service, call, kwargs in [("s3", "list_buckets", {}), ("sqs", "list_queues", {}),
                                      ("stepfunctions", "list_state_machines", {})]:
            c = client(self.proc, service, ("app-team", "wrong-secret"))
            self.assertEqual(error_of(getattr(c, call), **kwargs)[0], "SignatureDoesNotMatch", service)

    def test_unknown_access_key(self):
        ghost = ("AKIDGHOST", "whatever")
        self.assertEqual(error_of(client(self.proc, "s3", ghost).list_buckets), ("InvalidAccessKeyId", 403))
        self.assertEqual(error_of(client(self.proc, "sqs", ghost).list_queues), ("InvalidClientTokenId", 403))
        self.assertEqual(error_of(client(self.proc, "stepfunctions", ghost).list_state_machines),
                         ("InvalidClientTokenId", 403))
        status, _, body = signed_query(self.proc, ghost, {"Action": "ListQueues"})
        self.assertEqual((status, ET.fromstring(body).find("{*}Error").findtext("{*}Code")),
                         (403, "InvalidClientTokenId"))

    def test_unsigned_requests_are_refused(self):
        status, _, body = raw_get(self.proc, "/batch?list-type=2")
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "AccessDenied"))
        status, _, body = self.proc.request("POST", "/", body=b"{}", headers={
            "X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 403)
        self.assertIn("MissingAuthenticationToken", json.loads(body)["__type"])

    def test_malformed_authorization_is_incomplete_signature(self):
        status, _, body = self.proc.request("POST", "/", body=b"{}", headers={
            "X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Date": "20270101T000000Z",
            "Authorization": "AWS4-HMAC-SHA256 Credential=app-team/20270101/us-east-1/sqs/aws4_request"})
        self.assertEqual(status, 400)
        self.assertIn("IncompleteSignature", json.loads(body)["__type"])

    def test_presigned_urls_signed_by_the_app_team(self):
        self.app["s3"].put_object(Bucket="batch", Key="presigned.txt", Body=b"shared")
        for version in ["s3v4", "s3"]:
            signer = client(self.proc, "s3", APP, signature_version=version)
            url = signer.generate_presigned_url("get_object", Params={"Bucket": "batch", "Key": "presigned.txt"},
                                                ExpiresIn=300)
            status, _, body = raw_get(self.proc, url.split(str(self.proc.ports["aws"]), 1)[1])
            self.assertEqual((status, body), (200, b"shared"), version)
        # The app team may not presign what it may not do.
        signer = client(self.proc, "s3", APP, signature_version="s3v4")
        url = signer.generate_presigned_url("delete_bucket", Params={"Bucket": "batch"}, ExpiresIn=300)
        status, _, body = self.proc.request("DELETE", url.split(str(self.proc.ports["aws"]), 1)[1])
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "AccessDenied"))
        bad = client(self.proc, "s3", ("app-team", "nope"), signature_version="s3v4")
        url = bad.generate_presigned_url("get_object", Params={"Bucket": "batch", "Key": "presigned.txt"})
        status, _, body = raw_get(self.proc, url.split(str(self.proc.ports["aws"]), 1)[1])
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "SignatureDoesNotMatch"))

    # --- aws-chunked uploads with chunk signatures -------------------------------------------------

    def test_signed_streaming_upload_is_verified_chunk_by_chunk(self):
        payload = os.urandom(150_000)  # three chunks and the final one
        status, _, body = streaming_put(self.proc, APP, "/batch/streamed.bin", payload)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.app["s3"].get_object(Bucket="batch", Key="streamed.bin")["Body"].read(), payload)

    def test_tampered_or_unsigned_chunks_are_refused_and_nothing_is_stored(self):
        def flip_a_byte(chunks):
            chunks[1][1] = b"X" + chunks[1][1][1:]

        def drop_a_signature(chunks):
            chunks[0][0] = chunks[0][0].split(";")[0]

        def wrong_final(chunks):
            chunks[-1][0] = "0;chunk-signature=" + "0" * 64

        def swap_chunks(chunks):
            chunks[0], chunks[1] = chunks[1], chunks[0]

        for tamper in [flip_a_byte, drop_a_signature, wrong_final, swap_chunks]:
            key = "tampered-%s.bin" % tamper.__name__
            status, _, body = streaming_put(self.proc, APP, "/batch/" + key, b"a" * 100_000, tamper=tamper)
            self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "SignatureDoesNotMatch"),
                             tamper.__name__)
            self.assertEqual(error_of(self.app["s3"].head_object, Bucket="batch", Key=key)[1], 404)
        # A wrong seed secret fails at the seed signature already.
        status, _, body = streaming_put(self.proc, ("app-team", "wrong"), "/batch/x.bin", b"abc")
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "SignatureDoesNotMatch"))

    def test_signed_trailer_variant_carries_a_verified_checksum(self):
        payload = b"statement line\n" * 5000
        crc = base64.b64encode(binascii.crc32(payload).to_bytes(4, "big")).decode()
        status, _, body = streaming_put(self.proc, APP, "/batch/trailer.bin", payload, chunk_size=8192,
                                        trailer=("x-amz-checksum-crc32", crc))
        self.assertEqual(status, 200, body)
        head = self.app["s3"].head_object(Bucket="batch", Key="trailer.bin", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumCRC32"], crc)
        status, _, body = streaming_put(self.proc, APP, "/batch/trailer-bad.bin", payload, chunk_size=8192,
                                        trailer=("x-amz-checksum-crc32", crc), tamper=lambda chunks: None)
        self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "SignatureDoesNotMatch"))

    def test_signed_streaming_upload_part(self):
        s3 = self.app["s3"]
        upload = s3.create_multipart_upload(Bucket="batch", Key="multi.bin")["UploadId"]
        parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]
        etags = []
        for number, part in enumerate(parts, 1):
            status, headers, body = streaming_put(self.proc, APP, "/batch/multi.bin", part,
                                                  query="partNumber=%d&uploadId=%s" % (number, upload))
            self.assertEqual(status, 200, body)
            etags.append({"PartNumber": number, "ETag": headers["etag"]})
        s3.complete_multipart_upload(Bucket="batch", Key="multi.bin", UploadId=upload,
                                     MultipartUpload={"Parts": etags})
        self.assertEqual(s3.get_object(Bucket="batch", Key="multi.bin")["Body"].read(), b"".join(parts))

    def test_control_plane_needs_no_credentials(self):
        status, _, _ = raw_get(self.proc, "/_sim/health")
        self.assertEqual(status, 200)


class AuthClockSkewTest(unittest.TestCase):
    """The server's (virtual) clock 20 minutes ahead of the signer's: outside AWS's 15 minutes."""

    def test_request_signed_20_minutes_away_is_refused(self):
        with CardsimProcess("--auth", "enforce", "--clock", "virtual",
                            "--start-time", iso(datetime.timedelta(minutes=20))) as proc:
            self.assertEqual(error_of(client(proc, "s3", INFRA).list_buckets), ("RequestTimeTooSkewed", 403))
            self.assertEqual(error_of(client(proc, "sqs", INFRA).list_queues), ("RequestExpired", 400))
            self.assertEqual(error_of(client(proc, "stepfunctions", INFRA).list_state_machines)[0],
                             "RequestExpired")

    def test_ten_minutes_is_within_tolerance(self):
        with CardsimProcess("--auth", "enforce", "--clock", "virtual",
                            "--start-time", iso(datetime.timedelta(minutes=-10))) as proc:
            client(proc, "s3", INFRA).list_buckets()
            client(proc, "sqs", APP).list_queues()


class AuthConfigurationTest(unittest.TestCase):
    """Credentials and policies replaced through the JSON config file and --iam-policies."""

    def test_configured_credentials_and_policies(self):
        with tempfile.TemporaryDirectory() as d:
            policies = os.path.join(d, "policies.json")
            with open(policies, "w") as f:
                json.dump({"ops": {"queues-read-only": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "ListOnly", "Effect": "Allow", "Action": "sqs:List*", "Resource": "*"}]}},
                    "infra-team": {"all": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}},
                    f)
            config = os.path.join(d, "config.json")
            with open(config, "w") as f:
                json.dump({"auth": "enforce", "aws-credential": {"ops-key": "ops:ops-secret",
                                                                  "root-key": "infra-team:root-secret"},
                           "iam-policies": policies}, f)
            with CardsimProcess("--config", config) as proc:
                ops = ("ops-key", "ops-secret")
                client(proc, "sqs", ops).list_queues()
                self.assertEqual(error_of(client(proc, "sqs", ops).create_queue, QueueName="q"),
                                 ("AccessDenied", 403))
                client(proc, "sqs", ("root-key", "root-secret")).create_queue(QueueName="q")
                # The defaults are replaced: test/test no longer exists.
                self.assertEqual(error_of(client(proc, "sqs", INFRA).list_queues), ("InvalidClientTokenId", 403))


class AuthOffTest(unittest.TestCase):
    """The default: any credentials and unsigned requests are accepted (S3 still checks signatures
    it is given, as it always did)."""

    def test_anything_goes(self):
        with CardsimProcess() as proc:
            anyone = ("whoever", "whatever")
            url = client(proc, "sqs", anyone).create_queue(QueueName="open")["QueueUrl"]
            client(proc, "sqs", anyone).send_message(QueueUrl=url, MessageBody="x")
            client(proc, "stepfunctions", anyone).create_state_machine(name="open", definition=PASS_MACHINE,
                                                                       roleArn=ROLE)
            client(proc, "s3", APP).create_bucket(Bucket="open")
            status, _, _ = proc.request("PUT", "/open/anonymous.txt", body=b"anon")
            self.assertEqual(status, 200)
            status, _, body = raw_get(proc, "/open/anonymous.txt")
            self.assertEqual((status, body), (200, b"anon"))
            # Chunk signatures from a known key are checked like the seed signature it is given.
            status, _, _ = streaming_put(proc, APP, "/open/streamed.bin", b"z" * 70_000)
            self.assertEqual(status, 200)

            def flip(chunks):
                chunks[0][1] = b"y" + chunks[0][1][1:]
            status, _, body = streaming_put(proc, APP, "/open/flipped.bin", b"z" * 70_000, tamper=flip)
            self.assertEqual((status, ET.fromstring(body).findtext("Code")), (403, "SignatureDoesNotMatch"))


if __name__ == "__main__":
    unittest.main()
