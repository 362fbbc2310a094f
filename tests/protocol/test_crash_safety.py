"""Crash safety (issue 11): `cardsim serve` is killed with SIGKILL in the middle of mixed load (SQS
sends and receive+deletes, S3 single puts and multipart uploads, Step Functions executions parked
in a Wait, platform ATM repayments and repayment QR codes), restarted on the same --data-dir, and
checked: every acknowledged message is there (at least once) unless its deletion was acknowledged,
every acknowledged object is intact byte for byte, every acknowledged execution is still there and
runs to its end once the virtual clock moves, every acknowledged repayment is in the member's list
exactly once (resent callbacks included) and the money invariants (GET /_sim/invariants) hold.

Repayments: the fakes live in memory and start afresh at every restart (their ids too: the ATM's
numbering restarts at AT000000000001, the processor's at CA0000000001), so the test plays the ATM
itself: it sends the signed callback `POST /ext/v1/atm/repayments` (X-Cardsim-Signature, the atm
secret) with ids unique across rounds, and a 200 is the platform's acknowledgement. Every fourth
callback resends one acknowledged earlier (a duplicate must be answered 200 and ignored). The
members and their cards are created once, before the first kill; after a restart the follow-up's
credit restore at the (forgotten) processor account keeps failing and retrying, which the
invariants must tolerate.

The same data directory goes through every kill point, and each restart re-checks everything
acknowledged in earlier rounds too. Kill points: 10 by default (each a random moment 0.2-1.2 s into
the load, seeded); more with CARDSIM_CRASH_KILL_POINTS=N or
`python3 tests/protocol/test_crash_safety.py --kill-points N`. The count tried is printed."""
import collections
import hashlib
import hmac
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import unittest

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from cardsim_process import CardsimProcess  # noqa: E402
from test_platform_money import Platform  # noqa: E402

KILL_POINTS = int(os.environ.get("CARDSIM_CRASH_KILL_POINTS", "10"))
ROLE = "arn:aws:iam::000000000000:role/cardsim"
WAIT_MACHINE = json.dumps({"StartAt": "Wait", "States": {
    "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
    "Done": {"Type": "Pass", "Result": "done", "ResultPath": "$.result", "End": True}}})
PART = 5 * 1024 * 1024  # S3's smallest part but the last
ATM_SECRET = b"cardsim-atm-callback-secret"  # --ext-secret atm (default)
MEMBERS = 3


def client(sim, service):
    return boto3.client(service, endpoint_url="http://127.0.0.1:%d" % sim.ports["aws"], region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10))


