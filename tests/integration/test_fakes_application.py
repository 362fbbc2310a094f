"""Integration tests: eKYC, credit bureau, screening and card printer fakes over HTTP (application flow)."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cardsim_process import CardsimProcess
from test_fakes_support import Fakes, Receiver


def applicant(given="ツウジョウ", dob="1990-01-01"):
    return {"family_name": "テスト", "given_name": "太郎", "family_name_kana": "テスト", "given_name_kana": given,
            "birth_date": dob, "address": "東京都千代田区千代田1-1"}


def subject(given="ツウジョウ", dob="1990-01-01"):
    return {"family_name_kana": "テスト", "given_name_kana": given, "birth_date": dob, "phone": "090-1234-5678"}


class ApplicationFakes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.platform = Receiver()
        cls.f = Fakes("--service", "platform=" + cls.platform.url)

    @classmethod
    def tearDownClass(cls):
        cls.f.stop()
        cls.platform.stop()

    # --- eKYC -------------------------------------------------------------------------------
    def submit(self, given, method="HO"):
        status, v = self.f.json("POST", "/ekyc/v1/verifications",
                                {"applicant_ref": "APP-" + given, "method": method, "applicant": applicant(given),
                                 "documents": [{"type": "FRONT"}, {"type": "BACK"}, {"type": "THICKNESS"}]})
        self.assertEqual(status, 202, v)
        return v

    def test_ekyc_verdicts_by_polling_and_callback(self):
        ok = self.submit("ツウジョウ")
        blurry = self.submit("ヒニン")
        review = self.submit("シンサ")
        silent = self.submit("ムオウトウ")
        self.assertEqual(ok["status"], "PENDING")
        self.f.advance("PT2H")
        get = lambda v: self.f.json("GET", "/ekyc/v1/verifications/" + v["verification_id"])[1]
        self.assertEqual(get(ok)["status"], "VERIFIED")
        self.assertEqual(get(ok)["extracted"]["birth_date"], "1990-01-01")
        self.assertEqual((get(blurry)["status"], get(blurry)["reason"]), ("REJECTED", "IMAGE_BLURRY"))
        self.assertEqual(get(review)["status"], "MANUAL_REVIEW")
        self.assertEqual(get(silent)["status"], "PENDING")
        self.f.wait_journal(lambda e: e["request"]["verification_id"] == ok["verification_id"] and e["status"] == 200,
                            system="ekyc", path="platform:/ext/v1/ekyc/verdicts")
        self.f.advance("P5D")
        self.assertEqual(get(review)["status"], "VERIFIED")
        self.assertEqual(get(silent)["status"], "VERIFIED")
        self.f.wait_journal(lambda e: e["request"]["verification_id"] == review["verification_id"]
                            and e["request"]["status"] == "VERIFIED" and e["status"] == 200,
                            system="ekyc", path="platform:/ext/v1/ekyc/verdicts")
        sent = [c for c in self.platform.calls if c[0] == "/ext/v1/ekyc/verdicts"]
        self.assertFalse([c for c in sent if c[2]["verification_id"] == silent["verification_id"]])
        keys = [c[1].get("Idempotency-Key") for c in sent if c[2]["verification_id"] == ok["verification_id"]]
        self.assertEqual(keys[0], ok["verification_id"] + ":VERIFIED")

    def test_ekyc_bad_input(self):
        base = {"applicant_ref": "A", "method": "HO", "applicant": applicant(), "documents": [{"type": "FRONT"}]}
        for patch, field in (({"method": "ZZ"}, "method"), ({"applicant": None}, "applicant"),
                             ({"applicant": dict(applicant(), birth_date="1990-02-31")}, "applicant.birth_date"),
                             ({"documents": [{"type": "PHOTO"}]}, "documents[0].type"),
                             ({"documents": []}, "documents")):
            body = dict(base, **patch)
            status, problem = self.f.json("POST", "/ekyc/v1/verifications", body)
            self.assertEqual(status, 400, patch)
            self.assertEqual(problem["field"], field, patch)
        self.assertEqual(self.f.json("GET", "/ekyc/v1/verifications/EK404")[0], 404)

    # --- credit bureau ------------------------------------------------------------------------
    def inquire(self, given, dob="1990-01-01"):
        status, rep = self.f.json("POST", "/bureau/v1/inquiries", {"inquirer": "SIMISSUER01", "subject": subject(given, dob)})
        self.assertEqual(status, 200, rep)
        return rep

    def test_bureau_magic_reports_and_inquiry_log(self):
        self.assertEqual(self.inquire("ツウジョウ")["contracts"][0]["payment_history"], "$" * 24)
        ido = self.inquire("イドウ")
        self.assertTrue(ido["incident"])
        self.assertEqual(ido["incident_detail"]["since"], "2025-05")
        self.assertEqual(self.inquire("エンタイ")["contracts"][0]["payment_history"][-1], "A")
        taju = self.inquire("タジュウ")
        self.assertEqual((len(taju["contracts"]), taju["total_annual_billing"]), (5, 2400000))
        self.assertGreaterEqual(taju["inquiries_6m"], 4)
        self.assertFalse(self.inquire("ミトウロク", "1999-09-09")["found"])
        status, log = self.f.json("GET", "/bureau/v1/inquiries?inquirer=SIMISSUER01")
        self.assertGreaterEqual(len(log["inquiries"]), 5)

    def test_bureau_contracts(self):
        status, c = self.f.json("POST", "/bureau/v1/contracts", {"company": "SIMISSUER01", "contract_type": "REVOLVING",
                                                                 "contract_date": "2027-01-01", "limit": 100000,
                                                                 "subject": subject("ミトウロク", "1988-08-08")})
        self.assertEqual(status, 201)
        rep = self.inquire("ミトウロク", "1988-08-08")
        self.assertTrue(rep["found"])
        self.assertEqual(rep["contracts"][0]["contract_id"], c["contract_id"])
        status, upd = self.f.json("POST", "/bureau/v1/contracts/%s/payment-status" % c["contract_id"],
                                  {"symbol": "$", "balance": 3000})
        self.assertEqual((status, upd["payment_history"][-1], upd["balance"]), (200, "$", 3000))
        self.assertEqual(self.f.json("GET", "/bureau/v1/contracts/" + c["contract_id"])[0], 200)
        self.assertEqual(self.f.json("GET", "/bureau/v1/contracts/CC404")[0], 404)
        self.assertEqual(self.f.json("POST", "/bureau/v1/contracts/CC404/payment-status",
                                     {"symbol": "$", "balance": 0})[0], 404)
        self.assertEqual(self.f.json("POST", "/bureau/v1/contracts/%s/payment-status" % c["contract_id"],
                                     {"symbol": "Z", "balance": 0})[1]["field"], "symbol")

    def test_bureau_bad_input(self):
        for body, field in (({"subject": subject()}, "inquirer"),
                            ({"inquirer": "X"}, "subject"),
                            ({"inquirer": "X", "subject": dict(subject(), phone="call me")}, "subject.phone"),
                            ({"inquirer": "X", "subject": dict(subject(), birth_date="19900101")}, "subject.birth_date"),
                            ({"inquirer": "X", "purpose": "FUN", "subject": subject()}, "purpose")):
            status, problem = self.f.json("POST", "/bureau/v1/inquiries", body)
            self.assertEqual((status, problem["field"]), (400, field), body)
        status, problem = self.f.json("POST", "/bureau/v1/contracts", {"company": "X", "contract_type": "LEASE",
                                                                       "contract_date": "2027-01-01", "limit": 1,
                                                                       "subject": subject()})
        self.assertEqual(problem["field"], "contract_type")

    # --- screening ---------------------------------------------------------------------------
    def check(self, **body):
        status, res = self.f.json("POST", "/screening/v1/checks", body)
        self.assertEqual(status, 200, res)
        return res

    def test_screening_default_list(self):
        self.assertEqual(self.check(name="反社 一郎", name_kana="ハンシャ イチロウ", birth_date="1965-04-01")["result"], "HIT")
        self.assertEqual(self.check(name_kana="ﾊﾝｼｬ ｲﾁﾛｳ", birth_date="1965-04-01")["score"], 100)
        self.assertEqual(self.check(name_kana="はんしゃ いちろう", birth_date="1965-04-01")["result"], "HIT")
        self.assertEqual(self.check(name="高橋 反社", birth_date="1970-07-07")["matched_entry"]["id"], "WL-0002")
        other = self.check(name_kana="ハンシャ イチロウ", birth_date="1980-01-01")
        self.assertEqual((other["result"], other["score"]), ("POSSIBLE_HIT", 70))
        self.assertEqual(self.check(name_kana="ハンシャ イチロ", birth_date="1965-04-01")["score"], 80)
        self.assertEqual(self.check(name_roman="John Pepson", birth_date="1960-01-01")["result"], "PEP_HIT")
        clean = self.check(name="テスト 太郎", name_kana="テスト ツウジョウ", birth_date="1990-01-01")
        self.assertEqual((clean["result"], clean["matched_entry"]), ("NO_HIT", None))
        status, kept = self.f.json("GET", "/screening/v1/checks/" + clean["check_id"])
        self.assertEqual((status, kept["list_version"]), (200, "cardsim-default-1"))
        self.assertEqual(self.f.json("GET", "/screening/v1/checks/SC404")[0], 404)
        self.assertEqual(self.f.json("POST", "/screening/v1/checks", {"birth_date": "1990-01-01"})[1]["field"], "name")
        self.assertEqual(self.f.json("POST", "/screening/v1/checks", {"name": "x", "birth_date": "x"})[1]["field"],
                         "birth_date")

    def test_screening_watchlist_replace(self):
        status, lst = self.f.json("GET", "/screening/v1/watchlist")
        self.assertEqual(len(lst["entries"]), 4)
        new = {"version": "t-2", "entries": [{"id": "T1", "name_kana": "ワルイ ヒト", "birth_date": "1999-09-09",
                                              "category": "ANTI_SOCIAL"}]}
        self.assertEqual(self.f.json("PUT", "/screening/v1/watchlist", new)[1], {"version": "t-2", "entries": 1})
        try:
            self.assertEqual(self.check(name_kana="わるい ひと", birth_date="1999-09-09")["result"], "HIT")
            self.assertEqual(self.f.json("PUT", "/screening/v1/watchlist", {"entries": []})[1]["field"], "version")
            bad = {"version": "x", "entries": [{"id": "A", "name": "n", "category": "VIP"}]}
            self.assertEqual(self.f.json("PUT", "/screening/v1/watchlist", bad)[1]["field"], "entries[0].category")
        finally:
            self.f.json("PUT", "/screening/v1/watchlist", lst)

    # --- card printer ------------------------------------------------------------------------
    def order(self, address="東京都千代田区千代田1-1", masked="411111******0013"):
        return self.f.json("POST", "/printing/v1/orders",
                           {"card_ref": "CARD-1", "embossed_name": "TARO TESTO", "masked_number": masked,
                            "delivery": {"postal_code": "100-0001", "address": address, "recipient": "テスト 太郎"}})

    def test_printer_ships_and_delivers_with_callbacks(self):
        status, o = self.order()
        self.assertEqual((status, o["status"]), (202, "ACCEPTED"))
        status, moved = self.order(address="東京都新宿区 転居")
        self.f.advance("P2D")
        got = self.f.json("GET", "/printing/v1/orders/" + o["order_id"])[1]
        self.assertEqual(got["status"], "SHIPPED")
        self.assertRegex(got["tracking_number"], r"^\d{12}$")
        self.f.advance("P5D")
        self.assertEqual(self.f.json("GET", "/printing/v1/orders/" + o["order_id"])[1]["status"], "DELIVERED")
        self.assertEqual(self.f.json("GET", "/printing/v1/orders/" + moved["order_id"])[1]["status"],
                         "RETURNED_UNDELIVERABLE")
        self.f.wait_journal(lambda e: e["request"]["order_id"] == o["order_id"] and e["request"]["event"] == "DELIVERED"
                            and e["status"] == 200, system="printing", path="platform:/ext/v1/printing/events")
        events = [c[2]["event"] for c in self.platform.calls
                  if c[0] == "/ext/v1/printing/events" and c[2]["order_id"] == o["order_id"]]
        self.assertEqual(events, ["SHIPPED", "DELIVERED"])
        self.assertEqual(self.f.json("GET", "/printing/v1/orders/PO404")[0], 404)

    def test_printer_bad_input(self):
        self.assertEqual(self.order(masked="4111110000000013")[1]["field"], "masked_number")
        status, problem = self.f.json("POST", "/printing/v1/orders", {"card_ref": "C", "embossed_name": "ｱ",
                                                                      "masked_number": "411111******0013",
                                                                      "delivery": {"postal_code": "100-0001",
                                                                                   "address": "x", "recipient": "y"}})
        self.assertEqual(problem["field"], "embossed_name")
        status, problem = self.f.json("POST", "/printing/v1/orders", {"card_ref": "C", "embossed_name": "A B",
                                                                      "masked_number": "411111******0013",
                                                                      "delivery": {"address": "x", "recipient": "y"}})
        self.assertEqual(problem["field"], "delivery.postal_code")


class ScreeningListFile(unittest.TestCase):
    def test_list_is_loaded_from_a_file_and_a_bad_file_stops_start_up(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump({"version": "file-1", "entries": [{"id": "F1", "name_roman": "EVIL PERSON",
                                                         "birth_date": "1950-05-05", "category": "PEP"}]}, fh)
            good = fh.name
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            fh.write("{not json")
            bad = fh.name
        try:
            f = Fakes("--screening-list", good)
            try:
                self.assertEqual(f.json("GET", "/screening/v1/watchlist")[1]["version"], "file-1")
                self.assertEqual(f.json("POST", "/screening/v1/checks",
                                        {"name_roman": "evil person", "birth_date": "1950-05-05"})[1]["result"], "PEP_HIT")
            finally:
                f.stop()
            proc = CardsimProcess("--screening-list", bad)
            try:
                with self.assertRaises(RuntimeError) as ctx:
                    proc.start()
                self.assertIn("screening-list", str(ctx.exception))
            finally:
                proc.__exit__(None, None, None)
        finally:
            os.unlink(good)
            os.unlink(bad)


if __name__ == "__main__":
    unittest.main()
