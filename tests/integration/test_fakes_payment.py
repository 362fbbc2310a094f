"""Integration tests: the fake payment processor and push gateway over HTTP (card-use flow)."""
import hashlib
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_fakes_support import Fakes

AUTH = "/payment/simulate/authorizations"


class PaymentProcessor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = Fakes()
        cls.refs = 0

    @classmethod
    def tearDownClass(cls):
        cls.f.stop()

    def register(self, limit=100000, pan=None, network=None):
        type(self).refs += 1
        body = {"external_ref": "m-%d" % self.refs, "credit_limit": limit}
        if network:
            body["network"] = network
        status, acc = self.f.json("POST", "/payment/v1/card-accounts", body, {"x-sim-pan": pan} if pan else None)
        self.assertEqual(status, 201, acc)
        return acc

    def auth(self, card, amount, **extra):
        body = {"card": card, "amount": amount, "merchant_name": "SIM MART", "mcc": "5411"}
        body.update(extra)
        return self.f.json("POST", AUTH, body)

    def test_registration_returns_the_number_once_and_get_never(self):
        acc = self.register()
        self.assertRegex(acc["card_number"], r"^411111\d{10}$")
        self.assertEqual(acc["last4"], acc["card_number"][-4:])
        self.assertRegex(acc["expiry"], r"^\d{4}$")
        status, got = self.f.json("GET", "/payment/v1/card-accounts/" + acc["card_account_id"])
        self.assertEqual(status, 200)
        self.assertNotIn("card_number", got)
        jcb = self.register(network="JCB")
        self.assertTrue(jcb["card_number"].startswith("356600"))

    def test_registration_errors(self):
        self.assertEqual(self.f.json("POST", "/payment/v1/card-accounts", {"external_ref": "x"})[1]["field"],
                         "credit_limit")
        self.assertEqual(self.f.json("POST", "/payment/v1/card-accounts",
                                     {"external_ref": "x", "credit_limit": 1, "network": "AMEX"})[1]["field"], "network")
        acc = self.register()
        status, body = self.f.json("POST", "/payment/v1/card-accounts",
                                   {"external_ref": acc["external_ref"], "credit_limit": 1})
        self.assertEqual(status, 409)
        status, body = self.f.json("POST", "/payment/v1/card-accounts", {"external_ref": "bad-pan", "credit_limit": 1},
                                   {"x-sim-pan": "4111111111111112"})
        self.assertEqual((status, body["field"]), (400, "x-sim-pan"))
        self.assertEqual(self.f.json("GET", "/payment/v1/card-accounts/CA404")[0], 404)

    def test_limit_status_and_repayment_endpoints(self):
        acc = self.register(10000)
        aid = acc["card_account_id"]
        self.assertEqual(self.auth(acc["card_number"], 8000)[1]["response_code"], "00")
        self.assertEqual(self.auth(acc["card_number"], 3000)[1]["response_code"], "51")
        status, a = self.f.json("POST", "/payment/v1/card-accounts/%s/limit" % aid, {"credit_limit": 20000})
        self.assertEqual((status, a["available"]), (200, 12000))
        status, a = self.f.json("POST", "/payment/v1/card-accounts/%s/repayments" % aid, {"amount": 1000})
        self.assertEqual(a["available"], 13000)
        self.assertEqual(self.f.json("POST", "/payment/v1/card-accounts/%s/repayments" % aid, {"amount": 0})[1]["field"],
                         "amount")
        self.assertEqual(self.f.json("POST", "/payment/v1/card-accounts/%s/limit" % aid, {})[1]["field"], "credit_limit")
        for st, code in (("SUSPENDED", "62"), ("LOST", "41"), ("STOLEN", "43"), ("CLOSED", "46")):
            self.assertEqual(self.f.json("POST", "/payment/v1/card-accounts/%s/status" % aid, {"status": st})[0], 200)
            self.assertEqual(self.auth(acc["card_number"], 100)[1]["response_code"], code)
        self.assertEqual(self.f.json("POST", "/payment/v1/card-accounts/%s/status" % aid, {"status": "ACTIVE"})[0], 409)
        self.assertEqual(self.f.json("POST", "/payment/v1/card-accounts/%s/status" % aid, {"status": "x"})[1]["field"],
                         "status")

    def test_authorization_declines_and_magic_values(self):
        acc = self.register()
        card = acc["card_number"]
        self.assertEqual(self.auth(card, 99951)[1]["response_code"], "51")
        self.assertEqual(self.auth(card, 99905)[1]["response_code"], "05")
        self.assertEqual(self.auth(card, 100, mcc="7995")[1]["response_code"], "57")
        self.assertEqual(self.auth(card, 100, expiry="0101")[1]["response_code"], "54")
        self.assertEqual(self.auth("4012888888881881", 100)[1]["response_code"], "14")
        magic = self.register(pan="4111119999000595")
        status, a = self.auth(magic["card_number"], 100)
        self.assertEqual((a["approved"], a["response_code"], a["status"]), (False, "59", "DECLINED"))
        status, a = self.auth(card, 99899)
        self.assertTrue(a["stand_in"])

    def test_authorization_bad_input(self):
        for body, field in (({"card": "4242424242424241", "amount": 1, "merchant_name": "X", "mcc": "5411"}, "card"),
                            ({"card": "4111111111111111", "amount": 0, "merchant_name": "X", "mcc": "5411"}, "amount"),
                            ({"card": "4111111111111111", "amount": 1, "merchant_name": "X", "mcc": "54"}, "mcc"),
                            ({"card": "4111111111111111", "amount": 1, "mcc": "5411"}, "merchant_name"),
                            ({"card": "4111111111111111", "amount": 1, "merchant_name": "X", "mcc": "5411",
                              "currency": "USD"}, "currency"),
                            ({"card": "4111111111111111", "amount": 1, "merchant_name": "X", "mcc": "5411",
                              "cvv": "123"}, "cvv")):
            status, problem = self.f.json("POST", AUTH, body)
            self.assertEqual(status, 400, body)
            self.assertEqual(problem["field"], field, body)

    def test_reversal_clearing_refund_and_force_post(self):
        acc = self.register()
        card = acc["card_number"]
        a = self.auth(card, 5000)[1]
        status, r = self.f.json("POST", "/payment/simulate/reversals", {"authorization_id": a["authorization_id"],
                                                                         "amount": 1000})
        self.assertEqual((status, r["reversed"], r["status"]), (200, 1000, "PENDING"))
        status, p = self.f.json("POST", "/payment/simulate/clearings", {"authorization_id": a["authorization_id"],
                                                                         "amount": 4400})
        self.assertEqual((status, p["amount"], p["txn_type"]), (200, 4400, "PURCHASE"))
        self.assertEqual(self.f.json("POST", "/payment/simulate/clearings",
                                     {"authorization_id": a["authorization_id"]})[0], 409)
        self.assertEqual(self.f.json("POST", "/payment/simulate/reversals",
                                     {"authorization_id": a["authorization_id"]})[0], 409)
        self.assertEqual(self.f.json("POST", "/payment/simulate/reversals", {"authorization_id": "AU404"})[0], 404)
        self.assertEqual(self.f.json("POST", "/payment/simulate/reversals", {})[1]["field"], "authorization_id")
        status, fp = self.f.json("POST", "/payment/simulate/clearings", {"card": card, "amount": 700,
                                                                          "merchant_name": "TAXI", "mcc": "4121"})
        self.assertEqual((status, fp["authorization_id"]), (200, ""))
        status, rf = self.f.json("POST", "/payment/simulate/refunds", {"card": card, "amount": 300,
                                                                        "merchant_name": "SIM MART", "mcc": "5411"})
        self.assertEqual((status, rf["dc"], rf["txn_type"]), (200, "C", "REFUND"))
        self.assertEqual(self.f.json("POST", "/payment/simulate/refunds", {"card": "4012888888881881", "amount": 1,
                                                                            "merchant_name": "X", "mcc": "5411"})[0], 404)
        status, got = self.f.json("GET", "/payment/v1/authorizations/" + a["authorization_id"])
        self.assertEqual((status, got["status"], got["cleared"]), (200, "CLEARED", 4400))
        self.assertEqual(self.f.json("GET", "/payment/v1/authorizations/AU404")[0], 404)

    def test_polling_feed_with_cursor(self):
        acc = self.register()
        status, start = self.f.json("GET", "/payment/v1/authorizations?limit=500")
        while start["has_more"]:
            start = self.f.json("GET", "/payment/v1/authorizations?limit=500&after=" + start["next_cursor"])[1]
        cursor = start["next_cursor"]
        ids = [self.auth(acc["card_number"], 100 + i)[1]["authorization_id"] for i in range(3)]
        status, page = self.f.json("GET", "/payment/v1/authorizations?limit=2&after=" + cursor)
        self.assertEqual(status, 200)
        self.assertEqual([i["authorization"]["authorization_id"] for i in page["items"]], ids[:2])
        self.assertTrue(page["has_more"])
        self.assertEqual(page["items"][0]["type"], "AUTHORIZATION")
        page2 = self.f.json("GET", "/payment/v1/authorizations?limit=2&after=" + page["next_cursor"])[1]
        self.assertEqual(page2["items"][0]["authorization"]["authorization_id"], ids[2])
        again = self.f.json("GET", "/payment/v1/authorizations?limit=2&after=" + page["next_cursor"])[1]
        self.assertEqual(again["items"][0]["event_id"], page2["items"][0]["event_id"])
        self.assertEqual(self.f.json("GET", "/payment/v1/authorizations?after=zzz")[1]["field"], "after")
        self.assertEqual(self.f.json("GET", "/payment/v1/authorizations?limit=501")[1]["field"], "limit")

    def test_cashflow_file_lands_in_the_batch_bucket_with_its_marker(self):
        self.assertIn(self.f.sim.request("PUT", "/cardsim-batch", listener="aws")[0], (200, 409))
        acc = self.register()
        self.auth(acc["card_number"], 1280)
        self.f.advance("P2D")
        status, now = self.f.json("GET", "/_sim/clock")
        day = now["now"][:10]
        # the clearing posted the day after the authorization; find its file
        status, listing_h, listing = self.f.sim.request("GET", "/cardsim-batch?list-type=2&prefix=cashflow/",
                                                        listener="aws")
        self.assertEqual(status, 200)
        keys = [k.split("</Key>")[0] for k in listing.decode().split("<Key>")[1:]]
        csvs = [k for k in keys if k.endswith(".csv")]
        self.assertTrue(csvs, keys)
        found = False
        for key in csvs:
            status, _, body = self.f.sim.request("GET", "/cardsim-batch/" + key, listener="aws")
            self.assertEqual(status, 200)
            lines = body.decode().strip().split("\n")
            self.assertTrue(lines[0].startswith("H,cashflow,1.0,"))
            self.assertTrue(lines[-1].startswith("T,"))
            self.assertNotIn(acc["card_number"], body.decode())
            status, _, marker = self.f.sim.request("GET", "/cardsim-batch/" + key[:-4] + ".done", listener="aws")
            self.assertEqual(status, 200)
            marker = json.loads(marker)
            self.assertEqual(marker["sha256"], hashlib.sha256(body).hexdigest())
            self.assertEqual(marker["records"], len(lines) - 2)
            if acc["card_token"] in body.decode():
                found = True
                d = [l for l in lines if acc["card_token"] in l][0].split(",")
                self.assertEqual(len(d), 24)
                self.assertEqual(d[8:12], ["PURCHASE", "D", "1280", "JPY"])
        self.assertTrue(found)
        self.assertTrue(day)

    def test_simulated_cashflow_file_endpoint(self):
        status, body = self.f.json("POST", "/payment/simulate/cashflow-files", {"date": "2027-01-01"})
        self.assertEqual(status, 202)
        self.assertEqual(body["key"], "cashflow/2027/01/01/cashflow_20270101_01.csv")
        self.assertEqual(self.f.json("POST", "/payment/simulate/cashflow-files", {"date": "2027-02-30"})[1]["field"],
                         "date")