class Acknowledged:
    """What the server acknowledged, across every round (written by the load threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}        # queue url -> set of bodies
        self.deleted = {}     # queue url -> set of bodies whose DeleteMessage was acknowledged
        self.objects = {}     # key -> sha256 hex
        self.executions = []  # execution arns
        self.repayments = {}  # member id -> {atm_txn_id: amount}
        self.duplicates = 0   # resent callbacks answered as duplicates
        self.qr_codes = 0     # repayment QR codes issued
        self.refused = []     # platform answers that were neither an acknowledgement nor a crash

    def add(self, kind, *item):
        with self.lock:
            if kind == "sent":
                self.sent.setdefault(item[0], set()).add(item[1])
            elif kind == "deleted":
                self.deleted.setdefault(item[0], set()).add(item[1])
            elif kind == "object":
                self.objects[item[0]] = item[1]
            elif kind == "repayment":
                self.repayments.setdefault(item[0], {})[item[1]] = item[2]
            elif kind == "duplicate":
                self.duplicates += 1
            elif kind == "qr":
                self.qr_codes += 1
            elif kind == "refused":
                self.refused.append(item[0])
            else:
                self.executions.append(item[0])


class CrashSafety(unittest.TestCase):
    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="cardsim-crash-")

    def tearDown(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def start(self):
        return CardsimProcess("--clock", "virtual", "--start-time", "2027-01-01T00:00:00Z",
                              data_dir=self.data_dir).start()

    # --- load -------------------------------------------------------------------------------------

    def load(self, sim, round_no, ack, stop, machine, members):
        rng = random.Random(round_no)
        url = client(sim, "sqs").create_queue(QueueName="crash-%d" % round_no,
                                              Attributes={"VisibilityTimeout": "30"})["QueueUrl"]

        def guarded(body):
            def run():
                n = 0
                while not stop.is_set():
                    try:
                        body(n)
                    except Exception:  # the server died mid-request: not acknowledged
                        if stop.is_set():
                            return
                        time.sleep(0.01)
                    n += 1
            return threading.Thread(target=run, daemon=True)

        sqs_send, sqs_recv, s3, s3m, sfn = (client(sim, s) for s in ("sqs", "sqs", "s3", "s3", "stepfunctions"))

        def send(n):
            body = "r%d-m%d" % (round_no, n)
            sqs_send.send_message(QueueUrl=url, MessageBody=body)
            ack.add("sent", url, body)

        def receive_and_delete(n):
            for m in sqs_recv.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                sqs_recv.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                ack.add("deleted", url, m["Body"])

        def put(n):
            key = "r%d/single-%d" % (round_no, n)
            data = os.urandom(rng.choice([0, 1, 1000, 70_000, 300_000]))
            s3.put_object(Bucket="crash", Key=key, Body=data)
            ack.add("object", key, hashlib.sha256(data).hexdigest())

        def multipart(n):
            key = "r%d/multi-%d" % (round_no, n)
            parts = [os.urandom(PART), os.urandom(rng.randint(1, 100_000))]
            upload = s3m.create_multipart_upload(Bucket="crash", Key=key)["UploadId"]
            done = []
            for number, data in enumerate(parts, 1):
                etag = s3m.upload_part(Bucket="crash", Key=key, UploadId=upload, PartNumber=number, Body=data)["ETag"]
                done.append({"PartNumber": number, "ETag": etag})
            s3m.complete_multipart_upload(Bucket="crash", Key=key, UploadId=upload, MultipartUpload={"Parts": done})
            ack.add("object", key, hashlib.sha256(b"".join(parts)).hexdigest())

        def execute(n):
            arn = sfn.start_execution(stateMachineArn=machine, name="r%d-e%d" % (round_no, n), input='{"n": %d}' % n)
            ack.add("execution", arn["executionArn"])

        api = Platform(sim)

        def atm_callback(n):
            m = members[n % len(members)]
            acknowledged = sorted(ack.repayments.get(m["member_id"], {}).items())
            if n % 4 == 3 and acknowledged:
                txn, amount = rng.choice(acknowledged)  # the ATM did not hear the answer: it resends
            else:
                txn, amount = "CR%d-%d" % (round_no, n), 1000 * (1 + n % 7)
            body = json.dumps({"atm_txn_id": txn, "member_ref": m["member_id"], "amount": amount,
                               "store_code": "S-CRASH", "received_at": "2027-01-01T00:00:00Z"}).encode()
            signature = "sha256=" + hmac.new(ATM_SECRET, body, hashlib.sha256).hexdigest()
            status, out = api.call("POST", "/ext/v1/atm/repayments", body,
                                   headers={"X-Cardsim-Signature": signature, "Content-Type": "application/json"})
            if status != 200:
                ack.add("refused", "callback %s: %s %s" % (txn, status, out))
            elif out["duplicate"]:
                ack.add("duplicate")
            else:
                ack.add("repayment", m["member_id"], txn, amount)

        def issue_qr(n):
            status, out = api.call("POST", "/app/v1/repayments/qr", {"amount": 1000 * (1 + n % 9)},
                                   token=members[n % len(members)]["token"])
            ack.add("qr") if status == 201 else ack.add("refused", "qr: %s %s" % (status, out))

        return url, [guarded(f) for f in (send, send, receive_and_delete, put, multipart, execute, atm_callback,
                                          issue_qr)]

    # --- checks -----------------------------------------------------------------------------------

    def verify(self, sim, ack):
        s3, sfn, sqs = client(sim, "s3"), client(sim, "stepfunctions"), client(sim, "sqs")
        for key, digest in ack.objects.items():
            data = s3.get_object(Bucket="crash", Key=key)["Body"].read()
            self.assertEqual(hashlib.sha256(data).hexdigest(), digest, "object %s changed after the crash" % key)
        for arn in ack.executions:
            self.assertIn(sfn.describe_execution(executionArn=arn)["status"], ("RUNNING", "SUCCEEDED"), arn)
        # Messages received but not deleted come back after their visibility timeout.
        sim.json("POST", "/_sim/clock", {"advance": "PT2H"})
        for arn in ack.executions:
            d = sfn.describe_execution(executionArn=arn)
            self.assertEqual(d["status"], "SUCCEEDED", "execution %s did not resume: %s" % (arn, d))
            self.assertEqual(json.loads(d["output"])["result"], "done")
        for url, sent in ack.sent.items():
            missing = sent - ack.deleted.get(url, set()) - self.drain(sqs, url, ack)
            self.assertEqual(missing, set(), "acknowledged messages lost in %s" % url)

    def verify_repayments(self, sim, ack, members):
        """Every acknowledged repayment listed exactly once with its amount; the money invariants hold.
        Signs the members in again (their tokens expire after 24 h of virtual time)."""
        api = Platform(sim)
        for m in members:
            api.fresh(m)
            status, out = api.call("GET", "/app/v1/repayments", token=m["token"])
            self.assertEqual(status, 200, out)
            listed = collections.Counter((r["atm_txn_id"], r["amount"]) for r in out["repayments"])
            self.assertEqual([k for k, n in listed.items() if n > 1], [], "a repayment recorded twice")
            lost = [t for t in ack.repayments.get(m["member_id"], {}).items() if listed[t] != 1]
            self.assertEqual(lost, [], "acknowledged repayments lost for %s" % m["member_id"])
        status, inv = api.invariants()
        self.assertEqual(status, 200, inv)
        self.assertTrue(inv["ok"], json.dumps(inv["violations"], ensure_ascii=False))
        self.assertEqual(ack.refused, [])

    def drain(self, sqs, url, ack):
        """Receives and deletes everything in the queue; returns the bodies."""
        seen = set()
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return seen
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
            for m in got:
                seen.add(m["Body"])
                ack.add("deleted", url, m["Body"])

    def test_nothing_acknowledged_is_lost_across_kill_points(self):
        ack = Acknowledged()
        rng = random.Random(20270101)
        sim = self.start()
        try:
            client(sim, "s3").create_bucket(Bucket="crash")
            machine = client(sim, "stepfunctions").create_state_machine(
                name="crash-wait", definition=WAIT_MACHINE, roleArn=ROLE)["stateMachineArn"]
            members = [Platform(sim).member_with_card() for _ in range(MEMBERS)]
            for round_no in range(KILL_POINTS):
                stop = threading.Event()
                _, threads = self.load(sim, round_no, ack, stop, machine, members)
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.2, 1.2))
                sim.kill()  # SIGKILL mid-load: no flush, no goodbye
                stop.set()
                for t in threads:
                    t.join(15)
                sim.__exit__(None, None, None)
                sim = self.start()
                self.verify_repayments(sim, ack, members)  # as the crash left them
                self.verify(sim, ack)
                self.verify_repayments(sim, ack, members)  # and with the follow-ups run on
            counts = (KILL_POINTS, sum(map(len, ack.sent.values())), len(ack.objects), len(ack.executions),
                      sum(map(len, ack.repayments.values())), ack.duplicates, ack.qr_codes)
            print("\ncrash safety: %d kill points, nothing lost: %d messages, %d objects, %d executions, "
                  "%d repayments (%d resent callbacks ignored), %d QR codes issued" % counts, file=sys.stderr)
            for n in counts[1:]:
                self.assertGreater(n, 0)
        finally:
            sim.__exit__(None, None, None)


if __name__ == "__main__":
    if "--kill-points" in sys.argv:
        i = sys.argv.index("--kill-points")
        KILL_POINTS = int(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    unittest.main()
