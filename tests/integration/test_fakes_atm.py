"""Integration tests: the fake convenience-store ATM network over HTTP (QR token, notes, retries
until the platform acknowledges, duplicate/late magic stores, reconciliation file)."""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_fakes_support import Fakes, Receiver

SECRET = "test-secret-123"
START = 1798761600  # 2027-01-01T00:00:00Z


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload, secret=SECRET):
    """What the platform does (fakes/atm/README.md)."""
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return body + "." + b64url(sig)


class AtmNetwork(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.platform = Receiver()
        cls.f = Fakes("--atm-hmac-secret", SECRET, "--service", "platform=" + cls.platform.url)
        cls.nonce = 0

    @classmethod
    def tearDownClass(cls):
        cls.f.stop()
        cls.platform.stop()

    def now(self):
        status, clock = self.f.json("GET", "/_sim/clock")
        y = clock["now"]
        return int(time.mktime(time.strptime(y[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone)

    def token(self, amount=None, ttl=300, secret=SECRET):
        type(self).nonce += 1
        payload = {"member_id": "M-42", "nonce": "n-%d" % self.nonce, "exp": self.now() + ttl}
        if amount is not None:
            payload["amount"] = amount
        return sign(payload, secret)

    def repay(self, token, notes=None, store="S-001", amount=None):
        body = {"repay_token": token, "store_code": store}
        if notes is not None:
            body["notes"] = notes
        if amount is not None:
            body["amount"] = amount
        return self.f.json("POST", "/atm/simulate/repayments", body)

    def deliveries(self, txn):
        return [c for c in self.platform.calls if c[0] == "/ext/v1/atm/repayments" and c[2]["atm_txn_id"] == txn]

    def wait_deliveries(self, txn, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.deliveries(txn)) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.deliveries(txn)

    def wait_answered(self, txn, attempt):
        """Until the ATM has the platform's answer to `attempt` (journaled), so its retry timer is set."""
        self.f.wait_journal(lambda e: e["request"].get("atm_txn_id") == txn and e.get("attempt") == attempt
                            and e["status"] != 0, system="atm", path="platform:/ext/v1/atm/repayments")

    def test_a_platform_signed_token_repays_and_the_platform_is_notified(self):
        status, r = self.repay(self.token(), [10000, 1000])
        self.assertEqual(status, 201, r)
        self.assertEqual((r["amount"], r["member_ref"]), (11000, "M-42"))
        calls = self.wait_deliveries(r["atm_txn_id"], 1)
        self.assertEqual(calls[0][1]["Idempotency-Key"], r["atm_txn_id"])
        self.assertEqual(calls[0][2]["amount"], 11000)
        deadline = time.monotonic() + 5
        while self.f.json("GET", "/atm/v1/repayments/" + r["atm_txn_id"])[1]["status"] != "ACKNOWLEDGED":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        self.assertEqual(self.f.json("GET", "/atm/v1/repayments/AT404")[0], 404)

    def test_tokens_are_verified(self):
        status, p = self.repay(self.token(secret="wrong"), [1000])
        self.assertEqual((status, p["field"], p["reason"]), (400, "repay_token", "signature does not verify"))
        self.assertEqual(self.repay(self.token(ttl=-1), [1000])[1]["reason"], "has expired")
        self.assertEqual(self.repay(self.token(ttl=3600), [1000])[1]["field"], "repay_token")
        self.assertEqual(self.repay("not-a-token", [1000])[1]["field"], "repay_token")
        once = self.token()
        self.assertEqual(self.repay(once, [1000])[0], 201)
        self.assertEqual(self.repay(once, [1000])[1]["reason"], "has already been used")

    def test_only_notes_and_the_tokens_amount(self):
        self.assertEqual(self.repay(self.token(), [500])[1]["field"], "notes")
        self.assertEqual(self.repay(self.token(), amount=1500)[1]["field"], "amount")
        self.assertEqual(self.repay(self.token(amount=5000), [1000])[1]["field"], "amount")
        self.assertEqual(self.repay(self.token(), ["1000"])[1]["field"], "notes[0]")
        self.assertEqual(self.repay(self.token())[1]["field"], "notes")
        self.assertEqual(self.f.json("POST", "/atm/simulate/repayments", {"repay_token": "x"})[1]["field"], "store_code")
        self.assertEqual(self.repay(self.token(), amount=3000)[0], 201)

    def test_retries_with_backoff_until_acknowledged(self):
        self.platform.scripts["S-RETRY"] = [500, 503]
        status, r = self.repay(self.token(), [2000], store="S-RETRY")
        self.wait_answered(r["atm_txn_id"], 1)
        self.f.advance("PT1S")
        self.wait_answered(r["atm_txn_id"], 2)
        self.assertEqual(len(self.deliveries(r["atm_txn_id"])), 2)
        self.f.advance("PT2S")
        self.assertEqual(len(self.wait_deliveries(r["atm_txn_id"], 3)), 3)
        entries = self.f.wait_journal(lambda e: e["request"].get("atm_txn_id") == r["atm_txn_id"] and e["status"] == 200,
                                      system="atm", path="platform:/ext/v1/atm/repayments")
        attempts = [e["attempt"] for e in entries if e["request"].get("atm_txn_id") == r["atm_txn_id"]]
        self.assertEqual(attempts, [1, 2, 3])

    def test_magic_stores_duplicate_and_late(self):
        status, dup = self.repay(self.token(), [1000], store="SIM-DUP")
        calls = self.wait_deliveries(dup["atm_txn_id"], 2)
        self.assertEqual(len(calls), 2)
        self.assertEqual(calls[0][1]["Idempotency-Key"], calls[1][1]["Idempotency-Key"])
        status, late = self.repay(self.token(), [1000], store="SIM-LATE")
        for advance, n in (("PT1S", 2), ("PT2S", 3), ("PT4S", 4)):
            self.wait_answered(late["atm_txn_id"], n - 1)
            self.f.advance(advance)
            self.assertEqual(len(self.wait_deliveries(late["atm_txn_id"], n)), n)
        deadline = time.monotonic() + 5
        while self.f.json("GET", "/atm/v1/repayments/" + late["atm_txn_id"])[1]["attempts"] != 4:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)

    def test_sandbox_token_endpoint_and_reconciliation_file(self):
        self.assertIn(self.f.sim.request("PUT", "/cardsim-batch", listener="aws")[0], (200, 409))
        status, t = self.f.json("POST", "/atm/simulate/tokens", {"member_id": "M-7", "amount": 4000})
        self.assertEqual((status, t["company_number"]), (201, "8439"))
        self.assertEqual(self.f.json("POST", "/atm/simulate/tokens", {})[1]["field"], "member_id")
        self.assertEqual(self.f.json("POST", "/atm/simulate/tokens", {"member_id": "x", "ttl_seconds": 900})[1]["field"],
                         "ttl_seconds")
        status, r = self.repay(t["repay_token"], [2000, 2000], store="S-9")
        self.assertEqual(status, 201)
        status, now = self.f.json("GET", "/_sim/clock")
        jst_day = time.strftime("%Y%m%d", time.gmtime(self.now() + 9 * 3600))
        status, out = self.f.json("POST", "/atm/simulate/recon-files",
                                  {"date": "%s-%s-%s" % (jst_day[:4], jst_day[4:6], jst_day[6:])})
        self.assertEqual((status, out["key"]), (202, "atm/recon/%s.csv" % jst_day))
        self.assertGreaterEqual(out["records"], 1)
        deadline = time.monotonic() + 5
        while True:
            status, _, body = self.f.sim.request("GET", "/cardsim-batch/" + out["key"], listener="aws")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(status, 200)
        lines = body.decode().strip().split("\n")
        self.assertTrue(lines[0].startswith("H,atm-recon,1.0,SIM7BANK,"))
        self.assertIn("%s,S-9,M-7,4000" % r["received_at"], body.decode())
        self.assertTrue(lines[-1].startswith("T,%d," % (len(lines) - 2)))
        self.assertEqual(self.f.json("POST", "/atm/simulate/recon-files", {"date": "x"})[1]["field"], "date")


if __name__ == "__main__":
    unittest.main()
