"""Step Functions with the aws CLI: the everyday commands and their error codes."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_sfn_boto3 import ROLE, advance  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from cardsim_process import CardsimProcess  # noqa: E402

DEFINITION = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "P"},
                                                    "P": {"Type": "Pass", "End": True}}})


class SfnCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = CardsimProcess("--clock", "virtual").start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.__exit__(None, None, None)

    def aws(self, *args, ok=True):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
                   AWS_PAGER="")
        r = subprocess.run(["aws", "--endpoint-url", "http://127.0.0.1:%d" % self.sim.ports["aws"], "--output", "json",
                            "stepfunctions", *args], capture_output=True, text=True, env=env, timeout=60)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout) if r.stdout.strip() else {}
        self.assertNotEqual(r.returncode, 0)
        return r.stderr

    def test_lifecycle(self):
        arn = self.aws("create-state-machine", "--name", "cli", "--role-arn", ROLE, "--definition", DEFINITION)["stateMachineArn"]
        self.assertIn(arn, [m["stateMachineArn"] for m in self.aws("list-state-machines")["stateMachines"]])
        self.assertEqual(self.aws("describe-state-machine", "--state-machine-arn", arn)["definition"], DEFINITION)
        ex = self.aws("start-execution", "--state-machine-arn", arn, "--name", "c1", "--input", '{"a":1}')["executionArn"]
        self.assertEqual(self.aws("describe-execution", "--execution-arn", ex)["status"], "RUNNING")
        listed = self.aws("list-executions", "--state-machine-arn", arn, "--status-filter", "RUNNING")["executions"]
        self.assertEqual([e["executionArn"] for e in listed], [ex])
        advance(self.sim, "PT1M")
        self.assertEqual(self.aws("describe-execution", "--execution-arn", ex)["status"], "SUCCEEDED")
        types = [e["type"] for e in self.aws("get-execution-history", "--execution-arn", ex)["events"]]
        self.assertEqual(types, ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered",
                                 "PassStateExited", "ExecutionSucceeded"])
        ex2 = self.aws("start-execution", "--state-machine-arn", arn)["executionArn"]
        self.aws("stop-execution", "--execution-arn", ex2, "--error", "E", "--cause", "C")
        self.assertEqual(self.aws("describe-execution", "--execution-arn", ex2)["status"], "ABORTED")
        self.aws("tag-resource", "--resource-arn", arn, "--tags", "key=k,value=v")
        self.assertEqual(self.aws("list-tags-for-resource", "--resource-arn", arn)["tags"], [{"key": "k", "value": "v"}])
        self.aws("delete-state-machine", "--state-machine-arn", arn)
        self.assertIn("StateMachineDoesNotExist", self.aws("describe-state-machine", "--state-machine-arn", arn, ok=False))

    def test_errors(self):
        self.assertIn("InvalidDefinition", self.aws("create-state-machine", "--name", "bad", "--role-arn", ROLE,
                                                    "--definition", '{"StartAt":"X","States":{}}', ok=False))
        self.assertIn("InvalidArn", self.aws("describe-execution", "--execution-arn", "bogus", ok=False))
        self.assertIn("InvalidToken", self.aws("send-task-success", "--task-token", "t", "--task-output", "{}", ok=False))
        self.assertIn("TaskDoesNotExist", self.aws("send-task-success", "--task-token", "0" * 64, "--task-output", "{}",
                                                   ok=False))

    def test_redrive(self):
        arn = self.aws("create-state-machine", "--name", "cli-redrive", "--role-arn", ROLE,
                       "--definition", DEFINITION)["stateMachineArn"]
        ex = self.aws("start-execution", "--state-machine-arn", arn)["executionArn"]
        self.assertIn("ExecutionNotRedrivable", self.aws("redrive-execution", "--execution-arn", ex, ok=False))
        self.aws("stop-execution", "--execution-arn", ex)
        self.assertIn("redriveDate", self.aws("redrive-execution", "--execution-arn", ex))
        d = self.aws("describe-execution", "--execution-arn", ex)
        self.assertEqual((d["status"], d["redriveCount"]), ("RUNNING", 1))
        # test-state (like start-sync-execution) is sent to the "sync-" host prefix, which the CLI
        # cannot turn off and which does not resolve for 127.0.0.1: boto3 covers it
        # (inject_host_prefix=False).

if __name__ == "__main__":
    unittest.main()
