"""Step Functions over JSON 1.0 with boto3: every operation, its errors and the integrations, against
the real `cardsim serve` on a virtual clock."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from cardsim_process import CardsimProcess  # noqa: E402

for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
    os.environ.setdefault(k, v)

from botocore.exceptions import ClientError  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/sfn"
ACCOUNT = "000000000000"


def client(sim, service="stepfunctions"):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url="http://127.0.0.1:%d" % sim.ports["aws"], region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))


def advance(sim, duration):
    status, body = sim.json("POST", "/_sim/clock", {"advance": duration})
    assert status == 200, body


def pass_chain():
    return json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"n": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Pass", "End": True}}})


def wait_then_pass(seconds=3600):
    return json.dumps({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": seconds, "Next": "P"},
        "P": {"Type": "Pass", "Result": "done", "End": True}}})


class SfnCase(unittest.TestCase):
    extra_args = ()
    counter = 0

    @classmethod
    def setUpClass(cls):
        cls.sim = CardsimProcess("--clock", "virtual", *cls.extra_args).start()
        cls.sfn = client(cls.sim)
        cls.counter = 0

    @classmethod
    def tearDownClass(cls):
        cls.sim.__exit__(None, None, None)

    def machine(self, definition, type_="STANDARD", **kwargs):
        SfnCase.counter += 1
        name = "m%d-%s" % (SfnCase.counter, self._testMethodName[5:40].replace("_", "-"))
        return self.sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE, type=type_,
                                             **kwargs)["stateMachineArn"]

    def assertError(self, code, fn, *args, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception.response)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        return cm.exception.response["Error"]["Message"]

    def settle(self):
        """Runs the server's loop to quiescence without moving time: work an execution handed to
        in-process integrations (SQS, S3, child executions) finishes before the next assertion,
        instead of racing the test's next request."""
        advance(self.sim, "PT0S")

    def describe(self, arn):
        self.settle()
        return self.sfn.describe_execution(executionArn=arn)

    def history(self, arn, **kwargs):
        self.settle()
        return self.sfn.get_execution_history(executionArn=arn, **kwargs)["events"]


