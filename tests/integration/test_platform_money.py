"""Integration tests: the platform's money services against `cardsim serve --clock virtual
--ephemeral` (docs/platform.md): card use (feed poller -> ledger -> push), the ATM repayment, the
daily statement workflow, device tokens and the inbox, each API's validation and 401s, retry and
dead-letter behaviour when the fakes fail, and the money invariants after every test."""
import datetime
import hashlib
import hmac
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cardsim_process import CardsimProcess

START = "2027-01-04T00:00:00Z"  # Monday 09:00 JST


class Platform:
    """One running cardsim and helpers for the three listeners."""

    def __init__(self, proc):
        self.p = proc

    def call(self, method, path, body=None, token=None, listener="platform", headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None:
            h["Content-Type"] = "application/json"
        status, _, data = self.p.request(method, path, body, headers=h, listener=listener)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data
        return status, parsed

    def advance(self, duration):
        status, body = self.call("POST", "/_sim/clock", {"advance": duration}, listener="aws")
        assert status == 200, (status, body)
        return body

    def now(self):
        return self.call("GET", "/_sim/clock", listener="aws")[1]["now"]

    def now_dt(self):
        return datetime.datetime.strptime(self.now()[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)

    def set_jst(self, date, hh, mm):
        """Sets the clock to hh:mm JST of `date` (a datetime.date)."""
        jst = datetime.datetime(date.year, date.month, date.day, hh, mm, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
        status, body = self.call("POST", "/_sim/clock", {"set": jst.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")},
                                 listener="aws")
        assert status == 200, (status, body)

    def jst_date(self):
        return (self.now_dt() + datetime.timedelta(hours=9)).date()

    def executions(self):
        arn = "arn:aws:states:us-east-1:000000000000:stateMachine:platform-statement-batch"
        status, out = self.call("POST", "/", {"stateMachineArn": arn}, listener="aws",
                                headers={"X-Amz-Target": "AWSStepFunctions.ListExecutions",
                                         "Content-Type": "application/x-amz-json-1.0"})
        assert status == 200, (status, out)
        return sorted(out["executions"], key=lambda e: e["startDate"])

    def invariants(self):
        return self.call("GET", "/_sim/invariants")

    _members = 0

    def member_with_card(self, limit=100000, device=None, pan=None):
        """Signs up and in, registers a card account at the processor and the card in the payment
        service (what the async chain's platform-register-card-account does)."""
        type(self)._members += 1
        email = "money%d@example.com" % self._members
        status, m = self.call("POST", "/app/v1/members", {"email": email, "password": "correct horse battery"})
        assert status == 201, (status, m)
        status, s = self.call("POST", "/app/v1/sessions", {"email": email, "password": "correct horse battery"})
        assert status == 201, (status, s)
        headers = {"x-sim-pan": pan} if pan else {}
        status, acct = self.call("POST", "/payment/v1/card-accounts",
                                 {"external_ref": m["member_id"], "credit_limit": limit, "network": "VISA"},
                                 listener="fakes", headers=headers)
        assert status == 201, (status, acct)
        status, card = self.call("POST", "/internal/payment/cards", {
            "member_id": m["member_id"], "application_id": "A-test-%d" % self._members,
            "card_account_id": acct["card_account_id"], "card_token": acct["card_token"],
            "pan": acct["card_number"], "network": "VISA", "expiry": acct["expiry"], "credit_limit": limit})
        assert status == 201, (status, card)
        if device:
            status, d = self.call("POST", "/app/v1/devices", {"token": device}, token=s["token"])
            assert status == 201, (status, d)
        return {"member_id": m["member_id"], "token": s["token"], "pan": acct["card_number"], "email": email,
                "card_id": card["card_id"], "last4": card["last4"], "account": acct["card_account_id"]}

    def fresh(self, m):
        """Signs in again (sessions expire after 24 h of virtual time)."""
        status, s = self.call("POST", "/app/v1/sessions", {"email": m["email"], "password": "correct horse battery"})
        assert status == 201, (status, s)
        m["token"] = s["token"]
        return m

    def authorize(self, pan, amount, merchant="SIM MART", mcc="5499"):
        status, a = self.call("POST", "/payment/simulate/authorizations",
                              {"card": pan, "amount": amount, "merchant_name": merchant, "mcc": mcc}, listener="fakes")
        assert status == 200, (status, a)
        return a

    def deliveries(self, device):
        status, d = self.call("GET", "/push/v1/deliveries?token=" + device, listener="fakes")
        assert status == 200, (status, d)
        return d["deliveries"]

    def sqs(self, action, body):
        status, out = self.call("POST", "/", body, listener="aws",
                                headers={"X-Amz-Target": "AmazonSQS." + action,
                                         "Content-Type": "application/x-amz-json-1.0"})
        assert status == 200, (status, out)
        return out

    def queue_depth(self, name):
        url = self.sqs("GetQueueUrl", {"QueueName": name})["QueueUrl"]
        attrs = self.sqs("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def balance(self, m):
        self.fresh(m)
        status, b = self.call("GET", "/app/v1/balance", token=m["token"])
        assert status == 200, (status, b)
        return b


class MoneyCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = CardsimProcess("--clock", "virtual", "--start-time", START).start()
        cls.api = Platform(cls.proc)

    @classmethod
    def tearDownClass(cls):
        cls.proc.__exit__(None, None, None)

    def tearDown(self):
        self.api.call("DELETE", "/_sim/faults", listener="fakes")
        status, inv = self.api.invariants()
        self.assertEqual(status, 200)
        self.assertTrue(inv["ok"], json.dumps(inv["violations"], ensure_ascii=False))

    def trace_hops(self, trace):
        status, t = self.api.call("GET", "/_sim/traces?trace_id=" + trace, listener="platform")
        self.assertEqual(status, 200, t)
        return t["spans"]


class CardUse(MoneyCase):
    def test_approved_purchase_is_held_recorded_once_and_pushed_without_the_pan(self):
        m = self.api.member_with_card(device="apns-use-1")
        auth = self.api.authorize(m["pan"], 1280)
        self.assertTrue(auth["approved"])
        self.api.advance("PT61S")
        b = self.api.balance(m)
        self.assertEqual((b["holds"], b["available"], b["outstanding"]), (1280, 98720, 1280))
        self.assertEqual(b["credit_limit"], b["available"] + b["outstanding"])
        status, auths = self.api.call("GET", "/app/v1/authorizations", token=m["token"])
        self.assertEqual(status, 200)
        self.assertEqual([a["authorization_id"] for a in auths["authorizations"]], [auth["authorization_id"]])
        self.assertEqual(auths["authorizations"][0]["last4"], m["last4"])
        self.api.advance("PT2M")  # more polls replay nothing
        self.assertEqual(self.api.balance(m)["holds"], 1280)
        pushes = self.api.deliveries("apns-use-1")
        self.assertEqual(len(pushes), 1)
        text = json.dumps(pushes[0], ensure_ascii=False)
        self.assertIn(m["last4"], text)
        self.assertIn("1,280", text)
        self.assertNotIn(m["pan"], text)
        self.assertFalse(pushes[0]["contains_card_number"])
        status, inbox = self.api.call("GET", "/app/v1/notifications", token=m["token"])
        self.assertEqual(status, 200)
        self.assertEqual(inbox["notifications"][0]["kind"], "AUTHORIZATION_APPROVED")
        status, card = self.api.call("GET", "/app/v1/card", token=m["token"])
        self.assertEqual(status, 200)
        self.assertEqual(card["last4"], m["last4"])
        self.assertNotIn(m["pan"], json.dumps(card))

    def test_card_use_is_one_trace_from_the_authorization_to_the_push_gateway(self):
        m = self.api.member_with_card(device="apns-trace-1")
        status, _ = self.api.call("DELETE", "/_sim/spans", listener="aws")
        self.assertEqual(status, 200)
        trace = "it-card-use-1"
        status, auth = self.api.call("POST", "/payment/simulate/authorizations",
                                     {"card": m["pan"], "amount": 990, "merchant_name": "SIM MART", "mcc": "5499"},
                                     listener="fakes", headers={"X-Cardsim-Trace-Id": trace})
        self.assertEqual(status, 200, auth)
        self.api.advance("PT61S")
        self.assertEqual(len(self.api.deliveries("apns-trace-1")), 1)
        status, recent = self.api.call("GET", "/_sim/traces?hop=" + urllib.parse.quote("function platform-notify"),
                                       listener="aws")
        self.assertEqual(status, 200, recent)
        self.assertEqual([s["trace_id"] for s in recent["spans"]], [trace], recent)
        status, t = self.api.call("GET", "/_sim/traces?trace_id=" + trace, listener="fakes")  # any port
        self.assertEqual(status, 200, t)
        hops = [s["hop"] for s in t["spans"]]
        chain = ["fakes POST /payment/simulate/authorizations", "payment.feed_wait", "aws AmazonSQS.SendMessage",
                 "sqs.dwell platform-notifications", "function platform-notify", "fakes POST /push/v1/send"]
        for hop in chain:
            self.assertEqual(hops.count(hop), 1, (hop, hops))
        starts = {s["hop"]: s["offset_ns"] for s in t["spans"]}
        self.assertEqual(sorted(chain, key=lambda h: (starts[h], chain.index(h))), chain,
                         "the hops start in path order (equal virtual times allowed)")
        self.assertEqual(t["spans"][0]["hop"], chain[0])
        self.assertGreater(starts["sqs.dwell platform-notifications"], 0, "the platform polls after the authorization")
        # The wait for the poll: from the authorization's start until the page with its event came.
        wait = next(s for s in t["spans"] if s["hop"] == "payment.feed_wait")
        self.assertEqual(wait["offset_ns"], 0)
        self.assertGreater(wait["duration_ns"], 0)
        self.assertEqual(wait["duration_ns"], starts["aws AmazonSQS.SendMessage"],
                         "on the virtual clock the notification is sent the instant the page is recorded")
        # The poll and the recording of its page are the poll's own trace (a page holds many uses).
        self.assertNotIn("fakes GET /payment/v1/authorizations", hops)
        self.assertNotIn("payment.record", hops)
        status, polls = self.api.call("GET", "/_sim/traces?hop=payment.record", listener="aws")
        self.assertEqual(status, 200)
        self.assertTrue(polls["spans"])
        self.assertNotEqual(polls["spans"][0]["trace_id"], trace)
        # The extent of the trace: from the authorization's start to the end of its last span.
        status, ext = self.api.call("POST", "/_sim/traces/extents", {"trace_ids": [trace, "no-such-trace"]},
                                    listener="platform")
        self.assertEqual(status, 200, ext)
        self.assertEqual(ext["missing"], ["no-such-trace"])
        self.assertEqual(ext["extents"][trace]["spans"], len(t["spans"]))
        self.assertEqual(ext["extents"][trace]["start"], t["spans"][0]["start"])
        self.assertEqual(ext["extents"][trace]["duration_ns"],
                         max(s["offset_ns"] + s["duration_ns"] for s in t["spans"]))
        for bad in ({"trace_ids": "x"}, {"ids": []}, {"trace_ids": [1]}, {"trace_ids": ["x"] * 10001}):
            status, problem = self.api.call("POST", "/_sim/traces/extents", bad, listener="aws")
            self.assertEqual(status, 400, (bad if len(str(bad)) < 100 else "10001 ids", problem))
        status, spans = self.api.call("GET", "/_sim/spans", listener="platform")
        self.assertEqual(status, 200)
        for hop in chain + ["fakes GET /payment/v1/authorizations", "payment.record", "store.commit_wait"]:
            self.assertGreaterEqual(spans["hops"][hop]["count"], 1, hop)
        self.assertEqual(spans["hops"]["function platform-notify"]["count"], 1)
        self.assertEqual(spans["hops"]["function platform-notify"]["histogram"]["count"], 1)
        status, bad = self.api.call("GET", "/_sim/traces", listener="aws")
        self.assertEqual(status, 400, bad)

    def test_a_trace_header_that_is_not_a_plain_id_gives_way_to_a_new_trace_at_the_front_door(self):
        m = self.api.member_with_card(device="apns-trace-2")
        status, _ = self.api.call("DELETE", "/_sim/spans", listener="aws")
        body = json.dumps({"card": m["pan"], "amount": 500, "merchant_name": "SIM MART", "mcc": "5499"})
        status, headers, _ = self.api.p.request("POST", "/payment/simulate/authorizations", body, listener="fakes",
                                                headers={"Content-Type": "application/json",
                                                         "X-Cardsim-Trace-Id": "x" * 200})
        self.assertEqual(status, 200)
        trace = headers["x-cardsim-trace-id"]
        self.assertRegex(trace, "^[0-9a-f]{32}$", "a new id, echoed on the reply")
        self.api.advance("PT61S")
        self.assertEqual(len(self.api.deliveries("apns-trace-2")), 1)
        # Nothing is kept or sent on under the id that came; the card use is one trace under the new one.
        self.assertEqual(self.trace_hops("x" * 200), [])
        hops = [s["hop"] for s in self.trace_hops(trace)]
        for hop in ("fakes POST /payment/simulate/authorizations", "payment.feed_wait", "fakes POST /push/v1/send"):
            self.assertIn(hop, hops)

    def test_decline_for_insufficient_credit_is_notified_and_holds_nothing(self):
        m = self.api.member_with_card(limit=10000, device="apns-decl-1")
        auth = self.api.authorize(m["pan"], 20000)
        self.assertFalse(auth["approved"])
        self.assertEqual(auth["response_code"], "51")
        self.api.advance("PT61S")
        self.assertEqual(self.api.balance(m)["available"], 10000)
        status, auths = self.api.call("GET", "/app/v1/authorizations", token=m["token"])
        self.assertFalse(auths["authorizations"][0]["approved"])
        pushes = self.api.deliveries("apns-decl-1")
        self.assertEqual(len(pushes), 1)
        status, inbox = self.api.call("GET", "/app/v1/notifications", token=m["token"])
        self.assertEqual(inbox["notifications"][0]["kind"], "AUTHORIZATION_DECLINED")

    def test_reversal_and_clearing_move_the_hold_to_a_posting(self):
        m = self.api.member_with_card()
        auth = self.api.authorize(m["pan"], 5000)
        status, _ = self.api.call("POST", "/payment/simulate/reversals",
                                  {"authorization_id": auth["authorization_id"], "amount": 2000}, listener="fakes")
        self.assertEqual(status, 200)
        self.api.advance("PT61S")
        self.assertEqual(self.api.balance(m)["holds"], 3000)
        self.api.advance("P1D")  # cleared next day for the held amount
        self.api.fresh(m)
        b = self.api.balance(m)
        self.assertEqual((b["holds"], b["posted_unpaid"], b["available"]), (0, 3000, 97000))

    def test_push_gateway_failing_is_retried_by_sqs_not_lost(self):
        m = self.api.member_with_card(device="fcm-down-use-1")  # 503 twice, then 200
        self.api.authorize(m["pan"], 700)
        self.api.advance("PT61S")
        self.assertEqual(self.api.deliveries("fcm-down-use-1"), [])
        self.api.advance("PT5M")  # visibility timeout 60 s: two more receives
        pushes = self.api.deliveries("fcm-down-use-1")
        self.assertEqual(len(pushes), 1)
        status, inbox = self.api.call("GET", "/app/v1/notifications", token=m["token"])
        self.assertEqual(len(inbox["notifications"]), 1)  # stored once despite three receives

    def test_push_gateway_down_for_good_ends_in_the_dead_letter_queue(self):
        m = self.api.member_with_card(device="apns-dlq-1")
        before = self.api.queue_depth("platform-notifications-dlq")
        status, _ = self.api.call("POST", "/_sim/faults", {"system": "push", "operation": "send",
                                                          "error": {"rate": 1.0, "status": 503}}, listener="fakes")
        self.assertEqual(status, 201)
        self.api.authorize(m["pan"], 600)
        self.api.advance("PT15M")  # 5 receives, 60 s visibility timeout each
        self.assertEqual(self.api.deliveries("apns-dlq-1"), [])
        self.assertEqual(self.api.queue_depth("platform-notifications-dlq"), before + 1)
        status, inbox = self.api.call("GET", "/app/v1/notifications", token=m["token"])
        self.assertEqual(len(inbox["notifications"]), 1)  # the inbox has it; only the push was lost

    def test_dead_device_token_is_dropped(self):
        m = self.api.member_with_card(device="apns-gone-use-1")
        self.api.authorize(m["pan"], 900)
        self.api.advance("PT61S")
        status, _ = self.api.call("DELETE", "/app/v1/devices/apns-gone-use-1", token=m["token"])
        self.assertEqual(status, 404)  # already dropped by the 410

    def test_processor_down_the_poller_catches_up_later(self):
        m = self.api.member_with_card()
        status, _ = self.api.call("POST", "/_sim/faults", {"system": "payment", "operation": "poll_authorizations",
                                                          "error": {"rate": 1.0, "status": 503}}, listener="fakes")
        self.assertEqual(status, 201)
        self.api.authorize(m["pan"], 1500)
        self.api.advance("PT3M")
        self.assertEqual(self.api.balance(m)["holds"], 0)
        self.api.call("DELETE", "/_sim/faults", listener="fakes")
        self.api.advance("PT61S")
        self.assertEqual(self.api.balance(m)["holds"], 1500)


class AtmRepayment(MoneyCase):
    def repay(self, m, amount, store="S-001"):
        status, qr = self.api.call("POST", "/app/v1/repayments/qr", {"amount": amount}, token=m["token"])
        self.assertEqual(status, 201, qr)
        self.assertEqual(qr["company_number"], "8439")
        status, r = self.api.call("POST", "/atm/simulate/repayments",
                                  {"repay_token": qr["repay_token"], "store_code": store, "amount": amount},
                                  listener="fakes")
        self.assertEqual(status, 201, r)
        return r

    def test_repayment_lowers_the_balance_restores_credit_and_is_pushed(self):
        m = self.api.member_with_card(device="apns-atm-1")
        self.api.authorize(m["pan"], 8000)
        self.api.advance("P1DT2M")  # cleared: posted 8000
        self.api.fresh(m)
        self.assertEqual(self.api.balance(m)["posted_unpaid"], 8000)
        self.repay(m, 10000)
        self.api.advance("PT10S")
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(status, 200)
        self.assertEqual(reps["repayments"][0]["status"], "DONE", reps)
        b = self.api.balance(m)
        self.assertEqual((b["posted_unpaid"], b["prepaid"], b["available"]), (-2000, 2000, 102000))
        status, acct = self.api.call("GET", "/payment/v1/card-accounts/" + m["account"], listener="fakes")
        self.assertEqual(acct["posted_unpaid"], -2000)  # credit restored at the processor
        kinds = [p["data"].get("kind") for p in self.api.deliveries("apns-atm-1")]
        self.assertIn("REPAYMENT_RECEIVED", kinds)

    ATM_CHAIN = ["fakes POST /atm/simulate/repayments", "platform POST /ext/v1/atm/repayments",
                 "platform GET /internal/payment/cards", "platform POST /internal/statement/allocations",
                 "platform POST /internal/payment/cards/{card_id}/repayments",
                 "fakes POST /payment/v1/card-accounts/{id}/repayments", "aws AmazonSQS.SendMessage",
                 "sqs.dwell platform-notifications", "function platform-notify", "fakes POST /push/v1/send"]

    def assert_chain_in_path_order(self, spans, chain):
        hops = [s["hop"] for s in spans]
        for hop in chain:
            self.assertEqual(hops.count(hop), 1, (hop, hops))
        starts = {s["hop"]: s["offset_ns"] for s in spans}
        self.assertEqual(sorted(chain, key=lambda h: (starts[h], chain.index(h))), chain,
                         "the hops start in path order (equal virtual times allowed)")

    def cash_in_at_an_atm(self, m, amount, trace):
        """A QR token from the app, then `amount` yen in at an ATM, the cash-in sent under `trace`."""
        status, qr = self.api.call("POST", "/app/v1/repayments/qr", {"amount": amount}, token=m["token"])
        self.assertEqual(status, 201, qr)
        status, r = self.api.call("POST", "/atm/simulate/repayments",
                                  {"repay_token": qr["repay_token"], "store_code": "S-TRACE", "amount": amount},
                                  listener="fakes", headers={"X-Cardsim-Trace-Id": trace})
        self.assertEqual(status, 201, r)
        return r

    def test_an_atm_trace_id_that_is_not_a_plain_id_is_not_kept_by_the_repayment(self):
        m = self.api.member_with_card(device="apns-atm-trace-bad")
        trace = "t" * 200  # over the 128 characters a kept trace id may have
        self.cash_in_at_an_atm(m, 1000, trace)
        self.api.advance("PT10S")
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(reps["repayments"][0]["status"], "DONE", reps)
        # The id gave way to a new one at the ATM's front door: nothing is kept under it, and the
        # repayment is still one trace from the callback to the push.
        self.assertEqual(self.trace_hops(trace), [])
        status, pushes = self.api.call("GET", "/_sim/traces?hop=" + urllib.parse.quote("fakes POST /push/v1/send"),
                                       listener="aws")
        hops = [s["hop"] for s in self.trace_hops(pushes["spans"][0]["trace_id"])]
        for hop in ("fakes POST /atm/simulate/repayments", "platform POST /ext/v1/atm/repayments",
                    "platform GET /internal/payment/cards"):
            self.assertIn(hop, hops)

    def test_atm_repayment_is_one_trace_from_the_cash_in_to_the_push(self):
        m = self.api.member_with_card(device="apns-atm-trace-1")
        status, _ = self.api.call("DELETE", "/_sim/spans", listener="aws")
        self.assertEqual(status, 200)
        # Spans have no length on the virtual clock; 2 s at the processor puts the notification half
        # of the path after the first half, so the order below is not only the order of the chain.
        status, _ = self.api.call("POST", "/_sim/faults", {"system": "payment", "operation": "restore_credit",
                                                          "latency": {"kind": "fixed", "ms": 2000}}, listener="fakes")
        self.assertEqual(status, 201)
        trace = "a7a7a7a7000000000000000000000001"
        self.cash_in_at_an_atm(m, 4000, trace)
        self.api.advance("PT10S")
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(reps["repayments"][0]["status"], "DONE", reps)
        self.assertEqual([p["data"].get("kind") for p in self.api.deliveries("apns-atm-trace-1")], ["REPAYMENT_RECEIVED"])
        spans = self.trace_hops(trace)
        self.assert_chain_in_path_order(spans, self.ATM_CHAIN)
        self.assertEqual(spans[0]["hop"], "fakes POST /atm/simulate/repayments")
        self.assertEqual(spans[0]["offset_ns"], 0)
        starts = {s["hop"]: s["offset_ns"] for s in spans}
        self.assertEqual(starts["fake.latency payment restore_credit"], 0)
        for hop in self.ATM_CHAIN[self.ATM_CHAIN.index("aws AmazonSQS.SendMessage"):]:
            self.assertGreaterEqual(starts[hop], 2 * 10**9, hop)
        # The end to end, from the server's spans: the cash-in's start to the push's end.
        push = next(s for s in spans if s["hop"] == "fakes POST /push/v1/send")
        self.assertGreaterEqual(push["offset_ns"] + push["duration_ns"], 2 * 10**9)

    def test_a_resent_atm_callback_does_not_take_over_the_repayments_trace(self):
        m = self.api.member_with_card(device="apns-atm-trace-2")
        status, _ = self.api.call("POST", "/_sim/faults", {"system": "payment", "operation": "restore_credit",
                                                          "error": {"rate": 1.0, "status": 503}}, listener="fakes")
        self.assertEqual(status, 201)
        trace = "a7a7a7a7000000000000000000000002"
        r = self.cash_in_at_an_atm(m, 2000, trace)
        self.api.advance("PT10S")
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(reps["repayments"][0]["status"], "BALANCE_APPLIED", reps)
        # The ATM resends the callback under another trace while the credit restore is failing.
        body = json.dumps({k: r[k] for k in ("atm_txn_id", "member_ref", "amount", "store_code", "received_at")})
        signature = "sha256=" + hmac.new(b"cardsim-atm-callback-secret", body.encode(), hashlib.sha256).hexdigest()
        resent = "a7a7a7a7000000000000000000000003"
        status, dup = self.api.call("POST", "/ext/v1/atm/repayments", json.loads(body), headers={
            "X-Cardsim-Signature": signature, "Idempotency-Key": r["atm_txn_id"], "X-Cardsim-Trace-Id": resent})
        self.assertEqual(status, 200, dup)
        self.assertTrue(dup["duplicate"], dup)
        self.api.call("DELETE", "/_sim/faults", listener="fakes")
        self.api.advance("PT10M")  # the restore is retried, then the push
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(reps["repayments"][0]["status"], "DONE", reps)
        self.assertEqual(len(self.api.deliveries("apns-atm-trace-2")), 1)
        # The retried restore and the notification continue the first callback's trace ...
        hops = [s["hop"] for s in self.trace_hops(trace)]
        for hop in ["fakes POST /payment/v1/card-accounts/{id}/repayments", "aws AmazonSQS.SendMessage",
                    "function platform-notify", "fakes POST /push/v1/send"]:
            self.assertIn(hop, hops)
        # ... and the resent callback's trace is that one request.
        self.assertEqual([s["hop"] for s in self.trace_hops(resent)], ["platform POST /ext/v1/atm/repayments"])

    def test_duplicate_notification_is_applied_once(self):
        m = self.api.member_with_card()
        self.repay(m, 3000, store="SIM-DUP")
        self.api.advance("PT1M")
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(len(reps["repayments"]), 1)
        self.assertEqual(self.api.balance(m)["posted_unpaid"], -3000)

    def test_platform_answering_503_for_a_while_the_atm_retries_and_it_is_applied_once(self):
        m = self.api.member_with_card()
        self.repay(m, 2000, store="SIM-LATE")  # first 3 deliveries are lost at the ATM side
        self.api.advance("PT2M")
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(len(reps["repayments"]), 1)
        self.assertEqual(self.api.balance(m)["posted_unpaid"], -2000)

    def test_processor_down_the_credit_restore_is_retried(self):
        m = self.api.member_with_card()
        status, _ = self.api.call("POST", "/_sim/faults", {"system": "payment", "operation": "restore_credit",
                                                          "error": {"rate": 1.0, "status": 503}}, listener="fakes")
        self.assertEqual(status, 201)
        self.repay(m, 1000)
        self.api.advance("PT2M")
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(reps["repayments"][0]["status"], "BALANCE_APPLIED")
        self.api.call("DELETE", "/_sim/faults", listener="fakes")
        self.api.advance("PT10M")
        status, reps = self.api.call("GET", "/app/v1/repayments", token=m["token"])
        self.assertEqual(reps["repayments"][0]["status"], "DONE")

    def test_bad_input_and_authentication(self):
        m = self.api.member_with_card()
        status, p = self.api.call("POST", "/app/v1/repayments/qr", {"amount": 1500}, token=m["token"])
        self.assertEqual((status, p["field"]), (400, "amount"))
        status, p = self.api.call("POST", "/app/v1/repayments/qr", {"amount": "x"}, token=m["token"])
        self.assertEqual((status, p["field"]), (400, "amount"))
        self.assertEqual(self.api.call("POST", "/app/v1/repayments/qr", {})[0], 401)
        self.assertEqual(self.api.call("GET", "/app/v1/repayments", token="nope")[0], 401)
        body = {"atm_txn_id": "AT1", "member_ref": m["member_id"], "amount": 1000, "store_code": "S",
                "received_at": "2027-01-04T00:00:00Z"}
        self.assertEqual(self.api.call("POST", "/ext/v1/atm/repayments", body)[0], 401)
        self.assertEqual(self.api.call("POST", "/ext/v1/atm/repayments", body,
                                       headers={"X-Cardsim-Signature": "sha256=00"})[0], 401)


class DevicesAndStatements(MoneyCase):
    def test_device_registration_validation_and_ownership(self):
        a = self.api.member_with_card()
        b = self.api.member_with_card()
        status, p = self.api.call("POST", "/app/v1/devices", {"token": "bad token!"}, token=a["token"])
        self.assertEqual((status, p["field"]), (400, "token"))
        self.assertEqual(self.api.call("POST", "/app/v1/devices", {}, token=a["token"])[1]["field"], "token")
        self.assertEqual(self.api.call("POST", "/app/v1/devices", {"token": "apns-dev-1"}, token=a["token"])[0], 201)
        self.assertEqual(self.api.call("POST", "/app/v1/devices", {"token": "apns-dev-1"}, token=a["token"])[0], 200)
        self.assertEqual(self.api.call("DELETE", "/app/v1/devices/apns-dev-1", token=b["token"])[0], 404)
        self.assertEqual(self.api.call("DELETE", "/app/v1/devices/apns-dev-1", token=a["token"])[0], 204)
        self.assertEqual(self.api.call("POST", "/app/v1/devices", {"token": "x"})[0], 401)
        self.assertEqual(self.api.call("GET", "/app/v1/notifications?limit=0", token=a["token"])[0], 400)
        self.assertEqual(self.api.call("GET", "/app/v1/authorizations?limit=x", token=a["token"])[0], 400)
        self.assertEqual(self.api.call("GET", "/app/v1/card")[0], 401)
        self.assertEqual(self.api.call("GET", "/app/v1/balance", token="nope")[0], 401)

    def test_internal_card_creation_validates_and_is_idempotent(self):
        status, p = self.api.call("POST", "/internal/payment/cards", {"member_id": "M-x"})
        self.assertEqual(status, 400)
        self.assertIn("field", p)
        m = self.api.member_with_card()
        status, again = self.api.call("POST", "/internal/payment/cards", {
            "member_id": m["member_id"], "application_id": "A-again", "card_account_id": m["account"],
            "card_token": "t", "pan": m["pan"], "network": "VISA", "expiry": "3201", "credit_limit": 1000})
        self.assertEqual((status, again["card_id"]), (200, m["card_id"]))
        status, p = self.api.call("POST", "/internal/payment/cards", {
            "member_id": "M-y", "application_id": "A-y", "card_account_id": "CA-other", "card_token": "t",
            "pan": "4111111111111112", "network": "VISA", "expiry": "3201", "credit_limit": 1000})
        self.assertEqual((status, p["field"]), (400, "pan"))

    def test_daily_cashflow_builds_the_statement_and_the_month_end_closes_it(self):
        m = self.api.member_with_card(device="apns-stmt-1")
        self.api.authorize(m["pan"], 4321, merchant="SIM CAFE", mcc="5812")
        # Cleared on 01-05 JST; the file lands 01-06 04:00 JST; the workflow runs at 06:00 JST.
        self.api.advance("P2DT1H")
        self.api.fresh(m)
        status, stmts = self.api.call("GET", "/app/v1/statements", token=m["token"])
        self.assertEqual(status, 200)
        self.assertEqual(stmts["statements"][0]["period"], "2027-01")
        status, jan = self.api.call("GET", "/app/v1/statements/2027-01", token=m["token"])
        self.assertEqual(status, 200)
        self.assertEqual(jan["status"], "OPEN")
        self.assertEqual([(l["merchant_name"], l["amount"]) for l in jan["lines"]], [("SIM CAFE", 4321)])
        # the workflow's states and batch tasks are trace spans (docs/load.md, "Server-side hops")
        status, spans = self.api.call("GET", "/_sim/spans", listener="aws")
        self.assertEqual(status, 200)
        for hop in ("sfn.state platform-statement-batch.GetUsers", "sfn.state platform-statement-batch.FetchCashflow",
                    "sfn.task statement-get-users", "sfn.task statement-fetch-cashflow"):
            self.assertGreaterEqual(spans["hops"].get(hop, {}).get("count", 0), 1, (hop, sorted(spans["hops"])))
        self.assertEqual(self.api.call("GET", "/app/v1/statements/2027-13", token=m["token"])[0], 400)
        self.assertEqual(self.api.call("GET", "/app/v1/statements/2026-01", token=m["token"])[0], 404)
        self.api.call("POST", "/_sim/clock", {"set": "2027-01-31T22:00:00Z"}, listener="aws")  # 02-01 07:00 JST
        self.api.fresh(m)
        status, jan = self.api.call("GET", "/app/v1/statements/2027-01", token=m["token"])
        self.assertEqual(jan["status"], "CLOSED")
        self.assertEqual(jan["billed"], 4321)
        self.assertEqual(jan["due_date"], "2027-03-01")  # Sun 02-28 -> Mon
        kinds = [p["data"].get("kind") for p in self.api.deliveries("apns-stmt-1")]
        self.assertIn("STATEMENT_CLOSED", kinds)


class StatementWorkflow(MoneyCase):
    def drop_file(self, day):
        key = "cashflow/%04d/%02d/%02d/cashflow_%s_01" % (day.year, day.month, day.day, day.strftime("%Y%m%d"))
        for ext in (".done", ".csv"):
            status, _ = self.api.call("DELETE", "/cardsim-batch/" + key + ext, listener="aws")
            self.assertIn(status, (200, 204))

    def lines_of(self, m, amount):
        self.api.fresh(m)
        status, stmts = self.api.call("GET", "/app/v1/statements", token=m["token"])
        self.assertEqual(status, 200)
        return [s for s in stmts["statements"] if s["total"] == amount]

    def test_a_late_cashflow_file_is_retried_every_10_minutes_then_processed(self):
        m = self.api.member_with_card()
        self.api.authorize(m["pan"], 2222, merchant="LATE SHOP")
        self.api.advance("P1D")  # cleared today (JST)
        self.api.fresh(m)
        posted = self.api.jst_date()
        self.api.set_jst(posted + datetime.timedelta(days=1), 5, 0)  # the file came at 04:00 ...
        self.drop_file(posted)  # ... and is taken away again: it is "late"
        self.api.set_jst(posted + datetime.timedelta(days=1), 6, 35)
        self.assertEqual(self.lines_of(m, 2222), [])
        self.assertEqual(self.api.executions()[-1]["status"], "RUNNING")
        status, _ = self.api.call("POST", "/payment/simulate/cashflow-files", {"date": posted.isoformat()},
                                  listener="fakes")
        self.assertEqual(status, 202)
        self.api.advance("PT15M")
        self.assertEqual(len(self.lines_of(m, 2222)), 1)
        self.assertEqual(self.api.executions()[-1]["status"], "SUCCEEDED")

    def test_b_a_cashflow_file_that_never_comes_fails_the_run_with_an_alert(self):
        m = self.api.member_with_card()
        self.api.authorize(m["pan"], 3333)
        self.api.advance("P1D")
        self.api.fresh(m)
        posted = self.api.jst_date()
        self.api.set_jst(posted + datetime.timedelta(days=1), 5, 0)
        self.drop_file(posted)
        alerts = self.api.queue_depth("platform-batch-alerts")
        self.api.set_jst(posted + datetime.timedelta(days=1), 8, 30)  # 06:00 + 12 retries × 10 min
        run = self.api.executions()[-1]
        self.assertEqual(run["status"], "FAILED")
        self.assertEqual(self.api.queue_depth("platform-batch-alerts"), alerts + 1)
        self.assertEqual(self.lines_of(m, 3333), [])


if __name__ == "__main__":
    unittest.main()
