"""SQS through the aws CLI (`aws sqs ... --endpoint-url`), success and error paths."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sqs_support import ENV, CardsimProcess  # noqa: E402


class SqsCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = CardsimProcess("--clock", "virtual").start()
        cls.endpoint = "http://127.0.0.1:%d" % cls.sim.ports["aws"]

    @classmethod
    def tearDownClass(cls):
        cls.sim.__exit__(None, None, None)

    def aws(self, *args, ok=True):
        env = dict(os.environ, **ENV, AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
        p = subprocess.run(["aws", "--endpoint-url", self.endpoint, "--output", "json", "sqs", *args],
                           capture_output=True, text=True, env=env, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else {}
        self.assertNotEqual(p.returncode, 0, p.stdout)
        return p.stderr

    def test_create_send_receive_delete(self):
        url = self.aws("create-queue", "--queue-name", "cli-q", "--attributes", "VisibilityTimeout=20")["QueueUrl"]
        self.assertTrue(url.endswith("/000000000000/cli-q"))
        self.assertIn(url, self.aws("list-queues")["QueueUrls"])
        self.assertEqual(self.aws("get-queue-url", "--queue-name", "cli-q")["QueueUrl"], url)
        sent = self.aws("send-message", "--queue-url", url, "--message-body", "from the cli",
                        "--message-attributes", '{"k":{"DataType":"String","StringValue":"v"}}')
        self.assertIn("MessageId", sent)
        got = self.aws("receive-message", "--queue-url", url, "--attribute-names", "All",
                       "--message-attribute-names", "All")["Messages"]
        self.assertEqual(got[0]["Body"], "from the cli")
        self.assertEqual(got[0]["MessageAttributes"]["k"]["StringValue"], "v")
        self.aws("change-message-visibility", "--queue-url", url, "--receipt-handle", got[0]["ReceiptHandle"],
                 "--visibility-timeout", "0")
        again = self.aws("receive-message", "--queue-url", url)["Messages"][0]
        self.aws("delete-message", "--queue-url", url, "--receipt-handle", again["ReceiptHandle"])
        self.assertNotIn("Messages", self.aws("receive-message", "--queue-url", url))
        attrs = self.aws("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")
        self.aws("set-queue-attributes", "--queue-url", url, "--attributes", "DelaySeconds=5")
        self.aws("tag-queue", "--queue-url", url, "--tags", "team=cards")
        self.assertEqual(self.aws("list-queue-tags", "--queue-url", url)["Tags"], {"team": "cards"})
        self.aws("purge-queue", "--queue-url", url)
        self.aws("delete-queue", "--queue-url", url)

    def test_batches(self):
        url = self.aws("create-queue", "--queue-name", "cli-batch")["QueueUrl"]
        r = self.aws("send-message-batch", "--queue-url", url, "--entries",
                     json.dumps([{"Id": "a", "MessageBody": "1"}, {"Id": "b", "MessageBody": "2"}]))
        self.assertEqual(len(r["Successful"]), 2)
        msgs = self.aws("receive-message", "--queue-url", url, "--max-number-of-messages", "10")["Messages"]
        d = self.aws("delete-message-batch", "--queue-url", url, "--entries",
                     json.dumps([{"Id": "x%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]))
        self.assertEqual(len(d["Successful"]), len(msgs))

    def test_errors(self):
        err = self.aws("get-queue-url", "--queue-name", "cli-none", ok=False)
        self.assertIn("NonExistentQueue", err)
        err = self.aws("create-queue", "--queue-name", "bad name", ok=False)
        self.assertIn("InvalidParameterValue", err)
        url = self.aws("create-queue", "--queue-name", "cli-err")["QueueUrl"]
        err = self.aws("delete-message", "--queue-url", url, "--receipt-handle", "junk", ok=False)
        self.assertIn("ReceiptHandleIsInvalid", err)
        err = self.aws("receive-message", "--queue-url", url, "--max-number-of-messages", "20", ok=False)
        self.assertIn("InvalidParameterValue", err)


if __name__ == "__main__":
    unittest.main()
