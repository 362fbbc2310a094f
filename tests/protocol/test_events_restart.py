"""Durability of the glue: EventBridge rules and targets, Scheduler schedules and groups, Lambda
event source mappings and S3 bucket notification configurations survive a kill -9 and a restart on
the same --data-dir, and keep firing: a daily rule and a daily schedule fire once a day after the
restart as before it (no burst), the mapping consumes its queue, the bucket announces new objects."""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from events_support import (ROLE, CardsimProcess, advance, client, drain, function_arn,  # noqa: E402
                            invocations, queue_arn)


class EventsRestart(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cardsim-events-restart-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        sim = CardsimProcess("--clock", "virtual", data_dir=self.dir, ephemeral=False).start()
        return sim, {name: client(sim, name) for name in ("events", "scheduler", "lambda", "sqs", "s3")}

    def test_everything_is_still_there_and_firing_after_kill_9(self):
        sim, c = self.start()
        try:
            sqs = c["sqs"]
            urls = {n: sqs.create_queue(QueueName=n)["QueueUrl"] for n in ("ticks", "sched", "jobs", "drops")}
            c["events"].put_rule(Name="daily-0300", ScheduleExpression="cron(0 3 * * ? *)", Description="statement")
            c["events"].put_targets(Rule="daily-0300", Targets=[
                {"Id": "q", "Arn": queue_arn("ticks"), "Input": '{"job":"statement"}',
                 "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600}}])
            c["events"].put_rule(Name="cards", EventPattern=json.dumps({"source": ["cardsim.cards"]}), State="DISABLED")
            c["events"].create_event_bus(Name="payments", Description="card payments")
            c["events"].put_rule(Name="big", EventBusName="payments", EventPattern=json.dumps({"source": ["cardsim.pay"]}))
            c["events"].put_targets(Rule="big", EventBusName="payments", Targets=[{"Id": "q", "Arn": queue_arn("ticks")}])
            c["events"].put_targets(Rule="cards", Targets=[{"Id": "f", "Arn": function_arn("cardsim-echo")}])
            c["scheduler"].create_schedule_group(Name="batch")
            c["scheduler"].create_schedule(
                Name="tokyo-0900", GroupName="batch", ScheduleExpression="cron(0 9 * * ? *)",
                ScheduleExpressionTimezone="Asia/Tokyo", FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": queue_arn("sched"), "RoleArn": ROLE, "Input": '{"job":"interest"}'})
            c["scheduler"].create_schedule(
                Name="once", ScheduleExpression="at(2027-01-03T12:00:00)", FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": queue_arn("sched"), "RoleArn": ROLE, "Input": '{"job":"once"}'})
            mapping = c["lambda"].create_event_source_mapping(
                EventSourceArn=queue_arn("jobs"), FunctionName="cardsim-record", BatchSize=5,
                FunctionResponseTypes=["ReportBatchItemFailures"])
            c["s3"].create_bucket(Bucket="batch-files")
            notification = {"QueueConfigurations": [{
                "Id": "cashflow", "QueueArn": queue_arn("drops"), "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "cashflow/"}]}}}]}
            c["s3"].put_bucket_notification_configuration(Bucket="batch-files", NotificationConfiguration=notification)
            self.assertEqual(json.loads(drain(sqs, urls["drops"], 1)[0]["Body"])["Event"], "s3:TestEvent")
            advance(sim, "P1D")  # 2027-01-02T00:00Z: the rule fired at 03:00, the schedule at 00:00Z (09:00 JST)
            self.assertEqual(len(drain(sqs, urls["ticks"], 1)), 1)
            self.assertEqual(len(drain(sqs, urls["sched"], 1)), 1)
            before = {
                "rule": c["events"].describe_rule(Name="daily-0300"),
                "targets": c["events"].list_targets_by_rule(Rule="daily-0300")["Targets"],
                "schedule": c["scheduler"].get_schedule(Name="tokyo-0900", GroupName="batch"),
                "mapping": c["lambda"].get_event_source_mapping(UUID=mapping["UUID"]),
                "notification": c["s3"].get_bucket_notification_configuration(Bucket="batch-files"),
            }
        finally:
            sim.kill()  # SIGKILL: no flush, no goodbye

        sim, c = self.start()
        try:
            sqs = c["sqs"]
            urls = {n: sqs.get_queue_url(QueueName=n)["QueueUrl"] for n in ("ticks", "sched", "jobs", "drops")}
            strip = lambda r: {k: v for k, v in r.items() if k != "ResponseMetadata"}  # noqa: E731
            self.assertEqual(strip(c["events"].describe_rule(Name="daily-0300")), strip(before["rule"]))
            self.assertEqual(c["events"].list_targets_by_rule(Rule="daily-0300")["Targets"], before["targets"])
            self.assertEqual(c["events"].describe_rule(Name="cards")["State"], "DISABLED")
            self.assertEqual(c["events"].describe_event_bus(Name="payments")["Description"], "card payments")
            c["events"].put_events(Entries=[{"Source": "cardsim.pay", "DetailType": "P", "Detail": "{}",
                                             "EventBusName": "payments"}])
            self.assertEqual(json.loads(drain(sqs, urls["ticks"], 1)[0]["Body"])["source"], "cardsim.pay")
            self.assertEqual(strip(c["scheduler"].get_schedule(Name="tokyo-0900", GroupName="batch")),
                             strip(before["schedule"]))
            self.assertIn("batch", [g["Name"] for g in c["scheduler"].list_schedule_groups()["ScheduleGroups"]])
            m = c["lambda"].get_event_source_mapping(UUID=mapping["UUID"])
            for key in ("BatchSize", "EventSourceArn", "FunctionArn", "FunctionResponseTypes", "State", "LastModified"):
                self.assertEqual(m[key], before["mapping"][key], key)
            self.assertEqual(strip(c["s3"].get_bucket_notification_configuration(Bucket="batch-files")),
                             strip(before["notification"]))

            # Still firing, once a day each, no catch-up burst.
            advance(sim, "P2D")  # to 2027-01-04T00:00Z: rule at 01-02 03:00 and 01-03 03:00; schedule 01-03 and 01-04
            ticks = drain(sqs, urls["ticks"], 2)
            self.assertEqual([json.loads(t["Body"]) for t in ticks], [{"job": "statement"}] * 2)
            sched = sorted(json.loads(m["Body"])["job"] for m in drain(sqs, urls["sched"], 3))
            self.assertEqual(sched, ["interest", "interest", "once"])
            sqs.send_message(QueueUrl=urls["jobs"], MessageBody="after-restart")
            got = invocations(sim, "cardsim-record", 1)
            self.assertEqual([r["body"] for r in got[0]["Records"]], ["after-restart"])
            c["s3"].put_object(Bucket="batch-files", Key="cashflow/2027-01-04.csv", Body=b"a,b\n")
            c["s3"].put_object(Bucket="batch-files", Key="other/ignored.txt", Body=b"x")
            records = drain(sqs, urls["drops"], 1)
            self.assertEqual(len(records), 1)
            self.assertEqual(json.loads(records[0]["Body"])["Records"][0]["s3"]["object"]["key"], "cashflow/2027-01-04.csv")
            c["scheduler"].delete_schedule(Name="tokyo-0900", GroupName="batch")
            c["events"].delete_rule(Name="daily-0300", Force=True)
        finally:
            sim.kill()

        # Deletions are durable too; the one-time schedule does not fire again.
        sim, c = self.start()
        try:
            # The platform's own rules (platform/infra.json) are there too; this test owns "cards".
            rules = [r["Name"] for r in c["events"].list_rules()["Rules"] if not r["Name"].startswith("platform-")]
            self.assertEqual(rules, ["cards"])
            self.assertEqual([s["Name"] for s in c["scheduler"].list_schedules()["Schedules"]], ["once"])
            advance(sim, "P3D")
            sqs = c["sqs"]
            self.assertEqual(drain(sqs, sqs.get_queue_url(QueueName="sched")["QueueUrl"]), [])
            self.assertEqual(drain(sqs, sqs.get_queue_url(QueueName="ticks")["QueueUrl"]), [])
        finally:
            sim.kill()


if __name__ == "__main__":
    unittest.main()
