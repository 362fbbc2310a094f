"""SQS over the JSON 1.0 protocol with boto3 (what current SDKs send): every operation, success
and error paths, against the real `cardsim serve` on a virtual clock."""
import hashlib
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sqs_support import CardsimProcess, advance, attributes_md5, boto3_client, inspect  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402


class SqsJson(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = CardsimProcess("--clock", "virtual").start()
        cls.sqs = boto3_client(cls.sim)
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        cls.sim.__exit__(None, None, None)

    def queue(self, fifo=False, **attributes):
        SqsJson.counter += 1
        name = "q%d-%s" % (SqsJson.counter, self._testMethodName[5:30].replace("_", "-"))
        if fifo:
            name += ".fifo"
            attributes.setdefault("FifoQueue", "true")
        return self.sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]

    def assertError(self, code, fn, *args, status=None, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception.response)
        if status:
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)
        return cm.exception.response

    # --- queues ---------------------------------------------------------------------------------

    def test_create_get_url_list_and_delete(self):
        url = self.queue()
        host = "127.0.0.1:%d" % self.sim.ports["aws"]
        self.assertTrue(url.startswith("http://%s/000000000000/q" % host), url)
        name = url.rsplit("/", 1)[1]
        self.assertEqual(self.sqs.get_queue_url(QueueName=name)["QueueUrl"], url)
        self.assertIn(url, self.sqs.list_queues(QueueNamePrefix=name)["QueueUrls"])
        # Same attributes: idempotent; different: QueueAlreadyExists.
        self.assertEqual(self.sqs.create_queue(QueueName=name)["QueueUrl"], url)
        self.assertError("QueueAlreadyExists", self.sqs.create_queue, QueueName=name,
                         Attributes={"VisibilityTimeout": "7"})
        self.sqs.delete_queue(QueueUrl=url)
        self.assertError("AWS.SimpleQueueService.NonExistentQueue", self.sqs.get_queue_url, QueueName=name)
        self.assertError("AWS.SimpleQueueService.NonExistentQueue", self.sqs.delete_queue, QueueUrl=url)

    def test_nonexistent_queue_is_a_modeled_exception_with_query_error_header(self):
        resp = self.assertError("AWS.SimpleQueueService.NonExistentQueue", self.sqs.send_message,
                                QueueUrl="http://localhost/000000000000/missing", MessageBody="x", status=400)
        self.assertIn("x-amzn-query-error", resp["ResponseMetadata"]["HTTPHeaders"])
        with self.assertRaises(self.sqs.exceptions.QueueDoesNotExist):
            self.sqs.get_queue_url(QueueName="missing")

    def test_bad_queue_names_and_attributes(self):
        self.assertError("InvalidParameterValue", self.sqs.create_queue, QueueName="bad name")
        self.assertError("InvalidParameterValue", self.sqs.create_queue, QueueName="x" * 81)
        self.assertError("InvalidParameterValue", self.sqs.create_queue, QueueName="nofifo",
                         Attributes={"FifoQueue": "true"})
        self.assertError("InvalidAttributeValue", self.sqs.create_queue, QueueName="ok1",
                         Attributes={"VisibilityTimeout": "43201"})
        self.assertError("InvalidAttributeName", self.sqs.create_queue, QueueName="ok2",
                         Attributes={"NoSuchAttribute": "1"})
        self.assertError("AWS.SimpleQueueService.NonExistentQueue", self.sqs.get_queue_url, QueueName="ok1")

    def test_get_and_set_attributes(self):
        url = self.queue(VisibilityTimeout=45, DelaySeconds=0)
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        for key in ("QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
                    "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
                    "SqsManagedSseEnabled"):
            self.assertIn(key, attrs)
        self.assertEqual(attrs["VisibilityTimeout"], "45")
        self.assertTrue(attrs["QueueArn"].startswith("arn:aws:sqs:us-east-1:000000000000:"))
        self.sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5",
                                                                "Policy": '{"Version":"2012-10-17"}'})
        one = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
        self.assertEqual(one, {"VisibilityTimeout": "5"})
        self.assertError("InvalidAttributeName", self.sqs.get_queue_attributes, QueueUrl=url,
                         AttributeNames=["Nope"])
        self.assertError("InvalidAttributeValue", self.sqs.set_queue_attributes, QueueUrl=url,
                         Attributes={"MessageRetentionPeriod": "59"})
        self.assertError("MissingParameter", self.sqs.get_queue_attributes, QueueUrl="")

    def test_list_queues_pagination(self):
        urls = [self.sqs.create_queue(QueueName="page-%d" % i)["QueueUrl"] for i in range(5)]
        first = self.sqs.list_queues(QueueNamePrefix="page-", MaxResults=2)
        self.assertEqual(first["QueueUrls"], urls[:2])
        second = self.sqs.list_queues(QueueNamePrefix="page-", MaxResults=2, NextToken=first["NextToken"])
        self.assertEqual(second["QueueUrls"], urls[2:4])
        self.assertError("InvalidParameterValue", self.sqs.list_queues, MaxResults=1001)
        self.assertNotIn("QueueUrls", self.sqs.list_queues(QueueNamePrefix="zzz-none"))

    def test_tags(self):
        url = self.sqs.create_queue(QueueName="tagged", tags={"team": "cards"})["QueueUrl"]
        self.sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=url)["Tags"], {"team": "cards", "env": "dev"})
        self.sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=url)["Tags"], {"env": "dev"})
        self.assertError("AWS.SimpleQueueService.NonExistentQueue", self.sqs.tag_queue,
                         QueueUrl=url + "x", Tags={"a": "b"})

    def test_permissions(self):
        url = self.queue()
        self.sqs.add_permission(QueueUrl=url, Label="p1", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
        policy = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
        self.assertIn('"Sid":"p1"', policy)
        self.assertError("InvalidParameterValue", self.sqs.add_permission, QueueUrl=url, Label="p1",
                         AWSAccountIds=["111122223333"], Actions=["SendMessage"])
        self.assertError("OverLimit", self.sqs.add_permission, QueueUrl=url, Label="p2",
                         AWSAccountIds=["1"], Actions=["SendMessage"] * 8, status=403)
        self.sqs.remove_permission(QueueUrl=url, Label="p1")
        self.assertError("InvalidParameterValue", self.sqs.remove_permission, QueueUrl=url, Label="p1")

    def test_purge_once_per_minute(self):
        url = self.queue()
        self.sqs.send_message(QueueUrl=url, MessageBody="x")
        self.sqs.purge_queue(QueueUrl=url)
        self.assertEqual(inspect(self.sim, url), [])
        self.assertError("AWS.SimpleQueueService.PurgeQueueInProgress", self.sqs.purge_queue, QueueUrl=url,
                         status=403)
        advance(self.sim, "PT60S")
        self.sqs.purge_queue(QueueUrl=url)

    # --- messages -------------------------------------------------------------------------------

    def test_send_receive_delete_with_attributes_and_md5s(self):
        url = self.queue()
        attrs = {"s": {"DataType": "String", "StringValue": "héllo"},
                 "n": {"DataType": "Number.int", "StringValue": "42"},
                 "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff\x10"}}
        sent = self.sqs.send_message(QueueUrl=url, MessageBody="body ✓", MessageAttributes=attrs,
                                     MessageSystemAttributes={"AWSTraceHeader": {
                                         "DataType": "String", "StringValue": "Root=1-abc"}})
        self.assertEqual(sent["MD5OfMessageBody"], hashlib.md5("body ✓".encode()).hexdigest())
        self.assertEqual(sent["MD5OfMessageAttributes"], attributes_md5(attrs))
        self.assertIn("MD5OfMessageSystemAttributes", sent)
        got = self.sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                                       MessageSystemAttributeNames=["All"])["Messages"]
        self.assertEqual(len(got), 1)
        m = got[0]
        self.assertEqual(m["MessageId"], sent["MessageId"])
        self.assertEqual(m["Body"], "body ✓")
        self.assertEqual(m["MessageAttributes"]["b"]["BinaryValue"], b"\x00\xff\x10")
        self.assertEqual(m["MD5OfMessageAttributes"], attributes_md5(attrs))
        for key in ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
                    "AWSTraceHeader"):
            self.assertIn(key, m["Attributes"])
        self.assertEqual(m["Attributes"]["AWSTraceHeader"], "Root=1-abc")
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertEqual(inspect(self.sim, url), [])
        self.assertError("ReceiptHandleIsInvalid", self.sqs.delete_message, QueueUrl=url, ReceiptHandle="nope",
                         status=404)

    def test_attribute_name_filters(self):
        url = self.queue()
        attrs = {"foo.a": {"DataType": "String", "StringValue": "1"},
                 "foo.b": {"DataType": "String", "StringValue": "2"},
                 "bar": {"DataType": "String", "StringValue": "3"}}
        self.sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
        m = self.sqs.receive_message(QueueUrl=url, MessageAttributeNames=["foo.*"], VisibilityTimeout=0)["Messages"][0]
        self.assertEqual(sorted(m["MessageAttributes"]), ["foo.a", "foo.b"])
        self.assertEqual(m["MD5OfMessageAttributes"], attributes_md5({k: attrs[k] for k in ("foo.a", "foo.b")}))
        m = self.sqs.receive_message(QueueUrl=url)["Messages"][0]
        self.assertNotIn("MessageAttributes", m)
        self.assertNotIn("Attributes", m)

    def test_bad_messages_are_refused(self):
        url = self.queue(MaximumMessageSize=1024)
        self.assertError("InvalidMessageContents", self.sqs.send_message, QueueUrl=url, MessageBody="a\x01b")
        self.assertError("InvalidParameterValue", self.sqs.send_message, QueueUrl=url, MessageBody="x" * 1025)
        self.assertError("InvalidParameterValue", self.sqs.send_message, QueueUrl=url, MessageBody="x",
                         DelaySeconds=901)
        self.assertError("InvalidParameterValue", self.sqs.send_message, QueueUrl=url, MessageBody="x",
                         MessageAttributes={"AWS.x": {"DataType": "String", "StringValue": "v"}})
        self.assertError("InvalidParameterValue", self.sqs.send_message, QueueUrl=url, MessageBody="x",
                         MessageAttributes={"a": {"DataType": "Text", "StringValue": "v"}})
        self.assertError("InvalidParameterValue", self.sqs.send_message, QueueUrl=url, MessageBody="x",
                         MessageAttributes={"a%d" % i: {"DataType": "String", "StringValue": "v"} for i in range(11)})
        self.assertError("InvalidParameterValue", self.sqs.send_message, QueueUrl=url, MessageBody="x",
                         MessageDeduplicationId="d")
        self.assertError("InvalidParameterValue", self.sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)
        self.assertError("InvalidParameterValue", self.sqs.receive_message, QueueUrl=url, WaitTimeSeconds=21)
        self.assertEqual(inspect(self.sim, url), [])

    def test_visibility_timeout_and_change_visibility(self):
        url = self.queue(VisibilityTimeout=30)
        self.sqs.send_message(QueueUrl=url, MessageBody="v")
        m = self.sqs.receive_message(QueueUrl=url)["Messages"][0]
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))
        advance(self.sim, "PT30S")
        m2 = self.sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
        self.assertEqual(m2["Attributes"]["ApproximateReceiveCount"], "2")
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=300)
        advance(self.sim, "PT60S")
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))
        self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=0)
        m3 = self.sqs.receive_message(QueueUrl=url, VisibilityTimeout=10)["Messages"][0]
        advance(self.sim, "PT11S")
        self.assertError("AWS.SimpleQueueService.MessageNotInflight", self.sqs.change_message_visibility,
                         QueueUrl=url, ReceiptHandle=m3["ReceiptHandle"], VisibilityTimeout=5)
        self.assertError("InvalidParameterValue", self.sqs.change_message_visibility, QueueUrl=url,
                         ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=5)  # an older receipt: expired
        self.assertError("ReceiptHandleIsInvalid", self.sqs.change_message_visibility, QueueUrl=url,
                         ReceiptHandle="garbage", VisibilityTimeout=5)

    def test_delay_seconds(self):
        url = self.queue()
        self.sqs.send_message(QueueUrl=url, MessageBody="late", DelaySeconds=10)
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
        self.assertEqual(attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"], "1")
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=url))
        advance(self.sim, "PT10S")
        self.assertEqual(self.sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"], "late")

    def test_long_poll_returns_when_a_message_arrives(self):
        url = self.queue()
        result = {}

        def poll():
            client = boto3_client(self.sim)
            result["r"] = client.receive_message(QueueUrl=url, WaitTimeSeconds=20)

        t = threading.Thread(target=poll)
        t.start()
        t.join(0.3)
        self.assertTrue(t.is_alive(), "a long poll on a virtual clock waits for a message or for time")
        self.sqs.send_message(QueueUrl=url, MessageBody="wake")
        t.join(5)
        self.assertFalse(t.is_alive())
        self.assertEqual(result["r"]["Messages"][0]["Body"], "wake")

    def test_long_poll_ends_empty_when_the_wait_is_over(self):
        url = self.queue()
        result = {}
        t = threading.Thread(target=lambda: result.update(r=boto3_client(self.sim).receive_message(
            QueueUrl=url, WaitTimeSeconds=5)))
        t.start()
        t.join(0.3)
        self.assertTrue(t.is_alive())
        advance(self.sim, "PT5S")
        t.join(5)
        self.assertFalse(t.is_alive())
        self.assertNotIn("Messages", result["r"])

    def test_batches(self):
        url = self.queue()
        r = self.sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "a", "MessageBody": "1"}, {"Id": "b", "MessageBody": "bad\x02"},
            {"Id": "c", "MessageBody": "3", "DelaySeconds": 0}])
        self.assertEqual(sorted(e["Id"] for e in r["Successful"]), ["a", "c"])
        self.assertEqual(r["Failed"][0]["Id"], "b")
        self.assertEqual(r["Failed"][0]["Code"], "InvalidMessageContents")
        self.assertTrue(r["Failed"][0]["SenderFault"])
        self.assertError("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", self.sqs.send_message_batch,
                         QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "a", "MessageBody": "2"}])
        self.assertError("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", self.sqs.send_message_batch,
                         QueueUrl=url, Entries=[{"Id": "e%d" % i, "MessageBody": "x"} for i in range(11)])
        self.assertError("AWS.SimpleQueueService.EmptyBatchRequest", self.sqs.send_message_batch,
                         QueueUrl=url, Entries=[])
        self.assertError("AWS.SimpleQueueService.InvalidBatchEntryId", self.sqs.send_message_batch,
                         QueueUrl=url, Entries=[{"Id": "bad id!", "MessageBody": "1"}])
        msgs = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(len(msgs), 2)
        cv = self.sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": "x", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 100},
            {"Id": "y", "ReceiptHandle": "garbage", "VisibilityTimeout": 100}])
        self.assertEqual([e["Id"] for e in cv["Successful"]], ["x"])
        self.assertEqual(cv["Failed"][0]["Code"], "ReceiptHandleIsInvalid")
        d = self.sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": "x", "ReceiptHandle": msgs[0]["ReceiptHandle"]},
            {"Id": "y", "ReceiptHandle": msgs[1]["ReceiptHandle"]},
            {"Id": "z", "ReceiptHandle": "garbage"}])
        self.assertEqual(sorted(e["Id"] for e in d["Successful"]), ["x", "y"])
        self.assertEqual(d["Failed"][0]["Id"], "z")
        self.assertEqual(inspect(self.sim, url), [])

    def test_fifo_order_groups_and_deduplication(self):
        url = self.queue(fifo=True, ContentBasedDeduplication="true")
        s1 = self.sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A")
        self.assertIn("SequenceNumber", s1)
        dup = self.sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A")
        self.assertEqual(dup["MessageId"], s1["MessageId"])
        self.sqs.send_message(QueueUrl=url, MessageBody="a2", MessageGroupId="A")
        self.sqs.send_message(QueueUrl=url, MessageBody="b1", MessageGroupId="B", MessageDeduplicationId="x")
        first = self.sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
        self.assertEqual(first["Body"], "a1")
        self.assertEqual(first["Attributes"]["MessageGroupId"], "A")
        self.assertEqual(first["Attributes"]["MessageDeduplicationId"], hashlib.sha256(b"a1").hexdigest())
        rest = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([m["Body"] for m in rest], ["b1"])  # group A is blocked while a1 is in flight
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
        self.assertEqual(self.sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"], "a2")
        self.assertError("MissingParameter", self.sqs.send_message, QueueUrl=url, MessageBody="x")
        self.assertError("InvalidParameterValue", self.sqs.send_message, QueueUrl=url, MessageBody="x",
                         MessageGroupId="A", DelaySeconds=5)
        plain = self.queue(fifo=True)
        self.assertError("InvalidParameterValue", self.sqs.send_message, QueueUrl=plain, MessageBody="x",
                         MessageGroupId="A")

    def test_redrive_dead_letter_and_move_tasks(self):
        dlq = self.queue()
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        src = self.queue(VisibilityTimeout=1,
                         RedrivePolicy='{"deadLetterTargetArn":"%s","maxReceiveCount":"1"}' % dlq_arn)
        self.assertEqual(self.sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"], [src])
        self.sqs.send_message(QueueUrl=src, MessageBody="poison")
        self.sqs.receive_message(QueueUrl=src)
        advance(self.sim, "PT1S")
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=src))
        dead = inspect(self.sim, dlq)
        self.assertEqual([m["Body"] for m in dead], ["poison"])
        task = self.sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
        tasks = self.sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
        self.assertEqual(tasks[0]["Status"], "COMPLETED")
        self.assertEqual(tasks[0]["ApproximateNumberOfMessagesMoved"], 1)
        self.assertEqual([m["Body"] for m in inspect(self.sim, src)], ["poison"])
        self.assertError("AWS.SimpleQueueService.UnsupportedOperation", self.sqs.cancel_message_move_task,
                         TaskHandle=task)
        self.assertError("ResourceNotFoundException", self.sqs.cancel_message_move_task, TaskHandle="nope")
        self.assertError("InvalidParameterValue", self.sqs.start_message_move_task,
                         SourceArn=dlq_arn.replace(dlq.rsplit("/", 1)[1], src.rsplit("/", 1)[1]))
        self.assertError("ResourceNotFoundException", self.sqs.start_message_move_task,
                         SourceArn="arn:aws:sqs:us-east-1:000000000000:none")
        self.assertError("InvalidParameterValue", self.sqs.set_queue_attributes, QueueUrl=src, Attributes={
            "RedrivePolicy": '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:none","maxReceiveCount":1}'})

    def test_inspection_endpoint_does_not_change_visibility(self):
        url = self.queue()
        self.sqs.send_message(QueueUrl=url, MessageBody="peek")
        for path in ("/_sim/sqs/messages", "/_aws/sqs/messages"):
            status, _, _ = self.sim.request("GET", path + "?QueueUrl=" + url)
            self.assertEqual(status, 200)
        self.assertEqual(inspect(self.sim, url)[0]["State"], "available")
        self.assertEqual(self.sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"], "peek")
        status, _, _ = self.sim.request("GET", "/_sim/sqs/messages?QueueUrl=http://x/000000000000/none")
        self.assertEqual(status, 404)

    def test_unknown_operation_and_malformed_json(self):
        headers = {"X-Amz-Target": "AmazonSQS.Frobnicate", "Content-Type": "application/x-amz-json-1.0"}
        status, hdrs, body = self.sim.request("POST", "/", body=b"{}", headers=headers)
        self.assertEqual(status, 400)
        self.assertIn(b"UnknownOperationException", body)
        headers["X-Amz-Target"] = "AmazonSQS.ListQueues"
        status, hdrs, body = self.sim.request("POST", "/", body=b"{not json", headers=headers)
        self.assertEqual(status, 400)
        self.assertIn(b"SerializationException", body)

    def test_health_lists_sqs(self):
        status, body = self.sim.json("GET", "/_sim/health")
        self.assertEqual(body["services"]["sqs"], "running")


if __name__ == "__main__":
    unittest.main()
