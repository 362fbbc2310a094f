"""Integration tests of `cardsim run` (issue 9): exit codes, load errors, reports, and the same
scenarios against a running `cardsim serve --clock virtual` through --target."""
import json
import os
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cardsim_process import CardsimProcess, run_cli

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCENARIOS = os.path.join(ROOT, "scenarios")


def write(directory, name, document):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False)
    return path


PASSING = {"name": "push_ok", "steps": [
    {"call": {"service": "push", "path": "/push/v1/send", "body": {"token": "apns-run-1", "title": "t", "body": "b"}},
     "expect": {"status": 200}, "span": {"path": "card_use", "hop": "push_sent"}},
    {"advance": {"until": "04:00 Asia/Tokyo"}},
    {"await": {"service": "push", "path": "/push/v1/deliveries?token=apns-run-1"},
     "expect": {"body": {"$.deliveries": {"length": 1}}}, "span": {"path": "card_use", "hop": "push_delivered"}}]}

FAILING = {"name": "push_wrong", "steps": [
    {"name": "send", "call": {"service": "push", "path": "/push/v1/send", "body": {"token": "apns-run-2", "title": "t", "body": "b"}}},
    {"name": "expect two", "call": {"service": "push", "path": "/push/v1/deliveries?token=apns-run-2"},
     "expect": {"body": {"$.deliveries": {"length": 2}}}}]}


class RunInProcess(unittest.TestCase):
    def test_passing_and_failing_scenarios_exit_codes_and_reports(self):
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as out:
            write(d, "a.json", PASSING)
            write(d, "b.json", FAILING)
            junit, report = os.path.join(out, "out.xml"), os.path.join(out, "out.json")
            r = run_cli("run", d, "--snapshots", "", "--junit", junit, "--json", report, timeout=60)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("[1/2] push_ok", r.stdout)
            self.assertIn("FAILED push_wrong", r.stdout)
            self.assertIn('steps[1] "expect two"', r.stdout)
            self.assertIn("$.deliveries: length: expected 2, got 1", r.stdout)
            self.assertIn("/push/v1/deliveries?token=apns-run-2  200", r.stdout)  # the trace
            self.assertIn("2 scenarios: 1 passed, 1 failed", r.stdout)
            self.assertIn("push_delivered", r.stdout)  # critical paths table
            suite = ET.parse(junit).getroot().find("testsuite")
            self.assertEqual((suite.get("tests"), suite.get("failures")), ("2", "1"))
            with open(report) as f:
                data = json.load(f)
            self.assertEqual(data["summary"]["failed"], 1)
            self.assertEqual([p["hop"] for p in data["critical_paths"]], ["push_delivered", "total"])
            ok = run_cli("run", os.path.join(d, "a.json"), "--snapshots", "", timeout=60)
            self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
            only = run_cli("run", d, "--filter", "^push_ok$", "--snapshots", "", timeout=60)
            self.assertEqual(only.returncode, 0, only.stdout)
            self.assertIn("1 scenario (", only.stdout)

    def test_a_bad_file_is_refused_before_anything_runs(self):
        with tempfile.TemporaryDirectory() as d:
            write(d, "bad.json", {"steps": [{"name": "oops", "call": {"path": "/", "bdy": {}}}]})
            r = run_cli("run", d)
            self.assertEqual(r.returncode, 2)
            self.assertIn('bad.json: steps[0] "oops": unknown field "call.bdy"', r.stderr)
            self.assertEqual(run_cli("run", "--frobnicate").returncode, 2)
            self.assertEqual(run_cli("run", os.path.join(d, "missing")).returncode, 2)
            self.assertIn("--target", run_cli("run", "--help").stdout)


class RunAgainstATarget(unittest.TestCase):
    def test_the_same_scenarios_against_cardsim_serve(self):
        with CardsimProcess("--clock", "virtual") as sim, tempfile.TemporaryDirectory() as d:
            write(d, "a.json", PASSING)
            targets = []
            for name in ("aws", "platform", "fakes"):
                targets += ["--target", "%s=http://127.0.0.1:%d" % (name, sim.ports[name])]
            files = [os.path.join(d, "a.json"), os.path.join(SCENARIOS, "aws", "sqs_message_reappears.json"),
                     os.path.join(SCENARIOS, "fakes", "atm_callback_retried.json")]
            r = run_cli("run", *files, *targets, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("3 scenarios: 3 passed", r.stdout)
            # The runner moved the server's clock: it is past 04:00 JST of the first day.
            self.assertGreater(sim.json("GET", "/_sim/clock")[1]["now"], "2027-01-01T19:00:00Z")
            bad = run_cli("run", files[0], "--target", "http://127.0.0.1:1", timeout=30)
            self.assertEqual(bad.returncode, 2)
            self.assertIn("without port", bad.stderr)


if __name__ == "__main__":
    unittest.main()
