"""Integration tests: the real `cardsim serve` on free loopback ports (issue: runtime)."""
import json
import os
import resource
import selectors
import signal
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cardsim_process import CardsimProcess, raw_exchange, run_cli


class HealthAndRoutes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = CardsimProcess().start()

    @classmethod
    def tearDownClass(cls):
        cls.sim.__exit__(None, None, None)

    def test_health_is_answered_on_every_port_and_at_localstack_path(self):
        for listener in ("aws", "platform", "fakes"):
            for path in ("/_sim/health", "/_localstack/health"):
                status, body = self.sim.json("GET", path, listener=listener)
                self.assertEqual(status, 200, (listener, path))
                self.assertEqual(body["status"], "ok")
                self.assertIn("version", body)
                self.assertGreaterEqual(body["uptime_seconds"], 0)
                self.assertEqual(body["clock"]["mode"], "real")
                self.assertEqual(body["services"]["aws"], "running")
                self.assertEqual(body["services"]["platform"], "running")

    def test_unknown_route_is_404_json_naming_the_path(self):
        status, headers, data = self.sim.request("GET", "/no/such/thing?x=1", listener="platform")
        self.assertEqual(status, 404)
        self.assertIn("json", headers["content-type"])
        self.assertIn("/no/such/thing", json.loads(data)["detail"])

    def test_every_reply_carries_a_trace_id_and_keeps_a_given_one(self):
        _, headers, _ = self.sim.request("GET", "/_sim/health")
        self.assertRegex(headers["x-cardsim-trace-id"], r"^[0-9a-f]{32}$")
        _, headers, _ = self.sim.request("GET", "/_sim/health", headers={"X-Cardsim-Trace-Id": "abc123"})
        self.assertEqual(headers["x-cardsim-trace-id"], "abc123")

    def test_head_gets_headers_without_body(self):
        status, headers, data = self.sim.request("HEAD", "/_sim/health")
        self.assertEqual(status, 200)
        self.assertEqual(data, b"")
        self.assertGreater(int(headers["content-length"]), 0)

    def test_oversized_body_is_413_with_a_clear_message(self):
        status, _, data = self.sim.request("POST", "/_sim/clock", body=b"x" * (200 * 1024),
                                           headers={"Content-Type": "application/json"})
        self.assertEqual(status, 413)
        self.assertIn("limit", json.loads(data)["detail"])

    def test_oversized_headers_are_431(self):
        reply = raw_exchange(self.sim.ports["aws"],
                             b"GET /_sim/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 64 * 1024 + b"\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 431"), reply[:100])

    def test_malformed_request_is_400_and_closes_while_others_are_served(self):
        keep = socket.create_connection(("127.0.0.1", self.sim.ports["aws"]), timeout=5)
        try:
            reply = raw_exchange(self.sim.ports["aws"], b"THIS IS NOT HTTP\r\n\r\n")
            self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:100])
            keep.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(keep.recv(65536).startswith(b"HTTP/1.1 200"))
        finally:
            keep.close()

    def test_real_clock_cannot_be_moved(self):
        status, body = self.sim.json("POST", "/_sim/clock", {"advance": "PT1H"})
        self.assertEqual(status, 409)
        self.assertIn("virtual", body["detail"])
        status, body = self.sim.json("GET", "/_sim/clock")
        self.assertEqual((status, body["mode"]), (200, "real"))

    def test_metrics_count_requests_per_listener_and_route(self):
        self.sim.request("GET", "/_sim/health", listener="fakes")
        status, headers, data = self.sim.request("GET", "/_sim/metrics")
        self.assertEqual(status, 200)
        self.assertIn("text/plain", headers["content-type"])
        text = data.decode()
        self.assertIn('cardsim_http_requests_total{', text)
        self.assertRegex(text, r'cardsim_http_requests_total\{[^}]*listener="fakes"[^}]*route="/_sim/health"')
        self.assertIn("cardsim_http_request_duration_seconds_bucket", text)

    def test_reset_answers_with_the_components_reset(self):
        status, body = self.sim.json("POST", "/_sim/reset")
        self.assertEqual(status, 200)
        self.assertIn("metrics", body["reset"])