class PushGateway(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = Fakes()

    @classmethod
    def tearDownClass(cls):
        cls.f.stop()

    def send(self, token, **extra):
        body = {"token": token, "title": "Card used", "body": "¥1,280 SIM MART"}
        body.update(extra)
        return self.f.call("POST", "/push/v1/send", body)

    def test_send_and_list_deliveries(self):
        status, headers, body = self.send("apns-list-1", data={"auth": "AU1"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["apns-id"], body["delivery_id"])
        status, listed = self.f.json("GET", "/push/v1/deliveries?token=apns-list-1")
        self.assertEqual(listed["deliveries"][0]["data"], {"auth": "AU1"})
        self.assertEqual(listed["deliveries"][0]["platform"], "APNS")
        self.assertEqual(self.f.json("GET", "/push/v1/deliveries?after=x")[1]["field"], "after")

    def test_magic_tokens(self):
        self.assertEqual(self.send("apns-bad-1")[2]["reason"], "BadDeviceToken")
        status, _, gone = self.send("apns-gone-1")
        self.assertEqual((status, gone["reason"]), (410, "Unregistered"))
        self.assertIn("timestamp", gone)
        self.assertEqual(self.send("apns-busy-1")[0], 429)
        self.assertEqual(self.send("apns-busy-1")[0], 200)
        status, _, unreg = self.send("fcm-unreg-1")
        self.assertEqual(status, 404)
        self.assertEqual(unreg["error"]["details"][0]["errorCode"], "UNREGISTERED")
        status, headers, down = self.send("fcm-down-1")
        self.assertEqual((status, headers["retry-after"]), (503, "1"))
        self.assertEqual(self.send("fcm-down-1")[0], 503)
        self.assertEqual(self.send("fcm-down-1")[0], 200)

    def test_invalid_tokens_and_payloads(self):
        self.assertEqual(self.f.json("POST", "/push/v1/send", {"title": "x"})[1]["reason"], "MissingDeviceToken")
        self.assertEqual(self.send("bad token")[2]["field"], "token")
        self.assertEqual(self.send("apns-big", body="x" * 5000)[0], 413)
        self.assertEqual(self.send("fcm-big", body="x" * 5000)[2]["error"]["status"], "INVALID_ARGUMENT")
        self.assertEqual(self.f.json("POST", "/push/v1/send", {"token": "apns-e"})[1]["reason"], "PayloadEmpty")
        self.assertEqual(self.f.json("POST", "/push/v1/send", {"token": "apns-e", "data": 3})[1]["field"], "data")
        self.assertEqual(self.f.json("POST", "/push/simulate/unregister", {"token": "apns-u"})[0], 200)
        self.assertEqual(self.send("apns-u")[0], 410)
        self.assertEqual(self.f.json("POST", "/push/simulate/unregister", {})[1]["field"], "token")

    def test_await_returns_when_the_delivery_arrives_or_times_out_on_the_clock(self):
        result = {}
        t = threading.Thread(target=lambda: result.update(
            r=self.f.json("GET", "/push/v1/deliveries/await?token=apns-await-1&count=1&timeout=PT30S")))
        t.start()
        t.join(0.3)
        self.assertTrue(t.is_alive())
        self.send("apns-await-1")
        t.join(5)
        status, body = result["r"]
        self.assertEqual((status, body["timed_out"], len(body["deliveries"])), (200, False, 1))
        t = threading.Thread(target=lambda: result.update(
            r=self.f.json("GET", "/push/v1/deliveries/await?token=apns-never&timeout=PT10S")))
        t.start()
        t.join(0.3)
        self.f.advance("PT10S")
        t.join(5)
        self.assertEqual(result["r"][1]["timed_out"], True)
        self.assertEqual(self.f.json("GET", "/push/v1/deliveries/await?count=0")[1]["field"], "count")
        self.assertEqual(self.f.json("GET", "/push/v1/deliveries/await?timeout=P2D")[1]["field"], "timeout")


if __name__ == "__main__":
    unittest.main()
