"""Durability: send, receive (in flight), kill -9, restart on the same --data-dir. Every
acknowledged message is still there and the in-flight one reappears after its visibility deadline."""
import os
import shutil
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sqs_support import CardsimProcess, advance, boto3_client, inspect  # noqa: E402


class SqsRestart(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cardsim-sqs-restart-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        return CardsimProcess("--clock", "virtual", data_dir=self.dir, ephemeral=False).start()

    def test_kill_9_loses_nothing_acknowledged(self):
        sim = self.start()
        try:
            sqs = boto3_client(sim)
            url = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "120"})["QueueUrl"]
            fifo = sqs.create_queue(QueueName="durable.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            sent = [sqs.send_message(QueueUrl=url, MessageBody="m%d" % i)["MessageId"] for i in range(50)]
            batch = sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": "b%d" % i, "MessageBody": "b%d" % i} for i in range(10)])
            sent += [e["MessageId"] for e in batch["Successful"]]
            sqs.send_message(QueueUrl=fifo, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="d")
            inflight = sqs.receive_message(QueueUrl=url)["Messages"][0]
            done = sqs.receive_message(QueueUrl=url, VisibilityTimeout=600)["Messages"][0]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=done["ReceiptHandle"])
            sent.remove(done["MessageId"])
            sim.signal(signal.SIGKILL)
            sim.wait(10)
        finally:
            sim.__exit__(None, None, None)

        sim = self.start()
        try:
            sqs = boto3_client(sim)
            url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
            stored = inspect(sim, url)
            self.assertEqual(sorted(m["MessageId"] for m in stored), sorted(sent))  # nothing lost, nothing undeleted
            states = {m["MessageId"]: m["State"] for m in stored}
            self.assertEqual(states[inflight["MessageId"]], "inflight")
            # The in-flight message keeps its deadline: not visible before it, visible after it.
            seen = set()
            while True:
                r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3600)
                if "Messages" not in r:
                    break
                seen |= {m["MessageId"] for m in r["Messages"]}
            self.assertNotIn(inflight["MessageId"], seen)
            self.assertEqual(len(seen), len(sent) - 1)
            advance(sim, "PT120S")
            again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
            self.assertEqual(again["MessageId"], inflight["MessageId"])
            self.assertEqual(again["Attributes"]["ApproximateReceiveCount"], "2")
            # The FIFO deduplication window survived the crash too.
            fifo = sqs.get_queue_url(QueueName="durable.fifo")["QueueUrl"]
            sqs.send_message(QueueUrl=fifo, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="d")
            self.assertEqual(len(inspect(sim, fifo)), 1)
        finally:
            sim.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main()