class VirtualClock(unittest.TestCase):
    def test_advance_and_set_move_virtual_time_and_bad_input_is_400(self):
        with CardsimProcess("--clock", "virtual", "--start-time", "2027-01-01T00:00:00Z") as sim:
            self.assertEqual(sim.json("GET", "/_sim/clock")[1], {"mode": "virtual", "now": "2027-01-01T00:00:00Z"})
            status, body = sim.json("POST", "/_sim/clock", {"advance": "PT12H"})
            self.assertEqual((status, body["now"]), (200, "2027-01-01T12:00:00Z"))
            status, body = sim.json("POST", "/_sim/clock", {"set": "2027-02-01T00:00:00Z"})
            self.assertEqual((status, body["now"]), (200, "2027-02-01T00:00:00Z"))
            for bad in ({"advance": "soon"}, {"set": "2026-01-01T00:00:00Z"}, {"advance": "PT1H", "set": "x"},
                        {"rewind": "PT1H"}, "not an object"):
                status, body = sim.json("POST", "/_sim/clock", bad)
                self.assertEqual(status, 400, bad)
                self.assertTrue(body["detail"], bad)
            self.assertEqual(sim.json("GET", "/_sim/health")[1]["clock"]["now"], "2027-02-01T00:00:00Z")
            # step: the next due timer (the fakes' daily files are timers) fires, time stops there.
            status, body = sim.json("POST", "/_sim/clock", {"step": {"until": "2027-02-03T00:00:00Z"}})
            self.assertEqual((status, body["fired"], body["previous"]), (200, True, "2027-02-01T00:00:00Z"))
            self.assertTrue("2027-02-01T00:00:00Z" < body["now"] < "2027-02-03T00:00:00Z", body)
            status, body = sim.json("POST", "/_sim/clock", {"step": {"until": body["now"]}})
            self.assertEqual(status, 200)
            for bad in ({"step": {}}, {"step": {"until": "later"}}, {"step": {"until": "2027-03-01", "x": 1}},
                        {"step": {"until": "2027-03-01"}, "advance": "PT1H"}):
                status, body = sim.json("POST", "/_sim/clock", bad)
                self.assertEqual(status, 400, bad)


class Connections(unittest.TestCase):
    def test_a_thousand_concurrent_keep_alive_connections_are_each_served_twice(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 2200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        with CardsimProcess() as sim:
            port = sim.ports["aws"]
            socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(1000)]
            try:
                for round_no in range(2):
                    sel = selectors.DefaultSelector()
                    for s in socks:
                        s.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n\r\n")
                        s.setblocking(False)
                        sel.register(s, selectors.EVENT_READ, bytearray())
                    pending = len(socks)
                    deadline = time.monotonic() + 30
                    while pending and time.monotonic() < deadline:
                        for key, _ in sel.select(timeout=1):
                            data = key.fileobj.recv(65536)
                            self.assertTrue(data, "server closed a keep-alive connection")
                            key.data.extend(data)
                            head, sep, body = bytes(key.data).partition(b"\r\n\r\n")
                            if sep:
                                length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0]
                                             .split(b":")[1])
                                if len(body) >= length:
                                    self.assertTrue(head.startswith(b"HTTP/1.1 200"))
                                    sel.unregister(key.fileobj)
                                    pending -= 1
                    sel.close()
                    self.assertEqual(pending, 0, "round %d: %d connections unanswered" % (round_no, pending))
                    for s in socks:
                        s.setblocking(True)
            finally:
                for s in socks:
                    s.close()

    def test_a_silent_connection_is_closed_after_the_idle_timeout_while_others_are_served(self):
        with CardsimProcess("--idle-timeout", "400ms", "--header-timeout", "400ms") as sim:
            port = sim.ports["aws"]
            silent = socket.create_connection(("127.0.0.1", port), timeout=5)
            started = time.monotonic()
            # Another client keeps working meanwhile, each request on a fresh connection.
            while time.monotonic() - started < 1.0:
                self.assertEqual(sim.request("GET", "/_sim/health")[0], 200)
                time.sleep(0.05)
            silent.settimeout(5)
            self.assertEqual(silent.recv(1024), b"", "the silent connection should have been closed")
            silent.close()
            # A slow client that never finishes its head is cut too.
            slow = socket.create_connection(("127.0.0.1", port), timeout=5)
            slow.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n")
            data = slow.recv(1024)
            self.assertTrue(data == b"" or data.startswith(b"HTTP/1.1 408"), data)
            slow.close()
            self.assertEqual(sim.request("GET", "/_sim/health")[0], 200)


