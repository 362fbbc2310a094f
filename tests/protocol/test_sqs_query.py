"""SQS over the query protocol: raw form-encoded requests (Action=...&Version=2012-11-05) with
http.client, XML responses in the 2012-11-05 namespace, and AWS's query error shape."""
import http.client
import os
import sys
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sqs_support import CardsimProcess, advance, attributes_md5  # noqa: E402

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}
SIGNED = ("AWS4-HMAC-SHA256 Credential=AKIDQUERY/20270101/eu-west-1/sqs/aws4_request, "
          "SignedHeaders=host;x-amz-date, Signature=0")


class SqsQuery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = CardsimProcess("--clock", "virtual").start()
        cls.port = cls.sim.ports["aws"]

    @classmethod
    def tearDownClass(cls):
        cls.sim.__exit__(None, None, None)

    def call(self, action, params=(), path="/", signed=False, method="POST"):
        form = [("Action", action), ("Version", "2012-11-05")] + list(params)
        body = urllib.parse.urlencode(form)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            headers["Authorization"] = SIGNED
        if method == "GET":
            conn.request("GET", path + "?" + body)
        else:
            conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        root = ET.fromstring(data)
        return resp.status, root, resp.getheader("Content-Type")

    def ok(self, action, params=(), **kw):
        status, root, ctype = self.call(action, params, **kw)
        self.assertEqual(status, 200, ET.tostring(root))
        self.assertEqual(root.tag, "{%s}%sResponse" % (NS["q"], action))
        self.assertIsNotNone(root.find("q:ResponseMetadata/q:RequestId", NS))
        self.assertIn("xml", ctype)
        return root

    def err(self, action, params, code, status=400, **kw):
        st, root, _ = self.call(action, params, **kw)
        self.assertEqual(st, status, ET.tostring(root))
        self.assertEqual(root.tag, "{%s}ErrorResponse" % NS["q"])
        self.assertEqual(root.find("q:Error/q:Code", NS).text, code)
        self.assertEqual(root.find("q:Error/q:Type", NS).text, "Sender")
        self.assertTrue(root.find("q:Error/q:Message", NS).text)
        self.assertIsNotNone(root.find("q:RequestId", NS))
        return root

    def create(self, name, attrs=None, tags=None):
        params = [("QueueName", name)]
        for i, (k, v) in enumerate((attrs or {}).items(), 1):
            params += [("Attribute.%d.Name" % i, k), ("Attribute.%d.Value" % i, v)]
        for i, (k, v) in enumerate((tags or {}).items(), 1):
            params += [("Tag.%d.Key" % i, k), ("Tag.%d.Value" % i, v)]
        root = self.ok("CreateQueue", params)
        return root.find("q:CreateQueueResult/q:QueueUrl", NS).text

    def test_queue_lifecycle(self):
        url = self.create("qq-life", {"VisibilityTimeout": "40", "DelaySeconds": "0"}, {"team": "cards"})
        self.assertEqual(url, "http://127.0.0.1:%d/000000000000/qq-life" % self.port)
        root = self.ok("GetQueueUrl", [("QueueName", "qq-life")])
        self.assertEqual(root.find("q:GetQueueUrlResult/q:QueueUrl", NS).text, url)
        root = self.ok("ListQueues", [("QueueNamePrefix", "qq-")])
        self.assertIn(url, [e.text for e in root.findall("q:ListQueuesResult/q:QueueUrl", NS)])
        root = self.ok("GetQueueAttributes", [("QueueUrl", url), ("AttributeName.1", "All")])
        attrs = {a.find("q:Name", NS).text: a.find("q:Value", NS).text
                 for a in root.findall("q:GetQueueAttributesResult/q:Attribute", NS)}
        self.assertEqual(attrs["VisibilityTimeout"], "40")
        self.assertIn("QueueArn", attrs)
        self.ok("SetQueueAttributes", [("QueueUrl", url), ("Attribute.1.Name", "VisibilityTimeout"),
                                       ("Attribute.1.Value", "9")])
        self.ok("TagQueue", [("QueueUrl", url), ("Tag.1.Key", "env"), ("Tag.1.Value", "dev")])
        root = self.ok("ListQueueTags", [("QueueUrl", url)])
        tags = {t.find("q:Key", NS).text: t.find("q:Value", NS).text
                for t in root.findall("q:ListQueueTagsResult/q:Tag", NS)}
        self.assertEqual(tags, {"team": "cards", "env": "dev"})
        self.ok("UntagQueue", [("QueueUrl", url), ("TagKey.1", "env")])
        self.ok("AddPermission", [("QueueUrl", url), ("Label", "p"), ("AWSAccountId.1", "111122223333"),
                                  ("ActionName.1", "SendMessage")])
        self.ok("RemovePermission", [("QueueUrl", url), ("Label", "p")])
        self.ok("PurgeQueue", [("QueueUrl", url)])
        self.err("PurgeQueue", [("QueueUrl", url)], "AWS.SimpleQueueService.PurgeQueueInProgress", 403)
        self.ok("DeleteQueue", [("QueueUrl", url)])
        self.err("GetQueueUrl", [("QueueName", "qq-life")], "AWS.SimpleQueueService.NonExistentQueue")

    def test_errors(self):
        self.err("CreateQueue", [], "MissingParameter")
        self.err("CreateQueue", [("QueueName", "bad name")], "InvalidParameterValue")
        self.err("CreateQueue", [("QueueName", "qq-a"), ("Attribute.1.Name", "Nope"), ("Attribute.1.Value", "1")],
                 "InvalidAttributeName")
        self.err("CreateQueue", [("QueueName", "qq-a"), ("Attribute.1.Name", "DelaySeconds"),
                                 ("Attribute.1.Value", "abc")], "InvalidAttributeValue")
        self.create("qq-exists")
        self.err("CreateQueue", [("QueueName", "qq-exists"), ("Attribute.1.Name", "DelaySeconds"),
                                 ("Attribute.1.Value", "5")], "QueueAlreadyExists")
        self.err("Frobnicate", [], "InvalidAction")
        self.err("SendMessage", [("QueueUrl", "http://x/000000000000/none"), ("MessageBody", "x")],
                 "AWS.SimpleQueueService.NonExistentQueue")
        url = self.create("qq-errs")
        self.err("SendMessage", [("QueueUrl", url)], "MissingParameter")
        self.err("SendMessage", [("QueueUrl", url), ("MessageBody", "a\x01")], "InvalidMessageContents")
        self.err("ReceiveMessage", [("QueueUrl", url), ("MaxNumberOfMessages", "0")], "InvalidParameterValue")
        self.err("ReceiveMessage", [("QueueUrl", url), ("MaxNumberOfMessages", "ten")], "InvalidParameterValue")
        self.err("DeleteMessage", [("QueueUrl", url), ("ReceiptHandle", "junk")], "ReceiptHandleIsInvalid", 404)
        self.err("ChangeMessageVisibility", [("QueueUrl", url), ("ReceiptHandle", "junk"),
                                             ("VisibilityTimeout", "5")], "ReceiptHandleIsInvalid", 404)
        self.err("SendMessageBatch", [("QueueUrl", url)], "MissingParameter")
        self.err("SendMessageBatch", [("QueueUrl", url), ("SendMessageBatchRequestEntry.1.Id", "a"),
                                      ("SendMessageBatchRequestEntry.1.MessageBody", "x"),
                                      ("SendMessageBatchRequestEntry.2.Id", "a"),
                                      ("SendMessageBatchRequestEntry.2.MessageBody", "y")],
                 "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
        many = [("QueueUrl", url)]
        for i in range(1, 12):
            many += [("SendMessageBatchRequestEntry.%d.Id" % i, "e%d" % i),
                     ("SendMessageBatchRequestEntry.%d.MessageBody" % i, "x")]
        self.err("SendMessageBatch", many, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
        self.err("DeleteMessageBatch", [("QueueUrl", url), ("DeleteMessageBatchRequestEntry.1.Id", "a b"),
                                        ("DeleteMessageBatchRequestEntry.1.ReceiptHandle", "h")],
                 "AWS.SimpleQueueService.InvalidBatchEntryId")
        root = self.ok("ReceiveMessage", [("QueueUrl", url)])
        self.assertEqual(root.findall("q:ReceiveMessageResult/q:Message", NS), [])

    def test_messages_round_trip(self):
        url = self.create("qq-msgs")
        attrs = {"s": {"DataType": "String", "StringValue": "v"},
                 "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}}
        root = self.ok("SendMessage", [
            ("QueueUrl", url), ("MessageBody", "hello <xml> & co"),
            ("MessageAttribute.1.Name", "s"), ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "v"),
            ("MessageAttribute.2.Name", "b"), ("MessageAttribute.2.Value.DataType", "Binary"),
            ("MessageAttribute.2.Value.BinaryValue", "AQI=")])
        res = root.find("q:SendMessageResult", NS)
        self.assertEqual(res.find("q:MD5OfMessageAttributes", NS).text, attributes_md5(attrs))
        message_id = res.find("q:MessageId", NS).text
        root = self.ok("ReceiveMessage", [("QueueUrl", url), ("AttributeName.1", "All"),
                                          ("MessageAttributeName.1", "All"), ("VisibilityTimeout", "5")])
        m = root.find("q:ReceiveMessageResult/q:Message", NS)
        self.assertEqual(m.find("q:MessageId", NS).text, message_id)
        self.assertEqual(m.find("q:Body", NS).text, "hello <xml> & co")
        names = {a.find("q:Name", NS).text for a in m.findall("q:Attribute", NS)}
        self.assertTrue({"SenderId", "SentTimestamp", "ApproximateReceiveCount"} <= names)
        mattrs = {a.find("q:Name", NS).text: a.find("q:Value", NS) for a in m.findall("q:MessageAttribute", NS)}
        self.assertEqual(mattrs["b"].find("q:BinaryValue", NS).text, "AQI=")
        self.assertEqual(mattrs["s"].find("q:DataType", NS).text, "String")
        self.assertEqual(m.find("q:MD5OfMessageAttributes", NS).text, attributes_md5(attrs))
        handle = m.find("q:ReceiptHandle", NS).text
        self.ok("ChangeMessageVisibility", [("QueueUrl", url), ("ReceiptHandle", handle), ("VisibilityTimeout", "60")])
        advance(self.sim, "PT10S")
        root = self.ok("ReceiveMessage", [("QueueUrl", url)])
        self.assertEqual(root.findall("q:ReceiveMessageResult/q:Message", NS), [])
        self.ok("DeleteMessage", [("QueueUrl", url), ("ReceiptHandle", handle)])

    def test_batches_report_entries(self):
        url = self.create("qq-batch")
        root = self.ok("SendMessageBatch", [
            ("QueueUrl", url),
            ("SendMessageBatchRequestEntry.1.Id", "one"), ("SendMessageBatchRequestEntry.1.MessageBody", "1"),
            ("SendMessageBatchRequestEntry.2.Id", "two"), ("SendMessageBatchRequestEntry.2.MessageBody", "2"),
            ("SendMessageBatchRequestEntry.2.DelaySeconds", "901")])
        ok = root.findall("q:SendMessageBatchResult/q:SendMessageBatchResultEntry", NS)
        bad = root.findall("q:SendMessageBatchResult/q:BatchResultErrorEntry", NS)
        self.assertEqual([e.find("q:Id", NS).text for e in ok], ["one"])
        self.assertEqual(bad[0].find("q:Id", NS).text, "two")
        self.assertEqual(bad[0].find("q:Code", NS).text, "InvalidParameterValue")
        self.assertEqual(bad[0].find("q:SenderFault", NS).text, "true")
        root = self.ok("ReceiveMessage", [("QueueUrl", url), ("MaxNumberOfMessages", "10")])
        handle = root.find("q:ReceiveMessageResult/q:Message/q:ReceiptHandle", NS).text
        root = self.ok("ChangeMessageVisibilityBatch", [
            ("QueueUrl", url), ("ChangeMessageVisibilityBatchRequestEntry.1.Id", "c"),
            ("ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle", handle),
            ("ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout", "100")])
        self.assertEqual(len(root.findall(
            "q:ChangeMessageVisibilityBatchResult/q:ChangeMessageVisibilityBatchResultEntry", NS)), 1)
        root = self.ok("DeleteMessageBatch", [
            ("QueueUrl", url), ("DeleteMessageBatchRequestEntry.1.Id", "d"),
            ("DeleteMessageBatchRequestEntry.1.ReceiptHandle", handle),
            ("DeleteMessageBatchRequestEntry.2.Id", "e"),
            ("DeleteMessageBatchRequestEntry.2.ReceiptHandle", "junk")])
        self.assertEqual(len(root.findall("q:DeleteMessageBatchResult/q:DeleteMessageBatchResultEntry", NS)), 1)
        self.assertEqual(root.find("q:DeleteMessageBatchResult/q:BatchResultErrorEntry/q:Code", NS).text,
                         "ReceiptHandleIsInvalid")

    def test_queue_named_by_path_get_requests_and_signature_region(self):
        url = self.create("qq-path")
        path = urllib.parse.urlparse(url).path
        self.ok("SendMessage", [("MessageBody", "via path")], path=path)
        root = self.ok("ReceiveMessage", [("QueueUrl", url)], method="GET")
        self.assertEqual(root.find("q:ReceiveMessageResult/q:Message/q:Body", NS).text, "via path")
        url2 = self.create_signed("qq-region")
        root = self.ok("GetQueueAttributes", [("QueueUrl", url2), ("AttributeName.1", "QueueArn")])
        self.assertEqual(root.find("q:GetQueueAttributesResult/q:Attribute/q:Value", NS).text,
                         "arn:aws:sqs:eu-west-1:000000000000:qq-region")
        self.err("SendMessage", [("MessageBody", "x")], "AWS.SimpleQueueService.NonExistentQueue",
                 path="/999999999999/qq-path")

    def create_signed(self, name):
        root = self.ok("CreateQueue", [("QueueName", name)], signed=True)
        return root.find("q:CreateQueueResult/q:QueueUrl", NS).text

    def test_dead_letter_listing_and_move_tasks(self):
        dlq = self.create("qq-dlq")
        root = self.ok("GetQueueAttributes", [("QueueUrl", dlq), ("AttributeName.1", "QueueArn")])
        arn = root.find("q:GetQueueAttributesResult/q:Attribute/q:Value", NS).text
        src = self.create("qq-src", {"RedrivePolicy": '{"deadLetterTargetArn":"%s","maxReceiveCount":3}' % arn})
        root = self.ok("ListDeadLetterSourceQueues", [("QueueUrl", dlq)])
        self.assertEqual([e.text for e in root.findall("q:ListDeadLetterSourceQueuesResult/q:QueueUrl", NS)], [src])
        root = self.ok("StartMessageMoveTask", [("SourceArn", arn)])
        self.assertTrue(root.find("q:StartMessageMoveTaskResult/q:TaskHandle", NS).text)
        root = self.ok("ListMessageMoveTasks", [("SourceArn", arn)])
        entry = root.find("q:ListMessageMoveTasksResult/q:ListMessageMoveTasksResultEntry", NS)
        self.assertEqual(entry.find("q:Status", NS).text, "COMPLETED")
        self.err("CancelMessageMoveTask", [("TaskHandle", "nope")], "ResourceNotFoundException", 404)


if __name__ == "__main__":
    unittest.main()