class StateMachines(SfnCase):
    def test_create_describe_list_update_delete(self):
        arn = self.machine(pass_chain(), loggingConfiguration={"level": "OFF"})
        self.assertTrue(arn.startswith("arn:aws:states:us-east-1:%s:stateMachine:m" % ACCOUNT), arn)
        d = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual(d["definition"], pass_chain())
        self.assertEqual(d["roleArn"], ROLE)
        self.assertEqual(d["type"], "STANDARD")
        self.assertEqual(d["status"], "ACTIVE")
        self.assertIn("revisionId", d)
        names = [m["stateMachineArn"] for m in self.sfn.list_state_machines()["stateMachines"]]
        self.assertIn(arn, names)
        # Same definition again: idempotent; a different one: StateMachineAlreadyExists.
        name = d["name"]
        self.assertEqual(self.sfn.create_state_machine(name=name, definition=pass_chain(), roleArn=ROLE)["stateMachineArn"], arn)
        self.assertError("StateMachineAlreadyExists", self.sfn.create_state_machine, name=name,
                         definition=wait_then_pass(), roleArn=ROLE)
        upd = self.sfn.update_state_machine(stateMachineArn=arn, definition=wait_then_pass())
        self.assertNotEqual(upd["revisionId"], d["revisionId"])
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=arn)["definition"], wait_then_pass())
        self.sfn.delete_state_machine(stateMachineArn=arn)
        self.assertError("StateMachineDoesNotExist", self.sfn.describe_state_machine, stateMachineArn=arn)

    def test_invalid_definition_reports_every_problem(self):
        bad = json.dumps({"StartAt": "Nowhere", "States": {
            "A": {"Type": "Pass", "Next": "Missing"},
            "B": {"Type": "Wait", "End": True},
            "C": {"Type": "Bogus", "End": True}}})
        message = self.assertError("InvalidDefinition", self.sfn.create_state_machine, name="bad",
                                   definition=bad, roleArn=ROLE)
        for fragment in ("Nowhere", "Missing", "/States/B", "/States/C"):
            self.assertIn(fragment, message)
        self.assertError("InvalidDefinition", self.sfn.create_state_machine, name="bad2",
                         definition="{not json", roleArn=ROLE)
        arn = self.machine(pass_chain())
        self.assertError("InvalidDefinition", self.sfn.update_state_machine, stateMachineArn=arn, definition=bad)

    def test_names_and_arns_are_validated(self):
        self.assertError("InvalidName", self.sfn.create_state_machine, name="has space", definition=pass_chain(),
                         roleArn=ROLE)
        self.assertError("InvalidArn", self.sfn.describe_state_machine, stateMachineArn="not-an-arn")
        self.assertError("InvalidArn", self.sfn.describe_execution, executionArn="arn:aws:states:us-east-1:1:nope")
        self.assertError("StateMachineDoesNotExist", self.sfn.start_execution,
                         stateMachineArn="arn:aws:states:us-east-1:%s:stateMachine:ghost" % ACCOUNT)
        self.assertError("ExecutionDoesNotExist", self.sfn.describe_execution,
                         executionArn="arn:aws:states:us-east-1:%s:execution:ghost:x" % ACCOUNT)
        arn = self.machine(pass_chain())
        self.assertError("InvalidName", self.sfn.start_execution, stateMachineArn=arn, name="a/b")
        self.assertError("InvalidExecutionInput", self.sfn.start_execution, stateMachineArn=arn, input="{oops")

    def test_list_state_machines_pages(self):
        arns = [self.machine(pass_chain()) for _ in range(3)]
        seen, token = [], None
        while True:
            kwargs = {"maxResults": 2}
            if token:
                kwargs["nextToken"] = token
            page = self.sfn.list_state_machines(**kwargs)
            seen += [m["stateMachineArn"] for m in page["stateMachines"]]
            token = page.get("nextToken")
            if not token:
                break
        for arn in arns:
            self.assertIn(arn, seen)
        self.assertEqual(len(seen), len(set(seen)))

    def test_tags(self):
        arn = self.machine(pass_chain(), tags=[{"key": "team", "value": "cards"}])
        self.sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "sim"}])
        tags = {t["key"]: t["value"] for t in self.sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
        self.assertEqual(tags, {"team": "cards", "env": "sim"})
        self.sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
        self.assertEqual(self.sfn.list_tags_for_resource(resourceArn=arn)["tags"], [{"key": "env", "value": "sim"}])
        self.assertError("ResourceNotFound", self.sfn.list_tags_for_resource,
                         resourceArn="arn:aws:states:us-east-1:%s:stateMachine:ghost" % ACCOUNT)


class Executions(SfnCase):
    def test_pass_chain_succeeds_with_history(self):
        arn = self.machine(pass_chain())
        ex = self.sfn.start_execution(stateMachineArn=arn, name="one", input='{"x": 1}')
        d = self.describe(ex["executionArn"])
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"]), {"x": 1, "a": {"n": 1}})
        self.assertEqual(d["name"], "one")
        self.assertIn("stopDate", d)
        events = self.history(ex["executionArn"])
        self.assertEqual([e["type"] for e in events],
                         ["ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered",
                          "PassStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"])
        self.assertEqual([e["id"] for e in events], list(range(1, 9)))
        self.assertEqual([e["previousEventId"] for e in events], list(range(0, 8)))
        self.assertEqual(json.loads(events[0]["executionStartedEventDetails"]["input"]), {"x": 1})
        self.assertEqual(events[0]["executionStartedEventDetails"]["roleArn"], ROLE)
        self.assertEqual(events[1]["stateEnteredEventDetails"]["name"], "A")
        self.assertEqual(json.loads(events[2]["stateExitedEventDetails"]["output"]), {"x": 1, "a": {"n": 1}})
        self.assertIn("executionSucceededEventDetails", events[-1])
        # reverse order and paging
        rev = self.history(ex["executionArn"], reverseOrder=True)
        self.assertEqual([e["id"] for e in rev], list(range(8, 0, -1)))
        page1 = self.sfn.get_execution_history(executionArn=ex["executionArn"], maxResults=3)
        self.assertEqual([e["id"] for e in page1["events"]], [1, 2, 3])
        page2 = self.sfn.get_execution_history(executionArn=ex["executionArn"], maxResults=3,
                                               nextToken=page1["nextToken"])
        self.assertEqual([e["id"] for e in page2["events"]], [4, 5, 6])
        lean = self.history(ex["executionArn"], includeExecutionData=False)
        self.assertNotIn("input", lean[0]["executionStartedEventDetails"])
        self.assertError("InvalidToken", self.sfn.get_execution_history, executionArn=ex["executionArn"],
                         nextToken="garbage")

    def test_describe_state_machine_for_execution_keeps_the_started_definition(self):
        arn = self.machine(wait_then_pass())
        ex = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        self.sfn.update_state_machine(stateMachineArn=arn, definition=pass_chain())
        d = self.sfn.describe_state_machine_for_execution(executionArn=ex)
        self.assertEqual(d["definition"], wait_then_pass())
        self.assertEqual(d["stateMachineArn"], arn)
        self.assertError("ExecutionDoesNotExist", self.sfn.describe_state_machine_for_execution,
                         executionArn=ex + "nope")

    def test_start_execution_is_idempotent_for_same_name_and_input(self):
        arn = self.machine(wait_then_pass())
        a = self.sfn.start_execution(stateMachineArn=arn, name="same", input='{"k": 1}')
        b = self.sfn.start_execution(stateMachineArn=arn, name="same", input='{"k": 1}')
        self.assertEqual(a["executionArn"], b["executionArn"])
        self.assertEqual(a["startDate"], b["startDate"])
        self.assertError("ExecutionAlreadyExists", self.sfn.start_execution, stateMachineArn=arn, name="same",
                         input='{"k": 2}')

    def test_wait_runs_on_the_virtual_clock_and_stop_aborts(self):
        arn = self.machine(wait_then_pass(3600))
        done = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        stopped = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        self.assertEqual(self.describe(done)["status"], "RUNNING")
        resp = self.sfn.stop_execution(executionArn=stopped, error="Halt", cause="test")
        self.assertIn("stopDate", resp)
        d = self.describe(stopped)
        self.assertEqual((d["status"], d["error"], d["cause"]), ("ABORTED", "Halt", "test"))
        self.assertEqual(self.history(stopped)[-1]["type"], "ExecutionAborted")
        self.assertEqual(self.history(stopped)[-1]["executionAbortedEventDetails"]["error"], "Halt")
        advance(self.sim, "PT1H")
        self.assertEqual(self.describe(done)["status"], "SUCCEEDED")

    def test_list_executions_filters_and_pages(self):
        arn = self.machine(wait_then_pass(60))
        arns = [self.sfn.start_execution(stateMachineArn=arn, name="e%d" % i)["executionArn"] for i in range(5)]
        self.sfn.stop_execution(executionArn=arns[0])
        listed = self.sfn.list_executions(stateMachineArn=arn)["executions"]
        self.assertEqual([e["executionArn"] for e in listed], list(reversed(arns)))
        running = self.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
        self.assertEqual(len(running), 4)
        aborted = self.sfn.list_executions(stateMachineArn=arn, statusFilter="ABORTED")["executions"]
        self.assertEqual([e["executionArn"] for e in aborted], [arns[0]])
        page = self.sfn.list_executions(stateMachineArn=arn, maxResults=2)
        self.assertEqual(len(page["executions"]), 2)
        rest = self.sfn.list_executions(stateMachineArn=arn, maxResults=10, nextToken=page["nextToken"])
        self.assertEqual([e["executionArn"] for e in page["executions"] + rest["executions"]], list(reversed(arns)))
        self.assertError("StateMachineDoesNotExist", self.sfn.list_executions,
                         stateMachineArn="arn:aws:states:us-east-1:%s:stateMachine:ghost" % ACCOUNT)

    def test_failures_are_reported_with_error_and_cause(self):
        arn = self.machine(json.dumps({"StartAt": "F", "States": {
            "F": {"Type": "Fail", "Error": "Card.Declined", "Cause": "limit"}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        d = self.describe(ex)
        self.assertEqual((d["status"], d["error"], d["cause"]), ("FAILED", "Card.Declined", "limit"))
        last = self.history(ex)[-1]
        self.assertEqual(last["type"], "ExecutionFailed")
        self.assertEqual(last["executionFailedEventDetails"], {"error": "Card.Declined", "cause": "limit"})

    def test_start_sync_execution_for_express(self):
        arn = self.machine(pass_chain(), type_="EXPRESS")
        r = self.sfn.start_sync_execution(stateMachineArn=arn, input='{"y": 2}')
        self.assertEqual(r["status"], "SUCCEEDED")
        self.assertEqual(json.loads(r["output"]), {"y": 2, "a": {"n": 1}})
        self.assertIn(":express:", r["executionArn"])
        self.assertIn("billingDetails", r)
        standard = self.machine(pass_chain())
        self.assertError("StateMachineTypeNotSupported", self.sfn.start_sync_execution, stateMachineArn=standard)
        # A failing EXPRESS execution still answers 200, with the error and cause (AWS's note).
        failing = self.machine(json.dumps({"StartAt": "F", "States": {
            "F": {"Type": "Fail", "Error": "Card.Declined", "Cause": "limit"}}}), type_="EXPRESS")
        r = self.sfn.start_sync_execution(stateMachineArn=failing, name="sync-fail")
        self.assertEqual((r["status"], r["error"], r["cause"]), ("FAILED", "Card.Declined", "limit"))
        self.assertNotIn("output", r)
        self.assertIn(":express:", r["executionArn"])
        self.assertError("InvalidExecutionInput", self.sfn.start_sync_execution, stateMachineArn=failing,
                         input="{nope")
        self.assertError("InvalidName", self.sfn.start_sync_execution, stateMachineArn=failing, name="a b")
        self.assertError("StateMachineDoesNotExist", self.sfn.start_sync_execution,
                         stateMachineArn="arn:aws:states:us-east-1:%s:stateMachine:ghost" % ACCOUNT)

    def test_map_and_parallel_history_shapes(self):
        arn = self.machine(json.dumps({"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
                "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}, "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn, input='{"items": [1, 2]}')["executionArn"]
        events = self.history(ex)
        started = [e for e in events if e["type"] == "MapStateStarted"][0]
        self.assertEqual(started["mapStateStartedEventDetails"], {"length": 2})
        iterations = [e["mapIterationStartedEventDetails"] for e in events if e["type"] == "MapIterationStarted"]
        self.assertEqual([i["index"] for i in iterations], [0, 1])
        self.assertEqual(json.loads(self.describe(ex)["output"]), [1, 2])


class Callbacks(SfnCase):
    def test_wait_for_task_token_through_sqs(self):
        sqs = client(self.sim, "sqs")
        url = sqs.create_queue(QueueName="sfn-callbacks")["QueueUrl"]
        arn = self.machine(json.dumps({"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token", "who.$": "$.who"}},
            "HeartbeatSeconds": 600, "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn, input='{"who": "officer"}')["executionArn"]
        self.settle()
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
        self.assertEqual(len(msgs), 1)
        body = json.loads(msgs[0]["Body"])
        self.assertEqual(body["who"], "officer")
        self.sfn.send_task_heartbeat(taskToken=body["token"])
        self.assertEqual(self.describe(ex)["status"], "RUNNING")
        self.sfn.send_task_success(taskToken=body["token"], output='{"approved": true}')
        d = self.describe(ex)
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertEqual(json.loads(d["output"]), {"approved": True})
        types = [e["type"] for e in self.history(ex)]
        self.assertIn("TaskScheduled", types)
        scheduled = [e for e in self.history(ex) if e["type"] == "TaskScheduled"][0]["taskScheduledEventDetails"]
        self.assertEqual((scheduled["resourceType"], scheduled["resource"]), ("sqs", "sendMessage.waitForTaskToken"))
        self.assertEqual(scheduled["region"], "us-east-1")
        self.assertError("TaskDoesNotExist", self.sfn.send_task_success, taskToken=body["token"], output="{}")
        self.assertError("InvalidToken", self.sfn.send_task_failure, taskToken="not-a-token")
        self.assertError("InvalidToken", self.sfn.send_task_heartbeat, taskToken="not-a-token")

    def test_send_task_failure_fails_the_execution(self):
        sqs = client(self.sim, "sqs")
        url = sqs.create_queue(QueueName="sfn-failures")["QueueUrl"]
        arn = self.machine(json.dumps({"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"}, "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        self.settle()
        token = sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]
        self.sfn.send_task_failure(taskToken=token, error="Review.Rejected", cause="no")
        d = self.describe(ex)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "Review.Rejected"))

    def test_sqs_error_is_catchable(self):
        arn = self.machine(json.dumps({"StartAt": "Send", "States": {
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Parameters": {"QueueUrl": "http://localhost/000000000000/missing", "MessageBody": "x"},
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True},
            "Caught": {"Type": "Pass", "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        d = self.describe(ex)
        self.assertEqual(d["status"], "SUCCEEDED")
        self.assertTrue(json.loads(d["output"])["Error"].startswith("SQS."), d["output"])

    def test_s3_put_and_get_object(self):
        s3 = client(self.sim, "s3")
        s3.create_bucket(Bucket="sfn-bucket")
        arn = self.machine(json.dumps({"StartAt": "Put", "States": {
            "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                    "Parameters": {"Bucket": "sfn-bucket", "Key": "a/b.json", "Body.$": "$.doc"},
                    "ResultPath": "$.put", "Next": "Get"},
            "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket": "sfn-bucket", "Key": "a/b.json"},
                    "ResultSelector": {"body.$": "States.StringToJson($.Body)"}, "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn, input='{"doc": {"amount": 1200}}')["executionArn"]
        d = self.describe(ex)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"body": {"amount": 1200}})
        self.assertEqual(json.loads(s3.get_object(Bucket="sfn-bucket", Key="a/b.json")["Body"].read()), {"amount": 1200})
        missing = self.machine(json.dumps({"StartAt": "Get", "States": {
            "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket": "sfn-bucket", "Key": "nope"}, "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=missing)["executionArn"]
        self.assertEqual(self.describe(ex)["error"], "S3.NoSuchKeyException")

    def test_distributed_map_reads_items_from_s3(self):
        s3 = client(self.sim, "s3")
        s3.create_bucket(Bucket="sfn-items")
        s3.put_object(Bucket="sfn-items", Key="rows.csv", Body=b"id,amount\n1,100\n2,250\n")
        arn = self.machine(json.dumps({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                                          "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                                          "Parameters": {"Bucket": "sfn-items", "Key": "rows.csv"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        d = self.describe(ex)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), [{"id": "1", "amount": "100"}, {"id": "2", "amount": "250"}])

    def test_start_execution_sync_waits_for_the_child(self):
        child = self.machine(wait_then_pass(600))
        parent = self.machine(json.dumps({"StartAt": "Run", "States": {"Run": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child, "Input": {"from": "parent"}}, "End": True}}}))
        fire = self.machine(json.dumps({"StartAt": "Run", "States": {"Run": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
            "Parameters": {"StateMachineArn": child}, "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=parent)["executionArn"]
        self.assertEqual(self.describe(ex)["status"], "RUNNING")
        ff = self.sfn.start_execution(stateMachineArn=fire)["executionArn"]
        self.assertIn("ExecutionArn", json.loads(self.describe(ff)["output"]))
        advance(self.sim, "PT10M")
        d = self.describe(ex)
        self.assertEqual(d["status"], "SUCCEEDED")
        out = json.loads(d["output"])
        self.assertEqual((out["Status"], out["Output"], out["Input"]), ("SUCCEEDED", "done", {"from": "parent"}))

    def test_http_invoke_reaches_an_endpoint(self):
        url = "http://127.0.0.1:%d/_sim/health" % self.sim.ports["fakes"]
        arn = self.machine(json.dumps({"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
            "Parameters": {"ApiEndpoint": url, "Method": "GET",
                           "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:0:connection/x"}},
            "ResultSelector": {"status.$": "$.StatusCode"}, "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        # The call goes over TCP to the same process: let the loop run it.
        import time
        for _ in range(100):
            d = self.describe(ex)
            if d["status"] != "RUNNING":
                break
            time.sleep(0.02)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"status": "200"})

    def test_unknown_function_fails_with_lambda_error(self):
        arn = self.machine(json.dumps({"StartAt": "L", "States": {"L": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "nobody", "Payload": {}}, "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        self.assertEqual(self.describe(ex)["error"], "Lambda.ResourceNotFoundException")


class Redrive(SfnCase):
    def queue_urls(self, *names):
        """URLs for queues that do not exist yet (the format of one that does)."""
        sqs = client(self.sim, "sqs")
        probe = sqs.create_queue(QueueName="probe-%s" % self._testMethodName[-20:])["QueueUrl"]
        return sqs, [probe.rsplit("/", 1)[0] + "/" + n for n in names]

    def test_failed_execution_is_redriven_from_the_failed_state(self):
        sqs, (url,) = self.queue_urls("redrive-late-queue")
        arn = self.machine(json.dumps({"StartAt": "Prepare", "States": {
            "Prepare": {"Type": "Pass", "Result": "hello", "ResultPath": "$.msg", "Next": "Send"},
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                     "Parameters": {"QueueUrl": url, "MessageBody.$": "$.msg"}, "ResultSelector": {"sent": True},
                     "ResultPath": "$.send", "End": True}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn, name="fix-and-redrive")["executionArn"]
        d = self.describe(ex)
        self.assertEqual(d["status"], "FAILED")
        self.assertTrue(d["error"].startswith("SQS."), d)
        self.assertEqual((d["redriveCount"], d["redriveStatus"]), (0, "REDRIVABLE"))
        self.assertNotIn("redriveStatusReason", d)
        sqs.create_queue(QueueName="redrive-late-queue")  # the fix
        r = self.sfn.redrive_execution(executionArn=ex)
        self.assertIn("redriveDate", r)
        d = self.describe(ex)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"msg": "hello", "send": {"sent": True}})
        self.assertEqual(d["redriveCount"], 1)
        self.assertEqual(d["redriveDate"], r["redriveDate"])
        self.assertEqual((d["redriveStatus"], d["redriveStatusReason"]),
                         ("NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"))
        events = self.history(ex)
        types = [e["type"] for e in events]
        self.assertEqual(types.count("PassStateEntered"), 1)  # the successful step is not run again
        self.assertEqual(types.count("TaskStateEntered"), 2)
        redriven = [e for e in events if e["type"] == "ExecutionRedriven"]
        self.assertEqual(len(redriven), 1)
        self.assertEqual(redriven[0]["executionRedrivenEventDetails"], {"redriveCount": 1})
        self.assertEqual(types[types.index("ExecutionRedriven") - 1], "ExecutionFailed")
        self.assertEqual([e["id"] for e in events], list(range(1, len(events) + 1)))
        self.assertEqual(len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])), 1)
        listed = self.sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]
        self.assertEqual([(e["executionArn"], e["redriveCount"]) for e in listed], [(ex, 1)])
        self.assertIn("redriveDate", listed[0])
        self.assertEqual(self.sfn.list_executions(stateMachineArn=arn, redriveFilter="NOT_REDRIVEN")["executions"], [])
        message = self.assertError("ExecutionNotRedrivable", self.sfn.redrive_execution, executionArn=ex)
        self.assertIn("SUCCEEDED", message)

    def test_map_redrive_reruns_only_the_failed_iteration(self):
        sqs, (ok_url, late_url) = self.queue_urls("redrive-map-ok", "redrive-map-late")
        sqs.create_queue(QueueName="redrive-map-ok")
        arn = self.machine(json.dumps({"StartAt": "Fan", "States": {"Fan": {
            "Type": "Map", "ItemsPath": "$.queues", "MaxConcurrency": 1, "End": True,
            "ItemProcessor": {"StartAt": "Send", "States": {"Send": {
                "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl.$": "$", "MessageBody": "m"}, "ResultSelector": {"ok": True},
                "End": True}}}}}}))
        ex = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"queues": [ok_url, late_url]}))["executionArn"]
        self.assertEqual(self.describe(ex)["status"], "FAILED")
        sqs.create_queue(QueueName="redrive-map-late")
        self.sfn.redrive_execution(executionArn=ex, clientToken="redrive-once")
        d = self.describe(ex)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), [{"ok": True}, {"ok": True}])
        # Iteration 0 succeeded the first time and was not run again: one message in each queue.
        for url in (ok_url, late_url):
            self.assertEqual(len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])), 1)
        started = [e["mapIterationStartedEventDetails"]["index"] for e in self.history(ex)
                   if e["type"] == "MapIterationStarted"]
        self.assertEqual(started, [0, 1, 1])

    def test_aborted_execution_redrives_and_errors(self):
        arn = self.machine(wait_then_pass(3600))
        ex = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        message = self.assertError("ExecutionNotRedrivable", self.sfn.redrive_execution, executionArn=ex)
        self.assertIn("RUNNING", message)
        d = self.describe(ex)
        self.assertEqual((d["redriveStatus"], d["redriveStatusReason"]),
                         ("NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven"))
        self.sfn.stop_execution(executionArn=ex, error="Ops.Pause")
        self.assertEqual(self.describe(ex)["redriveStatus"], "REDRIVABLE")
        self.sfn.redrive_execution(executionArn=ex)
        d = self.describe(ex)
        self.assertEqual(d["status"], "RUNNING")
        self.assertNotIn("stopDate", d)
        advance(self.sim, "PT1H")
        self.assertEqual(self.describe(ex)["status"], "SUCCEEDED")
        self.assertError("ExecutionDoesNotExist", self.sfn.redrive_execution, executionArn=ex + "-ghost")
        self.assertError("InvalidArn", self.sfn.redrive_execution, executionArn="arn:aws:states:us-east-1:1:bogus")
        express = self.machine(pass_chain(), type_="EXPRESS")
        done = self.sfn.start_sync_execution(stateMachineArn=express)
        self.assertError("ExecutionDoesNotExist", self.sfn.redrive_execution, executionArn=done["executionArn"])


class TestState(SfnCase):
    def test_pass_state_with_inspection_data(self):
        state = {"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id", "n": 1},
                 "ResultPath": "$.out", "Next": "Charge"}
        r = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input='{"order": {"id": "o-1"}}',
                                inspectionLevel="DEBUG")
        self.assertEqual((r["status"], r["nextState"]), ("SUCCEEDED", "Charge"))
        self.assertEqual(json.loads(r["output"]), {"order": {"id": "o-1"}, "out": {"id": "o-1", "n": 1}})
        data = r["inspectionData"]
        self.assertEqual(json.loads(data["input"]), {"order": {"id": "o-1"}})
        self.assertEqual(json.loads(data["afterInputPath"]), {"id": "o-1"})
        self.assertEqual(json.loads(data["afterParameters"]), {"id": "o-1", "n": 1})
        self.assertEqual(json.loads(data["afterResultPath"]), {"order": {"id": "o-1"}, "out": {"id": "o-1", "n": 1}})
        info = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input='{"order": {"id": 2}}')
        self.assertNotIn("inspectionData", info)

    def test_task_state_calls_the_real_integration(self):
        sqs = client(self.sim, "sqs")
        url = sqs.create_queue(QueueName="test-state-queue")["QueueUrl"]
        state = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": url, "MessageBody.$": "$.text"},
                 "ResultSelector": {"id.$": "$.MessageId"}, "End": True}
        r = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input='{"text": "hi"}',
                                inspectionLevel="DEBUG")
        self.assertEqual(r["status"], "SUCCEEDED", r)
        self.assertNotIn("nextState", r)
        msgs = sqs.receive_message(QueueUrl=url).get("Messages", [])
        self.assertEqual([m["Body"] for m in msgs], ["hi"])
        self.assertEqual(json.loads(r["output"]), {"id": msgs[0]["MessageId"]})
        self.assertIn("MessageId", json.loads(r["inspectionData"]["result"]))
        self.assertEqual(json.loads(r["inspectionData"]["afterResultSelector"]), {"id": msgs[0]["MessageId"]})

    def test_http_task_at_trace_shows_request_and_response(self):
        url = "http://127.0.0.1:%d/_sim/health" % self.sim.ports["fakes"]
        state = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                 "Parameters": {"ApiEndpoint": url, "Method": "GET", "QueryParameters": {"probe": "1"}},
                 "ResultSelector": {"status.$": "$.StatusCode"}, "End": True}
        r = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, inspectionLevel="TRACE",
                                revealSecrets=True)
        self.assertEqual(r["status"], "SUCCEEDED", r)
        self.assertEqual(json.loads(r["output"]), {"status": "200"})
        request, response = r["inspectionData"]["request"], r["inspectionData"]["response"]
        self.assertEqual((request["method"], request["url"]), ("GET", url + "?probe=1"))
        self.assertEqual(response["statusCode"], "200")
        self.assertIn("status", json.loads(response["body"]))
        debug = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, inspectionLevel="DEBUG")
        self.assertNotIn("request", debug["inspectionData"])

    def test_retriable_caught_and_failed(self):
        state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "cardsim-fail", "Payload": {}},
                 "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 2,
                            "IntervalSeconds": 4, "BackoffRate": 2}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
                 "Next": "Done"}
        mock = {"errorOutput": {"error": "Lambda.TooManyRequestsException", "cause": "busy"}}
        r = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, mock=mock, inspectionLevel="DEBUG",
                                stateConfiguration={"retrierRetryCount": 1})
        self.assertEqual((r["status"], r["error"], r["cause"]), ("RETRIABLE", "Lambda.TooManyRequestsException", "busy"))
        self.assertEqual(r["inspectionData"]["errorDetails"], {"retryIndex": 0, "retryBackoffIntervalSeconds": 8})
        r = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, mock=mock, inspectionLevel="DEBUG",
                                stateConfiguration={"retrierRetryCount": 2}, input='{"k": 1}')
        self.assertEqual((r["status"], r["nextState"]), ("CAUGHT_ERROR", "Recover"))
        self.assertEqual(json.loads(r["output"]),
                         {"k": 1, "error": {"Error": "Lambda.TooManyRequestsException", "Cause": "busy"}})
        self.assertEqual(r["inspectionData"]["errorDetails"], {"catchIndex": 0})
        ok = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, mock={"result": '{"Payload": 7}'})
        self.assertEqual((ok["status"], ok["nextState"], json.loads(ok["output"])), ("SUCCEEDED", "Done", {"Payload": 7}))
        fail = self.sfn.test_state(definition=json.dumps({"Type": "Fail", "Error": "Card.Stolen", "Cause": "report"}),
                                   roleArn=ROLE)
        self.assertEqual((fail["status"], fail["error"], fail["cause"]), ("FAILED", "Card.Stolen", "report"))

    def test_state_of_a_machine_with_variables_and_errors(self):
        machine = {"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$limit", "NumericGreaterThan": 100, "Next": "High"}],
                  "Default": "Low"},
            "High": {"Type": "Succeed"}, "Low": {"Type": "Succeed"}}}
        r = self.sfn.test_state(definition=json.dumps(machine), roleArn=ROLE, stateName="B",
                                variables='{"limit": 500}')
        self.assertEqual((r["status"], r["nextState"]), ("SUCCEEDED", "High"))
        self.assertError("InvalidDefinition", self.sfn.test_state, definition='{"Type": "Pass"}', roleArn=ROLE)
        self.assertError("InvalidDefinition", self.sfn.test_state, definition="{nope", roleArn=ROLE)
        self.assertError("InvalidArn", self.sfn.test_state, definition='{"Type": "Succeed"}', roleArn="role")
        self.assertError("InvalidExecutionInput", self.sfn.test_state, definition='{"Type": "Succeed"}',
                         roleArn=ROLE, input="{nope")
        self.assertError("ValidationException", self.sfn.test_state, definition=json.dumps(machine), roleArn=ROLE,
                         stateName="Missing")
        self.assertError("ValidationException", self.sfn.test_state, definition=json.dumps({
            "Type": "Parallel", "End": True, "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}]}),
            roleArn=ROLE)
        self.assertError("ValidationException", self.sfn.test_state, definition='{"Type": "Succeed"}', roleArn=ROLE,
                         mock={"result": "1"})


class Errors(SfnCase):
    def test_remaining_error_codes(self):
        sqs = client(self.sim, "sqs")
        url = sqs.create_queue(QueueName="sfn-invalid-output")["QueueUrl"]
        arn = self.machine(json.dumps({"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"}, "End": True}}}))
        self.sfn.start_execution(stateMachineArn=arn)
        self.settle()
        token = sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]
        self.assertError("InvalidOutput", self.sfn.send_task_success, taskToken=token, output="{not json")
        self.assertError("TooManyTags", self.sfn.tag_resource, resourceArn=arn,
                         tags=[{"key": "k%d" % i, "value": "v"} for i in range(51)])
        self.assertError("ValidationException", self.sfn.list_executions, stateMachineArn=arn,
                         redriveFilter="SOMETIMES")
        import urllib.request
        req = urllib.request.Request("http://127.0.0.1:%d/" % self.sim.ports["aws"], data=b"{}", method="POST",
                                     headers={"X-Amz-Target": "AWSStepFunctions.NoSuchThing",
                                              "Content-Type": "application/x-amz-json-1.0"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req)
        self.assertIn("UnknownOperationException", cm.exception.read().decode())


MOCKS = {
    "StateMachines": {"mocked": {"TestCases": {
        "Happy": {"Charge": "ChargeOk"},
        "Retry": {"Charge": "ChargeFlaky"}}}},
    "MockedResponses": {
        "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": True}}}},
        "ChargeFlaky": {"0-1": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "flaky"}},
                        "2": {"Return": {"Payload": {"charged": "late"}}}}}}


