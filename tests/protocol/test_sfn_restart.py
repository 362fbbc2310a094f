"""Step Functions durability: executions parked in a Wait or waiting for a task token survive a
kill -9 and continue from where they were after a restart on the same --data-dir; a failed one can
be redriven after a restart, and a redriven one resumes after another."""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sfn_boto3 import ROLE, advance, client  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from cardsim_process import CardsimProcess  # noqa: E402


class SfnRestart(unittest.TestCase):
    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="cardsim-sfn-restart-")

    def tearDown(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def start(self):
        sim = CardsimProcess("--clock", "virtual", data_dir=self.data_dir).start()
        return sim, client(sim)

    def test_execution_inside_a_wait_completes_after_kill_9(self):
        sim, sfn = self.start()
        try:
            sqs = client(sim, "sqs")
            url = sqs.create_queue(QueueName="restart-callbacks")["QueueUrl"]
            arn = sfn.create_state_machine(name="restart", roleArn=ROLE, definition=json.dumps({
                "StartAt": "Before", "States": {
                    "Before": {"Type": "Pass", "Result": {"step": 1}, "ResultPath": "$.before", "Next": "Wait"},
                    "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Ask"},
                    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                            "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"},
                            "ResultPath": "$.answer", "End": True}}}))["stateMachineArn"]
            ex = sfn.start_execution(stateMachineArn=arn, name="parked", input='{"member": "m-1"}')["executionArn"]
            advance(sim, "PT10M")
            self.assertEqual(sfn.describe_execution(executionArn=ex)["status"], "RUNNING")
            before = [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]]
        finally:
            sim.kill()  # SIGKILL: no flush, no goodbye
        sim, sfn = self.start()
        try:
            self.assertEqual(sfn.describe_execution(executionArn=ex)["status"], "RUNNING")
            self.assertEqual([e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]], before)
            advance(sim, "PT50M")
            sqs = client(sim, "sqs")
            msgs = sqs.receive_message(QueueUrl=url).get("Messages", [])
            self.assertEqual(len(msgs), 1)
            token = msgs[0]["Body"]
        finally:
            sim.kill()
        # A second crash while waiting for the callback: the token stays valid.
        sim, sfn = self.start()
        try:
            sfn.send_task_success(taskToken=token, output='{"ok": true}')
            d = sfn.describe_execution(executionArn=ex)
            self.assertEqual(d["status"], "SUCCEEDED", d)
            self.assertEqual(json.loads(d["output"]),
                             {"member": "m-1", "before": {"step": 1}, "answer": {"ok": True}})
            events = sfn.get_execution_history(executionArn=ex)["events"]
            self.assertEqual([e["id"] for e in events], list(range(1, len(events) + 1)))
            self.assertEqual(events[-1]["type"], "ExecutionSucceeded")
            # Nothing was sent twice.
            self.assertEqual(client(sim, "sqs").receive_message(QueueUrl=url).get("Messages", []), [])
        finally:
            sim.kill()

    def test_failed_execution_is_redriven_after_kill_9(self):
        sim, sfn = self.start()
        try:
            sqs = client(sim, "sqs")
            probe = sqs.create_queue(QueueName="restart-probe")["QueueUrl"]
            url = probe.rsplit("/", 1)[0] + "/restart-redrive"  # not created yet: the Task fails
            arn = sfn.create_state_machine(name="restart-redrive", roleArn=ROLE, definition=json.dumps({
                "StartAt": "Before", "States": {
                    "Before": {"Type": "Pass", "Result": 1, "ResultPath": "$.before", "Next": "Send"},
                    "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                             "Parameters": {"QueueUrl": url, "MessageBody": "m"}, "ResultPath": None,
                             "Next": "Wait"},
                    "Wait": {"Type": "Wait", "Seconds": 600, "End": True}}}))["stateMachineArn"]
            ex = sfn.start_execution(stateMachineArn=arn, input='{"k": 1}')["executionArn"]
            advance(sim, "PT0S")
            self.assertEqual(sfn.describe_execution(executionArn=ex)["status"], "FAILED")
        finally:
            sim.kill()
        sim, sfn = self.start()
        try:
            client(sim, "sqs").create_queue(QueueName="restart-redrive")
            d = sfn.describe_execution(executionArn=ex)
            self.assertEqual((d["status"], d["redriveStatus"]), ("FAILED", "REDRIVABLE"))
            sfn.redrive_execution(executionArn=ex)
            advance(sim, "PT0S")
            self.assertEqual(sfn.describe_execution(executionArn=ex)["status"], "RUNNING")  # in the Wait
        finally:
            sim.kill()
        # A crash inside the redriven execution's Wait: it resumes like any other.
        sim, sfn = self.start()
        try:
            advance(sim, "PT10M")
            d = sfn.describe_execution(executionArn=ex)
            self.assertEqual((d["status"], d["redriveCount"]), ("SUCCEEDED", 1), d)
            self.assertEqual(json.loads(d["output"]), {"k": 1, "before": 1})
            types = [e["type"] for e in sfn.get_execution_history(executionArn=ex)["events"]]
            self.assertEqual(types.count("PassStateEntered"), 1)
            self.assertEqual(types.count("ExecutionRedriven"), 1)
            self.assertEqual(len(client(sim, "sqs").receive_message(
                QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])), 1)
        finally:
            sim.kill()


if __name__ == "__main__":
    unittest.main()
