"""`cardsim load` and `cardsim report merge` end to end: a short bounded run of the smoke profile
in-process, shards merged exactly, thresholds and their exit codes, bad profiles rejected before
the run. Runs in about half a minute; the figures it prints are not asserted (machines are noisy)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from cardsim_process import CardsimProcess  # noqa: E402
ROOT = os.path.join(HERE, "..", "..")
BIN = os.environ.get("CARDSIM_BIN", os.path.join(ROOT, "build", "cardsim"))
SMOKE = os.path.join(ROOT, "scenarios", "load", "smoke.json")


def run(*args, timeout=120):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def hist_count(h):
    # The histogram JSON keeps its total and the non-empty buckets as [index, count, ...].
    return h["count"]


class LoadTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def profile(self, **changes):
        with open(SMOKE) as f:
            p = json.load(f)
        p.update(changes)
        path = os.path.join(self.dir, "profile.json")
        with open(path, "w") as f:
            json.dump(p, f)
        return path

    def test_smoke_run_writes_consistent_json_and_html_reports(self):
        out, html = os.path.join(self.dir, "r.json"), os.path.join(self.dir, "r.html")
        r = run("load", SMOKE, "--duration", "3s", "--json", out, "--html", html)
        self.assertIn(r.returncode, (0, 99), r.stderr + r.stdout)
        print(r.stdout)
        with open(out) as f:
            report = json.load(f)
        self.assertEqual(report["profile"], "smoke")
        total = 0
        for name, flow in report["flows"].items():
            self.assertEqual(flow["completed"], hist_count(flow["hops"]["e2e"]) if "e2e" in flow["hops"] else 0, name)
            self.assertEqual(sum(flow["errors_by_kind"].values()), flow["failed"], name)
            total += flow["completed"] + flow["failed"]
            # every arrival due in the measured part is in exactly one timeline interval
            self.assertEqual(sum(hist_count(i["e2e"]) for i in flow["timeline"]), flow["completed"], name)
            self.assertEqual(sum(i["errors"] for i in flow["timeline"]), flow["failed"], name)
        self.assertEqual(report["requests"], total)
        # smoke: 20/s card use for 3 s measured
        self.assertEqual(report["flows"]["card_use"]["completed"] + report["flows"]["card_use"]["failed"], 60)
        self.assertGreater(report["flows"]["card_use"]["completed"], 0, r.stderr)
        self.assertTrue(report["samples"], "process samples (CPU, RSS) were taken")
        # Server-side hops from the system's trace spans over the measured part (docs/load.md).
        server = report["server"]
        self.assertEqual(server["source"], "in-process")
        self.assertEqual(server["paths"]["card_use"][0], "fakes POST /payment/simulate/authorizations")
        hops = {name: hist_count(h) for name, h in server["hops"].items()}
        card_use = report["flows"]["card_use"]
        for hop in ("fakes POST /payment/simulate/authorizations", "sqs.dwell platform-notifications",
                    "fakes POST /push/v1/send"):
            # every measured card use went through these hops after the spans were reset
            self.assertGreaterEqual(hops.get(hop, 0), card_use["completed"], hop)
        self.assertGreaterEqual(hops["fakes POST /payment/simulate/authorizations"],
                                card_use["completed"] + card_use["failed"] - card_use["errors_by_kind"].get("timeout", 0))
        # an invocation takes one message or more; a message is received once before it is done
        self.assertLessEqual(hops["function platform-notify"], hops["sqs.dwell platform-notifications"])
        self.assertGreater(hops["function platform-notify"], 0)
        self.assertIn("server hop", r.stdout)
        # Each measured success's own trace, first span to last (docs/load.md): card use from the
        # authorization to platform-notify's end, one trace across the poll and the queue.
        missing = report["server"]["e2e_missing"]
        for name, flow in report["flows"].items():
            traced = hist_count(flow["hops"]["server_e2e"]) if "server_e2e" in flow["hops"] else 0
            self.assertEqual(traced + missing.get(name, 0), flow["completed"], name)
        server_e2e = report["flows"]["card_use"]["summary"]["server_e2e"]
        self.assertGreater(server_e2e["count"], 0)
        self.assertLessEqual(missing.get("card_use", 0), 1, missing)
        # It spans the authorization, the wait for the poll (100 ms interval) and the push, so it
        # is longer than the authorization alone and shorter than the 30 s arrival timeout.
        auth = report["server"]["summary"]["fakes POST /payment/simulate/authorizations"]
        self.assertGreater(server_e2e["p50_ns"], auth["p50_ns"])
        self.assertLess(server_e2e["max_ns"], 30e9)
        for name, flow in report["flows"].items():  # the summary is the histograms' figures
            for hop, summary in flow["summary"].items():
                self.assertEqual(summary["count"], hist_count(flow["hops"][hop]), (name, hop))
        self.assertIn("server_e2e", r.stdout)
        with open(html) as f:
            page = f.read()
        self.assertIn("<svg", page)
        self.assertIn("card_use", page)
        self.assertNotIn("<script", page)
        self.assertIn("Server-side hops of its critical path", page)
        self.assertIn("end to end in the system", page)
        self.assertIn("thresholds:", r.stdout)

    def test_two_shards_merge_into_the_whole_schedule(self):
        profile = self.profile(flows={"app_browse": {"rate": {"kind": "constant", "per_second": 15}}},
                               thresholds=["app_browse.e2e.p99 < 30s"])
        shards = []
        for i in (1, 2):
            path = os.path.join(self.dir, "shard%d.json" % i)
            r = run("load", profile, "--duration", "2s", "--shard", "%d/2" % i, "--json", path, "--quiet")
            self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
            shards.append(path)
        merged = os.path.join(self.dir, "merged.json")
        r = run("report", "merge", "--out", merged, "--html", os.path.join(self.dir, "m.html"), *shards)
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        with open(merged) as f:
            m = json.load(f)
        flow = m["flows"]["app_browse"]
        self.assertEqual(flow["completed"] + flow["failed"], 30)  # 15/s for 2 s, split 15 + 15
        self.assertEqual(sorted(m["shards"]), ["1/2", "2/2"])
        parts = []
        for path in shards:
            with open(path) as f:
                parts.append(json.load(f)["flows"]["app_browse"])
        self.assertEqual(hist_count(flow["hops"]["e2e"]), sum(hist_count(p["hops"]["e2e"]) for p in parts))

    def test_a_failed_threshold_exits_99_and_is_reported(self):
        profile = self.profile(flows={"app_browse": {"rate": {"kind": "constant", "per_second": 5}}},
                               thresholds=["app_browse.e2e.p50 < 1us", "errors.rate < 100%"])
        r = run("load", profile, "--duration", "1s", "--quiet")
        self.assertEqual(r.returncode, 99, r.stderr + r.stdout)
        self.assertIn("FAIL  app_browse.e2e.p50 < 1us", r.stdout)
        self.assertIn("PASS  errors.rate < 100%", r.stdout)

    def test_bad_profiles_are_rejected_before_the_run_naming_the_field(self):
        cases = [
            (dict(flows={"card_usee": {"rate": {"kind": "constant", "per_second": 1}}}), "flows.card_usee: unknown flow"),
            (dict(flows={"card_use": {"rate": {"kind": "constant", "per_second": -1}}}), "flows.card_use.rate.per_second"),
            (dict(thresholds=["card_use.e2e.p99 < soon"]), "thresholds[0]"),
        ]
        for change, message in cases:
            r = run("load", self.profile(**change), timeout=30)
            self.assertEqual(r.returncode, 2, (change, r.stderr))
            self.assertIn(message, r.stderr)
        r = run("load", SMOKE, "--shard", "3/2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--shard", r.stderr)

    def test_target_mode_drives_a_running_serve_through_its_ports(self):
        profile = self.profile(population={"members": 3},
                               flows={"card_use": {"rate": {"kind": "constant", "per_second": 5}},
                                      "app_browse": {"rate": {"kind": "constant", "per_second": 5}}},
                               thresholds=["errors.rate < 1%"])
        out = os.path.join(self.dir, "target.json")
        with CardsimProcess("--platform-poll-interval", "100ms") as server:
            r = run("load", profile, "--duration", "2s", "--quiet", "--json", out,
                    "--target", "platform=http://127.0.0.1:%d" % server.ports["platform"],
                    "--target", "aws=http://127.0.0.1:%d" % server.ports["aws"],
                    "--target", "fakes=http://127.0.0.1:%d" % server.ports["fakes"])
            self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
            # the members were created in the running server, not in the load process
            status, body = server.json("GET", "/push/v1/deliveries?token=load-1-0", listener="fakes")
            self.assertEqual(status, 200)
            self.assertTrue(body["deliveries"], "card use pushed to the first member through the server")
        with open(out) as f:
            report = json.load(f)
        self.assertEqual(report["flows"]["card_use"]["completed"], 10)
        self.assertEqual(report["flows"]["app_browse"]["completed"], 10)
        self.assertEqual(report["samples"], [], "no process samples of a remote system")
        # the server-side hops come from the target's control plane
        self.assertTrue(report["server"]["source"].endswith("/_sim/spans"), report["server"])
        self.assertGreaterEqual(hist_count(report["server"]["hops"]["function platform-notify"]), 1)
        r = run("load", profile, "--target", "platform=http://127.0.0.1:1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--target: no URL for aws", r.stderr)

    def test_merging_reports_of_different_profiles_is_refused(self):
        a = os.path.join(self.dir, "a.json")
        r = run("load", self.profile(flows={"app_browse": {"rate": {"kind": "constant", "per_second": 2}}},
                                     thresholds=[]), "--duration", "1s", "--json", a, "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(a) as f:
            other = json.load(f)
        other["profile"] = "other"
        b = os.path.join(self.dir, "b.json")
        with open(b, "w") as f:
            json.dump(other, f)
        r = run("report", "merge", "--out", os.path.join(self.dir, "m.json"), a, b)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot merge profile", r.stderr)


if __name__ == "__main__":
    unittest.main()
