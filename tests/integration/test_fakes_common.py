"""Integration tests: the fakes' control plane (journal, fault injection, idempotency, bad input)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_fakes_support import Fakes


class JournalAndFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = Fakes("--seed", "42", "--fakes-journal-size", "50")

    @classmethod
    def tearDownClass(cls):
        cls.f.stop()

    def setUp(self):
        self.f.json("DELETE", "/_sim/faults")

    def test_journal_is_served_on_every_port_and_filters_by_system_path_and_since(self):
        self.f.json("POST", "/push/v1/send", {"token": "apns-j-1", "title": "hi"})
        self.f.json("GET", "/push/v1/deliveries?token=apns-j-1")
        for listener in ("aws", "platform", "fakes"):
            status, body = self.f.json("GET", "/_sim/journal?system=push", listener=listener)
            self.assertEqual(status, 200, listener)
            self.assertEqual(body["capacity"], 50)
        entries = self.f.journal(system="push", path="/push/v1/send")
        self.assertTrue(entries)
        self.assertTrue(all(e["path"].startswith("/push/v1/send") for e in entries))
        last = entries[-1]
        self.assertEqual(last["operation"], "send")
        self.assertEqual(last["status"], 200)
        self.assertEqual(last["request"]["token"], "apns-j-1")
        after = self.f.journal(system="push", since=last["seq"])
        self.assertTrue(all(e["seq"] > last["seq"] for e in after))
        self.assertEqual(self.f.journal(system="push", since="2100-01-01T00:00:00Z"), [])

    def test_journal_bad_queries_name_the_parameter(self):
        for qs, field in (("system=nosuch", "system"), ("since=yesterday", "since"), ("limit=0", "limit")):
            status, body = self.f.json("GET", "/_sim/journal?" + qs)
            self.assertEqual(status, 400, qs)
            self.assertEqual(body["field"], field)

    def test_journal_is_a_bounded_ring_buffer(self):
        for i in range(60):
            self.f.json("GET", "/push/v1/deliveries?limit=1")
        status, body = self.f.json("GET", "/_sim/journal?limit=1000")
        self.assertLessEqual(len(body["entries"]), 50)
        self.assertEqual(body["entries"][-1]["seq"], body["last_seq"])

    def test_journal_never_holds_a_full_card_number(self):
        self.f.json("POST", "/payment/simulate/authorizations",
                    {"card": "4012888888881881", "amount": 100, "merchant_name": "X", "mcc": "5411"})
        status, _, raw = self.f.sim.request("GET", "/_sim/journal?system=payment", listener="fakes")
        self.assertEqual(status, 200)
        self.assertNotIn(b"4012888888881881", raw)
        self.assertIn(b"401288******1881", raw)

    def test_faults_are_added_listed_and_cleared(self):
        status, rule = self.f.json("POST", "/_sim/faults", {"system": "push", "operation": "send",
                                                            "error": {"rate": 1.0, "status": 503, "body": {"x": 1}}})
        self.assertEqual(status, 201)
        self.assertRegex(rule["id"], r"^F\d+$")
        status, _, body = self.f.call("POST", "/push/v1/send", {"token": "apns-f", "title": "t"})
        self.assertEqual(status, 503)
        self.assertEqual(body, {"x": 1})
        status, listed = self.f.json("GET", "/_sim/faults")
        self.assertEqual(listed["faults"][0]["applied"], 1)
        status, one = self.f.json("DELETE", "/_sim/faults/" + rule["id"])
        self.assertEqual(status, 200)
        self.assertEqual(self.f.json("DELETE", "/_sim/faults/F999")[0], 404)
        self.assertEqual(self.f.json("POST", "/push/v1/send", {"token": "apns-f", "title": "t"})[0], 200)
        self.f.json("POST", "/_sim/faults", {"system": "*", "error": {"rate": 1.0}})
        status, cleared = self.f.json("DELETE", "/_sim/faults")
        self.assertEqual(cleared["cleared"], 1)
        self.assertEqual(self.f.json("GET", "/_sim/faults")[1]["faults"], [])

    def test_bad_fault_rules_name_the_field(self):
        for rule, field in (({"error": {"rate": 0.5}}, "system"),
                            ({"system": "nosuch"}, "system"),
                            ({"system": "push", "error": {"rate": 2}}, "error.rate"),
                            ({"system": "push", "latency": {"kind": "weird"}}, "latency.kind"),
                            ({"system": "push", "callbacks": {"delay": 5}}, "callbacks.delay"),
                            ({"system": "push", "color": "red"}, "color")):
            status, body = self.f.json("POST", "/_sim/faults", rule)
            self.assertEqual(status, 400, rule)
            self.assertEqual(body["field"], field, rule)
        self.assertEqual(self.f.json("POST", "/_sim/faults", "{nope")[1]["field"], "body")

    def test_thirty_percent_error_rate_over_a_thousand_calls(self):
        self.f.json("POST", "/_sim/faults", {"system": "push", "operation": "list_deliveries",
                                             "error": {"rate": 0.3, "status": 500}})
        statuses = [self.f.call("GET", "/push/v1/deliveries?limit=1")[0] for _ in range(1000)]
        errors = statuses.count(500)
        self.assertGreater(errors, 250)
        self.assertLess(errors, 350)
        self.assertEqual(set(statuses), {200, 500})

    def test_reset_fault_loses_the_answer_and_an_idempotent_retry_gets_it(self):
        self.f.json("POST", "/_sim/faults", {"system": "bureau", "operation": "register_contract",
                                             "reset": {"rate": 1.0}, "count": 1})
        body = {"company": "SIMISSUER01", "contract_type": "REVOLVING", "contract_date": "2027-01-01",
                "limit": 100000, "subject": {"family_name_kana": "テスト", "given_name_kana": "リセット",
                                             "birth_date": "1990-01-01", "phone": "090-0000-0000"}}
        status, headers, problem = self.f.call("POST", "/bureau/v1/contracts", body, {"Idempotency-Key": "reset-1"})
        self.assertEqual(status, 502)
        self.assertEqual(headers["x-cardsim-fault"], "reset")
        status, headers, first = self.f.call("POST", "/bureau/v1/contracts", body, {"Idempotency-Key": "reset-1"})
        self.assertEqual(status, 201)
        self.assertEqual(headers["idempotent-replayed"], "true")
        # the contract was created once, by the lost request
        status, again = self.f.json("GET", "/bureau/v1/contracts/" + first["contract_id"])
        self.assertEqual(status, 200)

    def test_idempotency_key_replays_and_refuses_another_body(self):
        body = {"external_ref": "idem-1", "credit_limit": 5000}
        s1, h1, a = self.f.call("POST", "/payment/v1/card-accounts", body, {"Idempotency-Key": "k-idem"})
        s2, h2, b = self.f.call("POST", "/payment/v1/card-accounts", body, {"Idempotency-Key": "k-idem"})
        self.assertEqual((s1, s2), (201, 201))
        self.assertEqual(a, b)
        self.assertEqual(h2["idempotent-replayed"], "true")
        status, problem = self.f.json("POST", "/payment/v1/card-accounts", {"external_ref": "idem-2", "credit_limit": 1},
                                      {"Idempotency-Key": "k-idem"})
        self.assertEqual(status, 422)
        self.assertEqual(problem["field"], "Idempotency-Key")

    def test_latency_fault_waits_for_virtual_time(self):
        import threading
        self.f.json("POST", "/_sim/faults", {"system": "push", "operation": "list_deliveries",
                                             "latency": {"kind": "fixed", "ms": 60000}, "count": 1})
        result = {}
        t = threading.Thread(target=lambda: result.update(s=self.f.call("GET", "/push/v1/deliveries")[0]))
        t.start()
        t.join(0.5)
        self.assertTrue(t.is_alive())
        self.f.advance("PT1M")
        t.join(5)
        self.assertEqual(result["s"], 200)
        # the injected latency is a trace span of its own (docs/load.md, "Server-side hops")
        status, spans = self.f.json("GET", "/_sim/spans")
        self.assertEqual(status, 200)
        latency = spans["hops"]["fake.latency push list_deliveries"]
        self.assertEqual(latency["count"], 1)
        self.assertEqual(latency["max_ns"], 60 * 10**9)
        self.assertGreaterEqual(spans["hops"]["fakes GET /push/v1/deliveries"]["max_ns"], 60 * 10**9)

    def test_bad_input_is_a_problem_naming_the_field(self):
        status, headers, body = self.f.call("POST", "/payment/v1/card-accounts", {"credit_limit": 1})
        self.assertEqual(status, 400)
        self.assertIn("problem+json", headers["content-type"])
        self.assertEqual(body["field"], "external_ref")
        self.assertEqual(body["reason"], "is required")
        self.assertEqual(self.f.json("POST", "/payment/v1/card-accounts", "not json")[1]["field"], "body")


class SameSeedSameFaults(unittest.TestCase):
    def sequence(self, seed):
        f = Fakes("--seed", str(seed))
        try:
            f.json("POST", "/_sim/faults", {"system": "push", "error": {"rate": 0.3}})
            return "".join("E" if f.call("GET", "/push/v1/deliveries")[0] == 500 else "." for _ in range(200))
        finally:
            f.stop()

    def test_the_same_seed_gives_the_same_sequence(self):
        a, b, c = self.sequence(7), self.sequence(7), self.sequence(8)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)


if __name__ == "__main__":
    unittest.main()
