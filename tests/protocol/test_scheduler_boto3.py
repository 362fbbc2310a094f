"""EventBridge Scheduler (REST-JSON) with boto3 against `cardsim serve --clock virtual`: schedules
that fire in their time zone, at() with ActionAfterCompletion, start/end dates, groups, retries/DLQ
and errors."""
import datetime
import json
import unittest

from botocore.exceptions import ClientError

from events_support import (ROLE, VirtualSimCase, advance, drain, function_arn, invocations, pass_machine,
                            queue_arn)

UTC = datetime.timezone.utc
OFF = {"Mode": "OFF"}


class SchedulerCase(VirtualSimCase):
    clients = {"sch": "scheduler", "sqs": "sqs", "sfn": "stepfunctions"}

    def test_cron_in_tokyo_fires_at_local_time(self):
        url = self.queue("tokyo")
        arn = self.sch.create_schedule(Name="tokyo-9am", ScheduleExpression="cron(30 9 * * ? *)",
                                       ScheduleExpressionTimezone="Asia/Tokyo", FlexibleTimeWindow=OFF,
                                       Target={"Arn": queue_arn("tokyo"), "RoleArn": ROLE, "Input": '{"job":"t"}'})["ScheduleArn"]
        self.assertTrue(arn.endswith(":schedule/default/tokyo-9am"))
        advance(self.sim, "P2D")
        got = drain(self.sqs, url)
        self.assertEqual(len(got), 2)
        self.assertEqual(json.loads(got[0]["Body"]), {"job": "t"})
        s = self.sch.get_schedule(Name="tokyo-9am")
        self.assertEqual((s["ScheduleExpressionTimezone"], s["State"]), ("Asia/Tokyo", "ENABLED"))
        self.sch.delete_schedule(Name="tokyo-9am")

    def test_at_with_delete_after_completion_starts_a_state_machine(self):
        sm = self.sfn.create_state_machine(name="once", definition=pass_machine(), roleArn=ROLE)["stateMachineArn"]
        now = datetime.datetime.fromisoformat(self.sim.json("GET", "/_sim/clock")[1]["now"].replace("Z", "+00:00"))
        local = (now + datetime.timedelta(days=1)).astimezone(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
        self.sch.create_schedule(Name="once", ScheduleExpression="at(%s)" % local.strftime("%Y-%m-%dT%H:%M:%S"),
                                 ScheduleExpressionTimezone="America/New_York", FlexibleTimeWindow=OFF,
                                 ActionAfterCompletion="DELETE",
                                 Target={"Arn": sm, "RoleArn": ROLE, "Input": '{"from":"scheduler"}'})
        advance(self.sim, "P3D")
        execs = self.sfn.list_executions(stateMachineArn=sm)["executions"]
        self.assertEqual(len(execs), 1)
        # 10:00 in New York in winter is 15:00 UTC.
        self.assertEqual(execs[0]["startDate"].astimezone(UTC), local + datetime.timedelta(hours=5))
        self.assertEqual(json.loads(self.sfn.describe_execution(executionArn=execs[0]["executionArn"])["input"]),
                         {"from": "scheduler"})
        with self.assertRaises(ClientError) as e:
            self.sch.get_schedule(Name="once")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_rate_with_end_date_and_function_target(self):
        status, clock = self.sim.json("GET", "/_sim/clock")
        start = datetime.datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))
        self.sch.create_schedule(Name="hourly", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                                 StartDate=start + datetime.timedelta(hours=1),
                                 EndDate=start + datetime.timedelta(hours=3),
                                 Target={"Arn": function_arn("cardsim-record"), "RoleArn": ROLE, "Input": '{"s":"hourly"}'})
        before = len(invocations(self.sim, "cardsim-record"))
        advance(self.sim, "PT6H")
        got = invocations(self.sim, "cardsim-record", expect=before + 3)
        self.assertEqual([e for e in got[before:] if e == {"s": "hourly"}], [{"s": "hourly"}] * 3)

    def test_failed_target_goes_to_dead_letter_queue(self):
        dlq = self.queue("sched-dlq")
        self.sch.create_schedule(Name="broken", ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF,
                                 Target={"Arn": queue_arn("missing-queue"), "RoleArn": ROLE, "Input": "{}",
                                         "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 600},
                                         "DeadLetterConfig": {"Arn": queue_arn("sched-dlq")}})
        advance(self.sim, "P1DT1H")  # a rate schedule without StartDate fires at once, then daily
        got = drain(self.sqs, dlq, expect=2)
        self.assertEqual(len(got), 2)
        self.assertTrue(got[0]["MessageAttributes"]["SCHEDULE_ARN"]["StringValue"].endswith(":schedule/default/broken"))
        self.sch.delete_schedule(Name="broken")

    def test_groups_update_list_and_errors(self):
        arn = self.sch.create_schedule_group(Name="batch")["ScheduleGroupArn"]
        self.assertTrue(arn.endswith(":schedule-group/batch"))
        self.assertEqual(self.sch.get_schedule_group(Name="batch")["State"], "ACTIVE")
        self.assertIn("batch", [g["Name"] for g in self.sch.list_schedule_groups()["ScheduleGroups"]])
        target = {"Arn": queue_arn("q"), "RoleArn": ROLE}
        self.sch.create_schedule(Name="nightly", GroupName="batch", ScheduleExpression="cron(0 2 * * ? *)",
                                 FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10}, Target=target)
        with self.assertRaises(ClientError) as e:
            self.sch.create_schedule(Name="nightly", GroupName="batch", ScheduleExpression="cron(0 2 * * ? *)",
                                     FlexibleTimeWindow=OFF, Target=target)
        self.assertEqual(e.exception.response["Error"]["Code"], "ConflictException")
        self.sch.update_schedule(Name="nightly", GroupName="batch", ScheduleExpression="cron(0 4 * * ? *)",
                                 FlexibleTimeWindow=OFF, State="DISABLED", Target=target)
        s = self.sch.get_schedule(Name="nightly", GroupName="batch")
        self.assertEqual((s["ScheduleExpression"], s["State"]), ("cron(0 4 * * ? *)", "DISABLED"))
        listed = self.sch.list_schedules(GroupName="batch")["Schedules"]
        self.assertEqual([x["Name"] for x in listed], ["nightly"])
        self.assertEqual(listed[0]["Target"]["Arn"], queue_arn("q"))
        for expr in ("cron(0 2 * * * *)", "rate(0 hours)", "at(2027-13-01T00:00:00)"):
            with self.assertRaises(ClientError) as e:
                self.sch.create_schedule(Name="bad", ScheduleExpression=expr, FlexibleTimeWindow=OFF, Target=target)
            self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException", expr)
        with self.assertRaises(ClientError) as e:
            self.sch.create_schedule(Name="bad", ScheduleExpression="rate(1 day)", ScheduleExpressionTimezone="Mars/Base",
                                     FlexibleTimeWindow=OFF, Target=target)
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        for policy in ({"MaximumRetryAttempts": 186}, {"MaximumEventAgeInSeconds": 86401}):  # botocore checks minimums
            with self.assertRaises(ClientError) as e:
                self.sch.create_schedule(Name="bad", ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF,
                                         Target=dict(target, RetryPolicy=policy))
            self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException", policy)
        with self.assertRaises(ClientError) as e:
            self.sch.get_schedule(Name="nope")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")
        self.sch.delete_schedule_group(Name="batch")
        with self.assertRaises(ClientError) as e:
            self.sch.get_schedule(Name="nightly", GroupName="batch")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")


    def test_lists_page_with_next_token_and_max_results(self):
        target = {"Arn": queue_arn("q"), "RoleArn": ROLE}
        for i in range(5):
            self.sch.create_schedule(Name="page-%d" % i, ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF,
                                     Target=target, State="DISABLED")
        pages = list(self.sch.get_paginator("list_schedules").paginate(NamePrefix="page-", MaxResults=2))
        self.assertEqual([len(p["Schedules"]) for p in pages], [2, 2, 1])
        self.assertEqual([s["Name"] for p in pages for s in p["Schedules"]], ["page-%d" % i for i in range(5)])
        for name in ("page-g1", "page-g2", "page-g3"):
            self.sch.create_schedule_group(Name=name)
        groups = [g["Name"] for p in self.sch.get_paginator("list_schedule_groups").paginate(
            NamePrefix="page-", MaxResults=1) for g in p["ScheduleGroups"]]
        self.assertEqual(groups, ["page-g1", "page-g2", "page-g3"])
        for call in (lambda: self.sch.list_schedules(NextToken="not-a-token"),
                     lambda: self.sch.list_schedule_groups(NextToken="not-a-token"),
                     lambda: self.sch.list_schedules(MaxResults=1001)):
            with self.assertRaises(ClientError) as e:
                call()
            self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        for i in range(5):
            self.sch.delete_schedule(Name="page-%d" % i)
        for name in ("page-g1", "page-g2", "page-g3"):
            self.sch.delete_schedule_group(Name=name)


if __name__ == "__main__":
    unittest.main()
