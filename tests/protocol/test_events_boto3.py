"""EventBridge (JSON 1.1, AWSEvents.*) with boto3 against `cardsim serve --clock virtual`: rules
that really fire, PutEvents with patterns, every target kind, input shaping, retries and DLQ, errors."""
import json
import unittest

from botocore.exceptions import ClientError

from events_support import (ROLE, VirtualSimCase, advance, drain, function_arn, invocations, pass_machine,
                            queue_arn)


class EventsCase(VirtualSimCase):
    clients = {"events": "events", "sqs": "sqs", "sfn": "stepfunctions"}

    def test_daily_rule_starts_a_state_machine_thirty_times_in_a_virtual_month(self):
        sm = self.sfn.create_state_machine(name="statement", definition=pass_machine(), roleArn=ROLE)["stateMachineArn"]
        self.events.put_rule(Name="statement-daily", ScheduleExpression="cron(0 3 * * ? *)")
        r = self.events.put_targets(Rule="statement-daily", Targets=[{"Id": "sfn", "Arn": sm, "RoleArn": ROLE}])
        self.assertEqual(r["FailedEntryCount"], 0)
        advance(self.sim, "P30D")
        executions = self.sfn.list_executions(stateMachineArn=sm, maxResults=1000)["executions"]
        self.assertEqual(len(executions), 30)
        first = min(executions, key=lambda e: e["startDate"])
        detail = self.sfn.describe_execution(executionArn=first["executionArn"])
        event = json.loads(detail["input"])
        self.assertEqual(event["detail-type"], "Scheduled Event")
        self.assertEqual(event["source"], "aws.events")
        self.assertTrue(event["time"].endswith("T03:00:00Z"))
        self.events.remove_targets(Rule="statement-daily", Ids=["sfn"])
        self.events.delete_rule(Name="statement-daily")

    def test_rate_rule_to_sqs_and_disable(self):
        url = self.queue("ticks")
        self.events.put_rule(Name="tick", ScheduleExpression="rate(1 hour)")
        self.events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": queue_arn("ticks"), "Input": '{"tick":true}'}])
        advance(self.sim, "PT3H")
        got = drain(self.sqs, url)
        self.assertEqual(len(got), 3)
        self.assertEqual(json.loads(got[0]["Body"]), {"tick": True})
        self.events.disable_rule(Name="tick")
        self.assertEqual(self.events.describe_rule(Name="tick")["State"], "DISABLED")
        advance(self.sim, "PT3H")
        self.assertEqual(drain(self.sqs, url), [])
        self.events.enable_rule(Name="tick")
        advance(self.sim, "PT1H")
        self.assertEqual(len(drain(self.sqs, url)), 1)
        self.events.remove_targets(Rule="tick", Ids=["q"])
        self.events.delete_rule(Name="tick")

    def test_put_events_matches_patterns_and_shapes_input(self):
        url = self.queue("alerts")
        pattern = {"source": ["cardsim.payments"], "detail": {"amount": [{"numeric": [">=", 100000]}],
                                                             "merchant": {"country": [{"anything-but": "JP"}]}}}
        self.events.put_rule(Name="big-foreign", EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule="big-foreign", Targets=[
            {"Id": "q", "Arn": queue_arn("alerts"),
             "InputTransformer": {"InputPathsMap": {"amt": "$.detail.amount", "user": "$.detail.user"},
                                  "InputTemplate": '{"message": "<user> spent <amt>", "rule": "<aws.events.rule-name>"}'}},
            {"Id": "rec", "Arn": function_arn("cardsim-record"), "InputPath": "$.detail"}])
        r = self.events.put_events(Entries=[
            {"Source": "cardsim.payments", "DetailType": "Payment",
             "Detail": json.dumps({"amount": 150000, "user": "u1", "merchant": {"country": "US"}})},
            {"Source": "cardsim.payments", "DetailType": "Payment",
             "Detail": json.dumps({"amount": 150000, "user": "u2", "merchant": {"country": "JP"}})},
            {"Source": "cardsim.payments", "DetailType": "Payment", "Detail": "not json"}])
        self.assertEqual(r["FailedEntryCount"], 1)
        self.assertIn("EventId", r["Entries"][0])
        self.assertEqual(r["Entries"][2]["ErrorCode"], "MalformedDetail")
        got = drain(self.sqs, url, expect=1)
        self.assertEqual(len(got), 1)
        self.assertEqual(json.loads(got[0]["Body"]), {"message": "u1 spent 150000", "rule": "big-foreign"})
        recorded = invocations(self.sim, "cardsim-record", expect=1)
        self.assertIn({"amount": 150000, "user": "u1", "merchant": {"country": "US"}}, recorded)

    def test_failed_target_is_retried_then_dead_lettered(self):
        dlq = self.queue("rule-dlq")
        self.events.put_rule(Name="to-nowhere", EventPattern=json.dumps({"source": ["x.y"]}))
        self.events.put_targets(Rule="to-nowhere", Targets=[{
            "Id": "gone", "Arn": queue_arn("does-not-exist"),
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": queue_arn("rule-dlq")}}])
        self.events.put_events(Entries=[{"Source": "x.y", "DetailType": "t", "Detail": "{}"}])
        advance(self.sim, "PT10M")
        got = drain(self.sqs, dlq, expect=1)
        self.assertEqual(len(got), 1)
        attrs = got[0]["MessageAttributes"]
        self.assertEqual(attrs["ERROR_CODE"]["StringValue"], "SQS.QueueDoesNotExist")
        self.assertTrue(attrs["RULE_ARN"]["StringValue"].endswith(":rule/to-nowhere"))
        self.assertEqual(json.loads(got[0]["Body"])["source"], "x.y")

    def test_rule_and_target_crud(self):
        arn = self.events.put_rule(Name="crud", EventPattern='{"source":["a"]}', Description="d")["RuleArn"]
        self.assertTrue(arn.endswith(":rule/crud"))
        d = self.events.describe_rule(Name="crud")
        self.assertEqual((d["Name"], d["State"], d["Description"]), ("crud", "ENABLED", "d"))
        self.assertIn("crud", [r["Name"] for r in self.events.list_rules(NamePrefix="cr")["Rules"]])
        self.events.put_targets(Rule="crud", Targets=[{"Id": "a", "Arn": queue_arn("q1")},
                                                      {"Id": "b", "Arn": function_arn("cardsim-echo")}])
        self.assertEqual(sorted(t["Id"] for t in self.events.list_targets_by_rule(Rule="crud")["Targets"]), ["a", "b"])
        with self.assertRaises(ClientError) as e:
            self.events.delete_rule(Name="crud")
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        r = self.events.remove_targets(Rule="crud", Ids=["a", "b", "zzz"])
        self.assertEqual(r["FailedEntryCount"], 1)
        self.events.delete_rule(Name="crud")
        with self.assertRaises(ClientError) as e:
            self.events.describe_rule(Name="crud")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_bad_input_gets_aws_errors(self):
        for expr in ("cron(0 3 * * * *)", "rate(1 minutes)", "cron(0 3 ? * 2#6 *)", "every day"):
            with self.assertRaises(ClientError) as e:
                self.events.put_rule(Name="bad", ScheduleExpression=expr)
            self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException", expr)
        with self.assertRaises(ClientError) as e:
            self.events.put_rule(Name="bad", EventPattern='{"source": "not-a-list"}')
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidEventPatternException")
        with self.assertRaises(ClientError) as e:
            self.events.put_targets(Rule="missing", Targets=[{"Id": "a", "Arn": queue_arn("q")}])
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")
        self.events.put_rule(Name="targets-check", EventPattern='{"source":["a"]}')
        r = self.events.put_targets(Rule="targets-check", Targets=[{"Id": "t", "Arn": "arn:aws:sns:us-east-1:000000000000:t"}])
        self.assertEqual(r["FailedEntryCount"], 1)
        self.assertEqual(r["FailedEntries"][0]["ErrorCode"], "ValidationException")

    def test_test_event_pattern(self):
        event = {"id": "1", "account": "000000000000", "source": "cardsim.app", "time": "2027-01-01T00:00:00Z",
                 "region": "us-east-1", "resources": [], "detail-type": "x", "detail": {"n": 5}}
        yes = self.events.test_event_pattern(EventPattern='{"detail":{"n":[{"numeric":[">",1]}]}}', Event=json.dumps(event))
        no = self.events.test_event_pattern(EventPattern='{"detail":{"n":[{"numeric":[">",9]}]}}', Event=json.dumps(event))
        self.assertTrue(yes["Result"])
        self.assertFalse(no["Result"])


    def test_list_operations_page_with_next_token_and_limit(self):
        pattern = json.dumps({"source": ["paging"]})
        for i in range(5):
            self.events.put_rule(Name="page-%d" % i, EventPattern=pattern)
        for i in (0, 2, 4):
            self.events.put_targets(Rule="page-%d" % i, Targets=[{"Id": "q", "Arn": queue_arn("paged")}])
        self.events.put_targets(Rule="page-4", Targets=[{"Id": "r", "Arn": queue_arn("r")}, {"Id": "s", "Arn": queue_arn("s")}])
        pages = list(self.events.get_paginator("list_rules").paginate(NamePrefix="page-", Limit=2))
        self.assertEqual([len(p["Rules"]) for p in pages], [2, 2, 1])
        self.assertEqual([r["Name"] for p in pages for r in p["Rules"]], ["page-%d" % i for i in range(5)])
        self.assertNotIn("NextToken", pages[-1])
        names = [n for p in self.events.get_paginator("list_rule_names_by_target").paginate(
            TargetArn=queue_arn("paged"), Limit=1) for n in p["RuleNames"]]
        self.assertEqual(names, ["page-0", "page-2", "page-4"])
        first = self.events.list_targets_by_rule(Rule="page-4", Limit=2)
        self.assertEqual([t["Id"] for t in first["Targets"]], ["q", "r"])
        rest = self.events.list_targets_by_rule(Rule="page-4", Limit=2, NextToken=first["NextToken"])
        self.assertEqual([t["Id"] for t in rest["Targets"]], ["s"])
        self.assertNotIn("NextToken", rest)
        for call in (lambda: self.events.list_rules(NextToken="not-a-token"),
                     lambda: self.events.list_rules(Limit=101),
                     lambda: self.events.list_targets_by_rule(Rule="page-4", NextToken="garbage"),
                     lambda: self.events.list_rule_names_by_target(TargetArn=queue_arn("paged"), NextToken="x")):
            with self.assertRaises(ClientError) as e:
                call()
            self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        for i in range(5):
            self.events.delete_rule(Name="page-%d" % i, Force=True)


    def test_custom_event_buses(self):
        url = self.queue("bus-alerts")
        arn = self.events.create_event_bus(Name="payments", Description="card payments")["EventBusArn"]
        self.assertEqual(arn, "arn:aws:events:us-east-1:000000000000:event-bus/payments")
        d = self.events.describe_event_bus(Name="payments")
        self.assertEqual((d["Name"], d["Arn"], d["Description"]), ("payments", arn, "card payments"))
        self.assertEqual(self.events.describe_event_bus()["Name"], "default")
        first = self.events.list_event_buses(Limit=1)  # botocore has no paginator for it
        rest = self.events.list_event_buses(Limit=1, NextToken=first["NextToken"])
        self.assertEqual([b["Name"] for b in first["EventBuses"] + rest["EventBuses"]], ["default", "payments"])
        self.assertNotIn("NextToken", rest)
        rule = self.events.put_rule(Name="big", EventBusName="payments",
                                    EventPattern=json.dumps({"source": ["cardsim.payments"]}))["RuleArn"]
        self.assertEqual(rule, "arn:aws:events:us-east-1:000000000000:rule/payments/big")
        self.events.put_targets(Rule="big", EventBusName=arn, Targets=[{"Id": "q", "Arn": queue_arn("bus-alerts")}])
        self.assertEqual([r["Name"] for r in self.events.list_rules(EventBusName="payments")["Rules"]], ["big"])
        self.assertNotIn("big", [r["Name"] for r in self.events.list_rules()["Rules"]])
        self.assertEqual(self.events.describe_rule(Name="big", EventBusName="payments")["EventBusName"], "payments")
        r = self.events.put_events(Entries=[
            {"Source": "cardsim.payments", "DetailType": "Payment", "Detail": '{"n":1}', "EventBusName": "payments"},
            {"Source": "cardsim.payments", "DetailType": "Payment", "Detail": '{"n":2}'},
            {"Source": "cardsim.payments", "DetailType": "Payment", "Detail": '{"n":3}', "EventBusName": "nope"}])
        self.assertEqual(r["FailedEntryCount"], 1)
        got = drain(self.sqs, url, 1)
        self.assertEqual([json.loads(m["Body"])["detail"] for m in got], [{"n": 1}])
        errors = [
            (lambda: self.events.create_event_bus(Name="payments"), "ResourceAlreadyExistsException"),
            (lambda: self.events.describe_event_bus(Name="nope"), "ResourceNotFoundException"),
            (lambda: self.events.list_rules(EventBusName="nope"), "ResourceNotFoundException"),
            (lambda: self.events.put_rule(Name="x", EventBusName="nope", EventPattern='{"source":["a"]}'),
             "ResourceNotFoundException"),
            (lambda: self.events.put_rule(Name="tick", EventBusName="payments", ScheduleExpression="rate(1 hour)"),
             "ValidationException"),
            (lambda: self.events.delete_event_bus(Name="payments"), "ValidationException"),  # it has rules
            (lambda: self.events.delete_event_bus(Name="default"), "ValidationException"),
        ]
        for call, code in errors:
            with self.assertRaises(ClientError) as e:
                call()
            self.assertEqual(e.exception.response["Error"]["Code"], code)
        self.events.delete_rule(Name="big", EventBusName="payments", Force=True)
        self.events.delete_event_bus(Name="payments")
        self.events.delete_event_bus(Name="payments")  # a missing bus: no error, as AWS
        self.assertEqual([b["Name"] for b in self.events.list_event_buses()["EventBuses"]], ["default"])


if __name__ == "__main__":
    unittest.main()
