"""`cardsim load` and `cardsim report merge` end to end: a short bounded run of the smoke profile
in-process, shards merged exactly, thresholds and their exit codes, bad profiles rejected before
the run; and --target mode against a real `cardsim serve` on free loopback ports (the smoke profile,
two shards against one target, targets that do not answer or run on the virtual clock). Runs in
under a minute; the figures it prints are not asserted (machines are noisy)."""
import json
import os
import socket
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
        # Process and queue samples over time: once a second of the measured part.
        for sample in report["samples"]:
            self.assertGreater(sample["rss_kib"], 0, sample)
            self.assertGreaterEqual(sample["cpu_percent"], 0, sample)
            self.assertGreaterEqual(sample["at_seconds"], 0, sample)
        self.assertTrue(any("platform-notifications" in s["queue_depths"] for s in report["samples"]),
                        "the platform's queue depths were sampled")
        # The live progress line, once a second on stderr: elapsed, achieved rate, in flight, errors, p99.
        progress = [line for line in r.stderr.splitlines() if "arrivals/s" in line]
        self.assertGreaterEqual(len(progress), 2, r.stderr)
        self.assertRegex(progress[-1], r"^\s+[\d.]+/[\d.]+ s\s+[\d.]+ arrivals/s\s+in flight \d+\s+errors \d+.*card_use p99 [\d.]+ms")
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
            (dict(thresholds=["errors.rate < 1%", "card_use.autorize.p99 < 50ms"]),
             'thresholds[1]: threshold "card_use.autorize.p99 < 50ms" names hop "autorize" of card_use (known: '
             'authorize, e2e, record_and_push, server_e2e)'),
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