class Shutdown(unittest.TestCase):
    def test_sigterm_exits_0_quickly_and_keeps_the_virtual_time(self):
        with tempfile.TemporaryDirectory() as data_dir:
            with CardsimProcess("--clock", "virtual", data_dir=data_dir) as sim:
                # Two days, not two months: with the platform running on a durable data directory
                # every virtual day costs real commits, and two months took over the client's 10 s
                # timeout on a loaded machine. What is tested is that the time survives SIGTERM.
                status, body = sim.json("POST", "/_sim/clock", {"set": "2027-01-03T09:00:00Z"})
                self.assertEqual(status, 200)
                sim.signal(signal.SIGTERM)
                started = time.monotonic()
                self.assertEqual(sim.wait(5), 0, sim.stderr())
                self.assertLess(time.monotonic() - started, 2.0)
            with CardsimProcess("--clock", "virtual", data_dir=data_dir) as again:
                self.assertEqual(again.json("GET", "/_sim/clock")[1]["now"], "2027-01-03T09:00:00Z")

    def test_sigint_also_stops_gracefully(self):
        with CardsimProcess() as sim:
            sim.signal(signal.SIGINT)
            self.assertEqual(sim.wait(5), 0, sim.stderr())


class CommandLine(unittest.TestCase):
    def test_help_lists_commands_flags_and_exit_codes(self):
        top = run_cli("--help")
        self.assertEqual(top.returncode, 0)
        self.assertIn("serve", top.stdout)
        self.assertIn("Exit codes", top.stdout)
        serve = run_cli("serve", "--help")
        self.assertEqual(serve.returncode, 0)
        for flag in ("--bind", "--aws-port", "--platform-port", "--fakes-port", "--data-dir", "--ephemeral",
                     "--clock", "--seed", "--log-level", "--config", "--idle-timeout"):
            self.assertIn(flag, serve.stdout)
        self.assertEqual(run_cli("help", "serve").stdout, serve.stdout)

    def test_version(self):
        out = run_cli("--version")
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"^cardsim \d+\.\d+\.\d+")

    def test_unknown_flags_and_bad_values_are_rejected_naming_the_flag(self):
        out = run_cli("serve", "--colour", "red")
        self.assertEqual(out.returncode, 2)
        self.assertIn("--colour", out.stderr)
        out = run_cli("serve", "--clock", "sundial")
        self.assertEqual(out.returncode, 2)
        self.assertIn("--clock", out.stderr)
        self.assertIn("real, virtual", out.stderr)
        out = run_cli("serve", "--aws-port", "99999")
        self.assertEqual(out.returncode, 2)
        self.assertIn("--aws-port", out.stderr)
        self.assertEqual(run_cli("launch").returncode, 2)

    def test_config_file_is_applied_and_flags_win(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"clock": "virtual", "start-time": "2030-01-01T00:00:00Z", "ephemeral": True}, f)
        try:
            with CardsimProcess("--config", f.name, "--start-time", "2031-01-01T00:00:00Z") as sim:
                self.assertEqual(sim.json("GET", "/_sim/clock")[1]["now"], "2031-01-01T00:00:00Z")
            bad = run_cli("serve", "--config", f.name + ".missing")
            self.assertEqual(bad.returncode, 2)
        finally:
            os.unlink(f.name)

    def test_a_port_in_use_is_a_startup_error(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            out = run_cli("serve", "--ephemeral", "--aws-port", str(port), "--platform-port", "0", "--fakes-port", "0")
            self.assertEqual(out.returncode, 3)
            self.assertIn(str(port), out.stderr)


if __name__ == "__main__":
    unittest.main()
