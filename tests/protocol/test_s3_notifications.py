"""S3 event notifications with boto3 against `cardsim serve --clock virtual`: configuration round
trip, s3:TestEvent on save, Records[] messages to SQS with prefix/suffix filters, EventBridge
delivery, and refused destinations."""
import json
import unittest

from botocore.exceptions import ClientError

from events_support import VirtualSimCase, drain, queue_arn


class S3NotificationsCase(VirtualSimCase):
    clients = {"s3": "s3", "sqs": "sqs", "events": "events"}

    def test_queue_configuration_round_trip_and_messages(self):
        url = self.sqs.create_queue(QueueName="batch-files")["QueueUrl"]
        self.s3.create_bucket(Bucket="batch")
        config = {"QueueConfigurations": [{
            "Id": "cashflow", "QueueArn": queue_arn("batch-files"),
            "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "cashflow/"},
                                               {"Name": "suffix", "Value": ".csv"}]}}}]}
        self.s3.put_bucket_notification_configuration(Bucket="batch", NotificationConfiguration=config)
        test_event = drain(self.sqs, url, expect=1)
        self.assertEqual(len(test_event), 1)
        body = json.loads(test_event[0]["Body"])
        self.assertEqual((body["Event"], body["Bucket"], body["Service"]), ("s3:TestEvent", "batch", "Amazon S3"))
        got = self.s3.get_bucket_notification_configuration(Bucket="batch")
        qc = got["QueueConfigurations"][0]
        self.assertEqual((qc["Id"], qc["QueueArn"]), ("cashflow", queue_arn("batch-files")))
        self.assertEqual(sorted(qc["Events"]), ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
        rules = {r["Name"].lower(): r["Value"] for r in qc["Filter"]["Key"]["FilterRules"]}
        self.assertEqual(rules, {"prefix": "cashflow/", "suffix": ".csv"})

        self.s3.put_object(Bucket="batch", Key="cashflow/2027-01-01.csv", Body=b"a,b\n")
        self.s3.put_object(Bucket="batch", Key="cashflow/readme.txt", Body=b"no")  # suffix filtered
        self.s3.put_object(Bucket="batch", Key="other/x.csv", Body=b"no")          # prefix filtered
        self.s3.copy_object(Bucket="batch", Key="cashflow/copy.csv",
                            CopySource={"Bucket": "batch", "Key": "cashflow/2027-01-01.csv"})
        self.s3.delete_object(Bucket="batch", Key="cashflow/copy.csv")
        upload = self.s3.create_multipart_upload(Bucket="batch", Key="cashflow/big.csv")["UploadId"]
        part = self.s3.upload_part(Bucket="batch", Key="cashflow/big.csv", UploadId=upload, PartNumber=1, Body=b"x,y\n")
        self.s3.complete_multipart_upload(Bucket="batch", Key="cashflow/big.csv", UploadId=upload,
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        msgs = [json.loads(m["Body"]) for m in drain(self.sqs, url, expect=4)]
        records = [m["Records"][0] for m in msgs]
        self.assertEqual([r["eventName"] for r in records],
                         ["ObjectCreated:Put", "ObjectCreated:Copy", "ObjectRemoved:Delete",
                          "ObjectCreated:CompleteMultipartUpload"])
        self.assertEqual(records[3]["s3"]["object"]["key"], "cashflow/big.csv")
        put = records[0]
        self.assertEqual(put["eventVersion"], "2.1")
        self.assertEqual(put["eventSource"], "aws:s3")
        self.assertEqual(put["s3"]["configurationId"], "cashflow")
        self.assertEqual(put["s3"]["bucket"]["name"], "batch")
        self.assertEqual(put["s3"]["bucket"]["arn"], "arn:aws:s3:::batch")
        self.assertEqual(put["s3"]["object"]["key"], "cashflow/2027-01-01.csv")
        self.assertEqual(put["s3"]["object"]["size"], 4)
        self.assertEqual(len(put["s3"]["object"]["eTag"]), 32)
        self.assertTrue(put["eventTime"].startswith("2027-"))
        self.assertLess(records[0]["s3"]["object"]["sequencer"], records[1]["s3"]["object"]["sequencer"])
        self.assertNotIn("size", records[2]["s3"]["object"])

    def test_event_bridge_delivery(self):
        url = self.sqs.create_queue(QueueName="s3-events")["QueueUrl"]
        self.events.put_rule(Name="s3-created", EventPattern=json.dumps(
            {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": ["eb-bucket"]}}}))
        self.events.put_targets(Rule="s3-created", Targets=[{"Id": "q", "Arn": queue_arn("s3-events")}])
        self.s3.create_bucket(Bucket="eb-bucket")
        self.s3.put_bucket_notification_configuration(Bucket="eb-bucket",
                                                      NotificationConfiguration={"EventBridgeConfiguration": {}})
        self.assertIn("EventBridgeConfiguration", self.s3.get_bucket_notification_configuration(Bucket="eb-bucket"))
        self.s3.put_object(Bucket="eb-bucket", Key="k 1.txt", Body=b"xyz")
        got = drain(self.sqs, url, expect=1)
        self.assertEqual(len(got), 1)
        event = json.loads(got[0]["Body"])
        self.assertEqual((event["source"], event["detail-type"]), ("aws.s3", "Object Created"))
        self.assertEqual(event["detail"]["object"]["key"], "k 1.txt")
        self.assertEqual(event["detail"]["object"]["size"], 3)
        self.assertEqual(event["detail"]["reason"], "PutObject")
        self.assertEqual(event["resources"], ["arn:aws:s3:::eb-bucket"])

    def test_bad_configurations_are_refused(self):
        self.s3.create_bucket(Bucket="bad-config")
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_notification_configuration(Bucket="bad-config", NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": queue_arn("no-such-queue"), "Events": ["s3:ObjectCreated:*"]}]})
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidArgument")
        self.assertEqual(self.s3.get_bucket_notification_configuration(Bucket="bad-config").get("QueueConfigurations", []), [])
        self.sqs.create_queue(QueueName="ok-queue")
        with self.assertRaises(ClientError) as e:
            self.s3.put_bucket_notification_configuration(Bucket="bad-config", NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": queue_arn("ok-queue"), "Events": ["s3:ObjectTagging:*"]}]})
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidArgument")
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_notification_configuration(Bucket="no-such-bucket")
        self.assertEqual(e.exception.response["Error"]["Code"], "NoSuchBucket")


if __name__ == "__main__":
    unittest.main()
