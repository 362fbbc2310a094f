"""Lambda (REST-JSON) with boto3 against `cardsim serve --clock virtual`: Invoke of the built-in
diagnostic functions and SQS event source mappings (immediate delivery, partial failures, DLQ)."""
import json
import time
import unittest

from botocore.exceptions import ClientError

from events_support import VirtualSimCase, advance, drain, function_arn, invocations, queue_arn


class LambdaCase(VirtualSimCase):
    clients = {"fn": "lambda", "sqs": "sqs"}

    def test_invoke_request_response_event_and_dry_run(self):
        r = self.fn.invoke(FunctionName="cardsim-echo", Payload=json.dumps({"hello": "world"}))
        self.assertEqual(r["StatusCode"], 200)
        self.assertEqual(json.loads(r["Payload"].read()), {"hello": "world"})
        self.assertNotIn("FunctionError", r)
        r = self.fn.invoke(FunctionName=function_arn("cardsim-echo"), Payload=b"[1,2]")
        self.assertEqual(json.loads(r["Payload"].read()), [1, 2])
        r = self.fn.invoke(FunctionName="cardsim-fail", Payload=b"{}")
        self.assertEqual(r["StatusCode"], 200)
        self.assertEqual(r["FunctionError"], "Unhandled")
        body = json.loads(r["Payload"].read())
        self.assertEqual(body["errorType"], "CardsimTestError")
        r = self.fn.invoke(FunctionName="cardsim-record", InvocationType="Event", Payload=json.dumps({"n": 42}))
        self.assertEqual(r["StatusCode"], 202)
        self.assertIn({"n": 42}, invocations(self.sim, "cardsim-record", expect=1))
        r = self.fn.invoke(FunctionName="cardsim-echo", InvocationType="DryRun")
        self.assertEqual(r["StatusCode"], 204)

    def test_unknown_function_and_bad_payload(self):
        with self.assertRaises(ClientError) as e:
            self.fn.invoke(FunctionName="nope", Payload=b"{}")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            self.fn.invoke(FunctionName="cardsim-echo", Payload=b"{not json")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidRequestContentException")

    def test_list_and_get_functions(self):
        names = [f["FunctionName"] for f in self.fn.list_functions()["Functions"]]
        for n in ("cardsim-echo", "cardsim-fail", "cardsim-record", "cardsim-partial"):
            self.assertIn(n, names)
        cfg = self.fn.get_function(FunctionName="cardsim-echo")["Configuration"]
        self.assertEqual(cfg["FunctionArn"], function_arn("cardsim-echo"))

    def test_event_source_mapping_delivers_on_send_without_advancing_time(self):
        self.sqs.create_queue(QueueName="esm-in")
        url = self.sqs.get_queue_url(QueueName="esm-in")["QueueUrl"]
        m = self.fn.create_event_source_mapping(EventSourceArn=queue_arn("esm-in"), FunctionName="cardsim-echo",
                                                BatchSize=5)
        self.assertEqual(m["BatchSize"], 5)
        self.assertEqual(m["EventSourceArn"], queue_arn("esm-in"))
        before = len(invocations(self.sim, "cardsim-echo"))
        self.sqs.send_message(QueueUrl=url, MessageBody="payload-1",
                              MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})
        got = invocations(self.sim, "cardsim-echo", expect=before + 1)
        record = got[-1]["Records"][0]
        self.assertEqual(record["body"], "payload-1")
        self.assertEqual(record["eventSource"], "aws:sqs")
        self.assertEqual(record["eventSourceARN"], queue_arn("esm-in"))
        self.assertEqual(record["messageAttributes"]["kind"]["stringValue"], "test")
        self.assertEqual(record["attributes"]["ApproximateReceiveCount"], "1")
        deadline = time.monotonic() + 5
        while self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"]["ApproximateNumberOfMessages"] != "0" and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(drain(self.sqs, url), [])  # deleted after success
        self.assertEqual(self.fn.get_event_source_mapping(UUID=m["UUID"])["State"], "Enabled")
        listed = self.fn.list_event_source_mappings(EventSourceArn=queue_arn("esm-in"))["EventSourceMappings"]
        self.assertEqual([x["UUID"] for x in listed], [m["UUID"]])
        u = self.fn.update_event_source_mapping(UUID=m["UUID"], Enabled=False, BatchSize=10)
        self.assertEqual((u["State"], u["BatchSize"]), ("Disabled", 10))
        self.assertEqual(self.fn.delete_event_source_mapping(UUID=m["UUID"])["State"], "Deleting")
        with self.assertRaises(ClientError) as e:
            self.fn.get_event_source_mapping(UUID=m["UUID"])
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_failures_return_after_visibility_then_reach_the_dlq(self):
        self.sqs.create_queue(QueueName="esm-dlq")
        dlq = self.sqs.get_queue_url(QueueName="esm-dlq")["QueueUrl"]
        url = self.sqs.create_queue(QueueName="esm-failing", Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": queue_arn("esm-dlq"), "maxReceiveCount": "2"})})["QueueUrl"]
        self.fn.create_event_source_mapping(EventSourceArn=queue_arn("esm-failing"), FunctionName="cardsim-partial",
                                            FunctionResponseTypes=["ReportBatchItemFailures"],
                                            MaximumBatchingWindowInSeconds=1)
        self.sqs.send_message(QueueUrl=url, MessageBody="ok-1")
        self.sqs.send_message(QueueUrl=url, MessageBody="fail-2")
        advance(self.sim, "PT2S")
        advance(self.sim, "PT1M")
        advance(self.sim, "PT1M")
        bodies = [r["body"] for inv in invocations(self.sim, "cardsim-partial", expect=2) for r in inv["Records"]]
        self.assertEqual(bodies.count("ok-1"), 1)
        self.assertEqual(bodies.count("fail-2"), 2)
        got = drain(self.sqs, dlq, expect=1)
        self.assertEqual([m["Body"] for m in got], ["fail-2"])

    def test_mapping_errors(self):
        with self.assertRaises(ClientError) as e:
            self.fn.create_event_source_mapping(EventSourceArn=queue_arn("no-such-queue"), FunctionName="cardsim-echo")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValueException")
        self.sqs.create_queue(QueueName="esm-errors")
        with self.assertRaises(ClientError) as e:
            self.fn.create_event_source_mapping(EventSourceArn=queue_arn("esm-errors"), FunctionName="missing")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            self.fn.create_event_source_mapping(EventSourceArn=queue_arn("esm-errors"), FunctionName="cardsim-echo",
                                                BatchSize=100)
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValueException")
        self.fn.create_event_source_mapping(EventSourceArn=queue_arn("esm-errors"), FunctionName="cardsim-echo",
                                            ScalingConfig={"MaximumConcurrency": 2})
        with self.assertRaises(ClientError) as e:
            self.fn.create_event_source_mapping(EventSourceArn=queue_arn("esm-errors"), FunctionName="cardsim-echo")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceConflictException")


    def test_lists_page_with_marker_and_max_items(self):
        pages = list(self.fn.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}))
        self.assertTrue(all(len(p["Functions"]) <= 2 for p in pages))
        names = [f["FunctionName"] for p in pages for f in p["Functions"]]
        self.assertEqual(names, sorted(names))
        self.assertTrue({"cardsim-echo", "cardsim-fail", "cardsim-partial", "cardsim-record"} <= set(names))
        self.assertGreater(len(pages), 1)
        self.sqs.create_queue(QueueName="esm-paging")
        made = {self.fn.create_event_source_mapping(EventSourceArn=queue_arn("esm-paging"), FunctionName=f,
                                                    Enabled=False)["UUID"]
                for f in ("cardsim-echo", "cardsim-fail", "cardsim-record")}
        pages = list(self.fn.get_paginator("list_event_source_mappings").paginate(
            EventSourceArn=queue_arn("esm-paging"), PaginationConfig={"PageSize": 1}))
        self.assertEqual(len(pages), 3)
        self.assertEqual({m["UUID"] for p in pages for m in p["EventSourceMappings"]}, made)
        for call in (lambda: self.fn.list_functions(Marker="not-a-marker"),
                     lambda: self.fn.list_event_source_mappings(Marker="not-a-marker")):
            with self.assertRaises(ClientError) as e:
                call()
            self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameterValueException")
        for uuid in made:
            self.fn.delete_event_source_mapping(UUID=uuid)


if __name__ == "__main__":
    unittest.main()