def free_closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TargetModeTest(unittest.TestCase):
    """`cardsim load --target` against a real `cardsim serve` on free loopback ports (docs/load.md,
    "--target"). The server polls the processor every 100 ms (the load's in-process default; serve's
    default of 60 s would leave card uses waiting for the poll longer than the 30 s arrival timeout)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.server = CardsimProcess("--platform-poll-interval", "100ms").start()

    def tearDown(self):
        self.server.__exit__(None, None, None)  # SIGTERM by PID, then SIGKILL if it lingers
        self.tmp.cleanup()

    def url(self, listener):
        return "http://127.0.0.1:%d" % self.server.ports[listener]

    def targets(self):
        return ["--target", "platform=" + self.url("platform"), "--target", "aws=" + self.url("aws"),
                "--target", "fakes=" + self.url("fakes")]

    def server_hops(self):
        status, body = self.server.json("GET", "/_sim/spans")
        self.assertEqual(status, 200)
        return {name: h["count"] for name, h in body["hops"].items()}

    def assert_consistent(self, report):
        total = 0
        for name, flow in report["flows"].items():
            e2e = hist_count(flow["hops"]["e2e"]) if "e2e" in flow["hops"] else 0
            self.assertEqual(flow["completed"], e2e, name)
            self.assertEqual(sum(flow["errors_by_kind"].values()), flow["failed"], name)
            self.assertEqual(sum(hist_count(i["e2e"]) for i in flow["timeline"]), flow["completed"], name)
            self.assertEqual(sum(i["errors"] for i in flow["timeline"]), flow["failed"], name)
            total += flow["completed"] + flow["failed"]
        self.assertEqual(report["requests"], total)

    def test_smoke_against_a_running_serve_reads_the_targets_spans(self):
        out = os.path.join(self.dir, "r.json")
        r = run("load", SMOKE, "--duration", "3s", "--json", out, *self.targets(), timeout=60)
        self.assertIn(r.returncode, (0, 99), r.stderr + r.stdout)
        print(r.stdout)
        with open(out) as f:
            report = json.load(f)
        self.assert_consistent(report)
        card_use = report["flows"]["card_use"]
        self.assertEqual(card_use["completed"] + card_use["failed"], 60)  # 20/s for 3 s measured
        self.assertGreater(card_use["completed"], 0, r.stderr)
        self.assertEqual(report["samples"], [], "no process samples of a remote system")
        # the members and their card uses went through the server: its push gateway has them
        status, body = self.server.json("GET", "/push/v1/deliveries?token=load-1-0", listener="fakes")
        self.assertEqual(status, 200)
        self.assertTrue(body["deliveries"])
        server = report["server"]
        self.assertEqual(server["source"], self.url("aws") + "/_sim/spans")
        self.assertEqual(server["note"], "")
        self.assertEqual(server["paths"]["card_use"][0], "fakes POST /payment/simulate/authorizations")
        hops = {name: hist_count(h) for name, h in server["hops"].items()}
        authorizations = "fakes POST /payment/simulate/authorizations"
        # every measured card use was authorized after the reset at the end of the warm-up
        self.assertGreaterEqual(hops.get(authorizations, 0), card_use["completed"])
        self.assertGreaterEqual(hops.get("fakes POST /push/v1/send", 0), card_use["completed"])
        self.assertGreater(hops.get("function platform-notify", 0), 0)
        # read when the last arrival had finished: nothing authorizes after that, so the report
        # holds exactly the server's count (the spans were reset by the run, not before it)
        self.assertEqual(self.server_hops()[authorizations], hops[authorizations])
        self.assertIn("server-side hops (trace spans, " + self.url("aws") + "/_sim/spans)", r.stdout)

    def test_two_shards_against_one_target_merge_and_only_shard_1_reads_its_spans(self):
        profile = os.path.join(self.dir, "p.json")
        with open(SMOKE) as f:
            p = json.load(f)
        p["flows"] = {"card_use": {"rate": {"kind": "constant", "per_second": 20}},
                      "application": {"rate": {"kind": "constant", "per_second": 2}}}
        p["population"] = {"members": 5}
        with open(profile, "w") as f:
            json.dump(p, f)
        # One after the other (on machines they would overlap): then the server's spans at the end
        # show whether shard 2 left shard 1's in place.
        shards = []
        for i in (1, 2):
            path = os.path.join(self.dir, "shard%d.json" % i)
            r = run("load", profile, "--duration", "2s", "--shard", "%d/2" % i, "--json", path, "--quiet",
                    *self.targets(), timeout=60)
            # both shards create their own members and applicants in the one target
            self.assertIn(r.returncode, (0, 99), r.stderr + r.stdout)
            with open(path) as f:
                shards.append(json.load(f))
        one, two = shards
        for report in shards:
            self.assert_consistent(report)
            self.assertGreater(report["flows"]["card_use"]["completed"], 0)
            self.assertEqual(report["flows"]["application"]["failed"], 0, report["flows"]["application"])
        status, body = self.server.json("GET", "/push/v1/deliveries?token=load-1-s2of2-0", listener="fakes")
        self.assertEqual(status, 200)
        self.assertTrue(body["deliveries"], "shard 2's own members got their pushes")
        authorizations = "fakes POST /payment/simulate/authorizations"
        self.assertEqual(one["server"]["source"], self.url("aws") + "/_sim/spans")
        self.assertGreaterEqual(hist_count(one["server"]["hops"][authorizations]),
                                one["flows"]["card_use"]["completed"])
        self.assertEqual(two["server"]["source"], "")
        self.assertEqual(two["server"]["hops"], {})
        self.assertIn("shard 1", two["server"]["note"])
        # shard 2 did not reset the spans: the server still has shard 1's measured authorizations
        # on top of all of shard 2's
        self.assertGreaterEqual(self.server_hops()[authorizations],
                                hist_count(one["server"]["hops"][authorizations]) + two["flows"]["card_use"]["completed"])
        merged_path = os.path.join(self.dir, "merged.json")
        r = run("report", "merge", "--out", merged_path, os.path.join(self.dir, "shard1.json"),
                os.path.join(self.dir, "shard2.json"))
        self.assertIn(r.returncode, (0, 99), r.stderr + r.stdout)
        with open(merged_path) as f:
            merged = json.load(f)
        self.assert_consistent(merged)
        self.assertEqual(sorted(merged["shards"]), ["1/2", "2/2"])
        self.assertEqual(merged["flows"]["card_use"]["completed"] + merged["flows"]["card_use"]["failed"], 40)
        self.assertEqual(merged["flows"]["application"]["completed"] + merged["flows"]["application"]["failed"], 4)
        for name, flow in merged["flows"].items():
            for key in ("completed", "failed"):
                self.assertEqual(flow[key], one["flows"][name][key] + two["flows"][name][key], (name, key))
            for hop, h in flow["hops"].items():
                self.assertEqual(hist_count(h), sum(hist_count(s["flows"][name]["hops"][hop]) for s in shards), hop)
        self.assertEqual(merged["requests"], one["requests"] + two["requests"])
        # one copy of the shared target's spans: shard 1's
        self.assertEqual(merged["server"]["source"], one["server"]["source"])
        self.assertEqual(merged["server"]["hops"], one["server"]["hops"])

    def test_a_target_that_does_not_answer_exits_3_before_the_run(self):
        out = os.path.join(self.dir, "r.json")
        closed = "http://127.0.0.1:%d" % free_closed_port()
        # nothing running at all
        r = run("load", SMOKE, "--json", out, "--target", "platform=" + closed, "--target", "aws=" + closed,
                "--target", "fakes=" + closed, timeout=30)
        self.assertEqual(r.returncode, 3, r.stderr + r.stdout)
        self.assertIn("cardsim load: --target platform=%s does not answer: cannot connect" % closed, r.stderr)
        self.assertFalse(os.path.exists(out))
        # the platform and fakes are up, the AWS edge is not: named, and nothing is created
        r = run("load", SMOKE, "--json", out, "--target", "platform=" + self.url("platform"),
                "--target", "aws=" + closed, "--target", "fakes=" + self.url("fakes"), timeout=30)
        self.assertEqual(r.returncode, 3, r.stderr + r.stdout)
        self.assertIn("--target aws=%s does not answer" % closed, r.stderr)
        self.assertNotIn("--target platform=", r.stderr)
        self.assertNotIn("--target fakes=", r.stderr)
        status, body = self.server.json("GET", "/push/v1/deliveries?token=load-1-0", listener="fakes")
        self.assertEqual((status, body["deliveries"]), (200, []))
        self.assertFalse(os.path.exists(out))

    def test_a_target_on_the_virtual_clock_is_refused_before_the_run(self):
        with CardsimProcess("--clock", "virtual") as virtual:
            r = run("load", SMOKE, *["--target", "platform=http://127.0.0.1:%d" % virtual.ports["platform"],
                                     "--target", "aws=http://127.0.0.1:%d" % virtual.ports["aws"],
                                     "--target", "fakes=http://127.0.0.1:%d" % virtual.ports["fakes"]], timeout=30)
        self.assertEqual(r.returncode, 3, r.stderr + r.stdout)
        self.assertIn("runs on a virtual clock", r.stderr)


if __name__ == "__main__":
    unittest.main()
