"""platform/infra.json: `cardsim check-infra` and the provisioning `cardsim serve` does at start."""
import json
import os
import shutil
import tempfile
import unittest

from cardsim_process import CardsimProcess, run_cli

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
INFRA = os.path.join(REPO, "platform", "infra.json")


def sqs(sim, op, body):
    status, _, data = sim.request("POST", "/", json.dumps(body).encode(),
                                  {"X-Amz-Target": "AmazonSQS." + op, "Content-Type": "application/x-amz-json-1.0"})
    return status, json.loads(data) if data else None


class CheckInfraTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cardsim-infra-")
        shutil.copytree(os.path.join(REPO, "platform", "statemachines"), os.path.join(self.dir, "statemachines"))
        with open(INFRA) as f:
            self.doc = json.load(f)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check(self, doc):
        path = os.path.join(self.dir, "infra.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        return run_cli("check-infra", path)

    def resource(self, doc, type_, name):
        return next(r for r in doc["resources"] if r["type"] == type_ and r["name"] == name)

    def test_built_in_and_repository_files_are_sound(self):
        for args in ([], [INFRA]):
            r = run_cli("check-infra", *args)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("ok,", r.stdout)
            self.assertIn("app-team", r.stdout)
            self.assertIn("infra-team", r.stdout)

    def test_a_resource_with_no_owner_fails(self):
        del self.resource(self.doc, "queue", "platform-async")["owner"]
        r = self.check(self.doc)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("queue platform-async: has no owner", r.stdout)

    def test_a_resource_with_two_owners_fails_both_ways(self):
        self.resource(self.doc, "bucket", "cardsim-batch")["owner"] = ["app-team", "infra-team"]
        dup = dict(self.resource(self.doc, "rule", "platform-daily-review"))
        dup["owner"] = "app-team"
        self.doc["resources"].append(dup)
        r = self.check(self.doc)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("bucket cardsim-batch: has two owners (app-team, infra-team)", r.stdout)
        self.assertIn("rule platform-daily-review: has two owners", r.stdout)
        self.assertIn("rule platform-daily-review: is declared more than once", r.stdout)

    def test_unknown_owner_type_and_references_fail(self):
        self.resource(self.doc, "queue", "platform-card-order")["owner"] = "marketing"
        self.resource(self.doc, "queue", "platform-async")["dead_letter"]["queue"] = "nowhere-dlq"
        self.resource(self.doc, "event_source_mapping", "platform-order-card")["function"] = "no-such-function"
        self.resource(self.doc, "rule", "platform-daily-review")["targets"][0]["function"] = "ghost"
        self.resource(self.doc, "state_machine", "platform-statement-batch")["definition_file"] = "missing.asl.json"
        self.doc["resources"].append({"type": "topic", "name": "x", "owner": "app-team"})
        r = self.check(self.doc)
        self.assertEqual(r.returncode, 1, r.stdout)
        for text in ["owner \"marketing\" is not a team",
                     "dead_letter.queue nowhere-dlq is not a declared queue",
                     "function no-such-function is not a declared function",
                     "function ghost is not declared",
                     "definition_file missing.asl.json cannot be read",
                     "unknown type \"topic\""]:
            self.assertIn(text, r.stdout)

    def test_not_json_and_missing_file(self):
        path = os.path.join(self.dir, "infra.json")
        with open(path, "w") as f:
            f.write("{nope")
        r = run_cli("check-infra", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not valid JSON", r.stdout)
        r = run_cli("check-infra", os.path.join(self.dir, "absent.json"))
        self.assertEqual(r.returncode, 2)

    def test_serve_refuses_an_unsound_file(self):
        del self.resource(self.doc, "queue", "platform-async")["owner"]
        path = os.path.join(self.dir, "infra.json")
        with open(path, "w") as f:
            json.dump(self.doc, f)
        sim = CardsimProcess("--platform-infra", path)
        try:
            with self.assertRaises(RuntimeError) as e:
                sim.start()
            self.assertIn("has no owner", str(e.exception))
        finally:
            sim.__exit__(None, None, None)


class ProvisioningTest(unittest.TestCase):
    def test_serve_creates_the_declared_resources_once_even_across_restarts(self):
        data = tempfile.mkdtemp(prefix="cardsim-prov-")
        try:
            for _ in range(2):
                with CardsimProcess(data_dir=data) as sim:
                    status, body = sqs(sim, "ListQueues", {"QueueNamePrefix": "platform-"})
                    self.assertEqual(status, 200, body)
                    names = sorted(u.rsplit("/", 1)[1] for u in body["QueueUrls"])
                    self.assertIn("platform-async", names)
                    self.assertIn("platform-async-dlq", names)
                    status, body = sqs(sim, "GetQueueUrl", {"QueueName": "platform-card-account"})
                    status, attrs = sqs(sim, "GetQueueAttributes",
                                        {"QueueUrl": body["QueueUrl"], "AttributeNames": ["All"]})
                    redrive = json.loads(attrs["Attributes"]["RedrivePolicy"])
                    self.assertEqual(redrive["maxReceiveCount"], 5)
                    self.assertTrue(redrive["deadLetterTargetArn"].endswith(":platform-card-account-dlq"))
                    # Event source mappings: one per declared mapping, not duplicated on restart.
                    status, _, raw = sim.request(
                        "GET", "/2015-03-31/event-source-mappings/?FunctionName=platform-async-router", None,
                        {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20270101/us-east-1/lambda/aws4_request, "
                                          "SignedHeaders=host, Signature=x"})
                    self.assertEqual(status, 200)
                    self.assertEqual(len(json.loads(raw)["EventSourceMappings"]), 1)
                    status, _, raw = sim.request("GET", "/cardsim-batch?list-type=2")
                    self.assertEqual(status, 200, raw)
                    status, body = sim.json("GET", "/_sim/platform", listener="platform")
                    self.assertEqual(status, 200)
                    self.assertTrue(body["started"])
                    self.assertIn("platform-notifications", body["queues"])
        finally:
            shutil.rmtree(data, ignore_errors=True)

    def test_reset_provisions_again(self):
        with CardsimProcess("--clock", "virtual") as sim:
            status, _ = sim.json("POST", "/_sim/reset")
            self.assertIn(status, (200, 204))
            status, body = sqs(sim, "GetQueueUrl", {"QueueName": "platform-async"})
            self.assertEqual(status, 200, body)
            status, body = sim.json("GET", "/_sim/invariants", listener="platform")
            self.assertEqual(status, 200)
            self.assertTrue(body["ok"])


if __name__ == "__main__":
    unittest.main()