class MockedIntegrations(SfnCase):
    @classmethod
    def setUpClass(cls):
        cls.mock_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(MOCKS, cls.mock_file)
        cls.mock_file.close()
        cls.extra_args = ("--sfn-mock-config", cls.mock_file.name)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.mock_file.name)

    def test_test_case_selects_mocked_responses(self):
        definition = json.dumps({"StartAt": "Charge", "States": {"Charge": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"}, "OutputPath": "$.Payload",
            "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 3}],
            "End": True}}})
        arn = self.sfn.create_state_machine(name="mocked", definition=definition, roleArn=ROLE)["stateMachineArn"]
        happy = self.sfn.start_execution(stateMachineArn=arn + "#Happy")["executionArn"]
        self.assertEqual(json.loads(self.describe(happy)["output"]), {"charged": True})
        flaky = self.sfn.start_execution(stateMachineArn=arn + "#Retry")["executionArn"]
        advance(self.sim, "PT10S")
        d = self.describe(flaky)
        self.assertEqual(d["status"], "SUCCEEDED", d)
        self.assertEqual(json.loads(d["output"]), {"charged": "late"})
        self.assertEqual([e["type"] for e in self.history(flaky)].count("TaskFailed"), 2)
        self.assertError("ValidationException", self.sfn.start_execution, stateMachineArn=arn + "#NoSuchCase")


if __name__ == "__main__":
    unittest.main()
