"""The platform's application flow through its front APIs (docs/platform.md), against
`cardsim serve --clock virtual --ephemeral` with the fakes, time advanced with POST /_sim/clock."""
import hashlib
import hmac
import json
import unittest
import urllib.parse

from cardsim_process import CardsimProcess


class Platform:
    def __init__(self, *extra):
        self.sim = CardsimProcess("--clock", "virtual", "--platform-password-iterations", "1000", *extra).start()

    def stop(self):
        self.sim.__exit__(None, None, None)

    def call(self, method, path, body=None, token=None, headers=None, listener="platform"):
        hdrs = {"Content-Type": "application/json"}
        if token:
            hdrs["Authorization"] = "Bearer " + token
        hdrs.update(headers or {})
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        status, h, raw = self.sim.request(method, path, data, hdrs, listener=listener)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return status, parsed

    def advance(self, duration):
        status, body = self.call("POST", "/_sim/clock", {"advance": duration})
        assert status == 200, body
        return body

    def sign_up(self, email, password="correct horse battery"):
        status, body = self.call("POST", "/app/v1/members", {"email": email, "password": password})
        assert status == 201, body
        status, session = self.call("POST", "/app/v1/sessions", {"email": email, "password": password})
        assert status == 201, session
        return body["member_id"], session["token"]

    def admin_sign_in(self, token):
        """Admin sessions expire after 15 min idle (docs/platform.md): sign in again with the token."""
        status, session = self.call("POST", "/admin/v1/sessions", token=token)
        assert status == 201, session
        return session


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class PlatformCase(unittest.TestCase):
    """One cardsim for the whole class, in self.p."""

    @classmethod
    def setUpClass(cls):
        cls.p = Platform()

    @classmethod
    def tearDownClass(cls):
        cls.p.stop()


class MembersTest(PlatformCase):
    def test_sign_up_and_sign_in(self):
        member, token = self.p.sign_up("Alice@Example.com")
        self.assertTrue(member.startswith("M-"))
        self.assertTrue(token.startswith("cst_"))
        status, body = self.p.call("GET", "/internal/application/members/" + member)
        self.assertEqual(status, 200)
        self.assertEqual(body["email"], "alice@example.com")
        status, body = self.p.call("GET", "/internal/application/members/M-nobody")
        self.assertEqual(status, 404)
        self.assertEqual(body["field"], "member_id")

    def test_sign_up_validation(self):
        for body, field in [({"password": "correct horse battery"}, "email"),
                            ({"email": "not-an-email", "password": "correct horse battery"}, "email"),
                            ({"email": "b@example.com", "password": "short"}, "password"),
                            ({"email": "b@example.com", "password": 12345678901234}, "password")]:
            status, problem = self.p.call("POST", "/app/v1/members", body)
            self.assertEqual(status, 400, problem)
            self.assertEqual(problem["field"], field)
            self.assertEqual(problem["status"], 400)
            self.assertIn("reason", problem)
        status, problem = self.p.call("POST", "/app/v1/members", b"{not json")
        self.assertEqual((status, problem["field"]), (400, "body"))
        self.p.sign_up("taken@example.com")
        status, problem = self.p.call("POST", "/app/v1/members",
                                      {"email": "TAKEN@example.com", "password": "correct horse battery"})
        self.assertEqual((status, problem["field"]), (409, "email"))

    def test_wrong_password_then_lockout_for_thirty_minutes(self):
        self.p.sign_up("carol@example.com")
        for _ in range(10):
            status, problem = self.p.call("POST", "/app/v1/sessions",
                                          {"email": "carol@example.com", "password": "wrong password!"})
            self.assertEqual(status, 401)
        status, problem = self.p.call("POST", "/app/v1/sessions",
                                      {"email": "carol@example.com", "password": "correct horse battery"})
        self.assertEqual(status, 401)
        self.assertIn("locked", problem["reason"])
        self.p.advance("PT30M")
        status, body = self.p.call("POST", "/app/v1/sessions",
                                   {"email": "carol@example.com", "password": "correct horse battery"})
        self.assertEqual(status, 201, body)
        status, problem = self.p.call("POST", "/app/v1/sessions",
                                      {"email": "nobody@example.com", "password": "correct horse battery"})
        self.assertEqual(status, 401)

    def test_sessions_expire_after_a_day(self):
        _, token = self.p.sign_up("dave@example.com")
        status, _ = self.p.call("GET", "/app/v1/applications/current", token=token)
        self.assertNotEqual(status, 401)
        self.p.advance("PT24H")
        status, problem = self.p.call("GET", "/app/v1/applications/current", token=token)
        self.assertEqual(status, 401)
        self.assertEqual(problem["field"], "Authorization")

    def test_front_apis_need_credentials(self):
        for method, path in [("GET", "/app/v1/applications/current"), ("POST", "/app/v1/applications")]:
            status, problem = self.p.call(method, path, {})
            self.assertEqual(status, 401, path)
            status, problem = self.p.call(method, path, {}, token="cst_forged")
            self.assertEqual(status, 401, path)

    def test_callbacks_need_the_system_signature(self):
        body = json.dumps({"verification_id": "V-1"}).encode()
        status, problem = self.p.call("POST", "/ext/v1/ekyc/verdicts", body)
        self.assertEqual((status, problem["field"]), (401, "X-Cardsim-Signature"))
        status, problem = self.p.call("POST", "/ext/v1/ekyc/verdicts", body,
                                      headers={"X-Cardsim-Signature": sign("wrong", body)})
        self.assertEqual(status, 401)
        status, problem = self.p.call("POST", "/ext/v1/ekyc/verdicts", body,
                                      headers={"X-Cardsim-Signature": sign("cardsim-printing-callback-secret", body)})
        self.assertEqual(status, 401)  # another system's secret

    def test_invariants_hold(self):
        status, body = self.p.call("GET", "/_sim/invariants")
        self.assertEqual(status, 200)
        self.assertTrue(body["ok"], body)


OFFICER = "officer-token"
OPERATOR = "operator-token"
AUDITOR = "auditor-token"


def applicant(given_kana="ツウジョウ", family="テスト", family_kana="テスト", given="太郎", birth="1990-05-05", **over):
    body = {"family_name": family, "given_name": given, "family_name_kana": family_kana,
            "given_name_kana": given_kana, "birth_date": birth, "postal_code": "150-0001",
            "address": "東京都渋谷区神宮前1-1-1", "phone": "090-1234-5678", "annual_income": 3000000,
            "household_size": 1, "housing": "RENTED", "other_annual_debt": 0, "ekyc_method": "HO",
            "documents": [{"type": "FRONT"}, {"type": "BACK"}, {"type": "THICKNESS"}, {"type": "SELFIE"}],
            "embossed_name": "TARO TEST"}
    body.update(over)
    return body


def sqs(p, op, body):
    status, raw = p.call("POST", "/", body, headers={"X-Amz-Target": "AmazonSQS." + op,
                                                      "Content-Type": "application/x-amz-json-1.0"}, listener="aws")
    return status, raw


class ApplicationFlowTest(PlatformCase):
    """One simulated day: submissions at 00:00Z, eKYC after 2 h, the review batch at 17:00Z."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.apps = {}
        for key, body in [("ok", applicant()),
                          ("idou", applicant("イドウ")),
                          ("hansha", applicant("イチロウ", family="反社", family_kana="ハンシャ", given="一郎",
                                               birth="1965-04-01")),
                          ("shinsa", applicant("シンサ"))]:
            _, token = cls.p.sign_up(key + "@example.com")
            status, app = cls.p.call("POST", "/app/v1/applications", body, token=token)
            assert status == 202, app
            cls.apps[key] = (token, app["application_id"])
        cls.p.advance("PT17H")  # eKYC verdicts (2 h), then the 02:00 JST review batch

    def current(self, key):
        status, app = self.p.call("GET", "/app/v1/applications/current", token=self.apps[key][0])
        self.assertEqual(status, 200, app)
        return app

    def detail(self, key):
        status, app = self.p.call("GET", "/admin/v1/applications/" + self.apps[key][1], token=OFFICER)
        self.assertEqual(status, 200, app)
        return app

    def test_1_the_batch_checks_listed_applications_and_rejects_by_rule(self):
        ok = self.detail("ok")
        self.assertEqual(ok["status"], "CHECKED", ok["history"])
        self.assertEqual(ok["ekyc"]["status"], "VERIFIED")
        self.assertTrue(ok["bureau"]["found"])
        self.assertEqual(ok["screening"]["result"], "NO_HIT")
        self.assertEqual(ok["max_credit_limit"], 100000)
        self.assertEqual(self.current("ok")["status"], "UNDER_REVIEW")
        idou = self.detail("idou")
        self.assertEqual((idou["status"], idou["auto_reject_reason"]), ("REJECTED", "BUREAU_INCIDENT"))
        hansha = self.detail("hansha")
        self.assertEqual((hansha["status"], hansha["auto_reject_reason"]), ("REJECTED", "SCREENING_HIT"))
        for key in ("idou", "hansha"):
            view = self.current(key)
            self.assertEqual(view["status"], "REJECTED")
            self.assertNotIn("auto_reject_reason", view)  # never shown to the applicant
        self.assertEqual(self.detail("shinsa")["status"], "EKYC_MANUAL_REVIEW")
        status, body = self.p.call("GET", "/admin/v1/review-list?date=2027-01-02", token=OFFICER)
        self.assertEqual(status, 200, body)
        listed = {a["application_id"]: a for a in body["applications"]}
        self.assertEqual(listed[self.apps["ok"][1]]["status"], "CHECKED")
        self.assertEqual(listed[self.apps["hansha"][1]]["screening_result"], "HIT")
        self.assertNotIn(self.apps["shinsa"][1], listed)

    def test_2_admin_roles_and_validation(self):
        app_id = self.apps["ok"][1]
        status, _ = self.p.call("GET", "/admin/v1/review-list")
        self.assertEqual(status, 401)
        status, problem = self.p.call("GET", "/admin/v1/review-list", token=OPERATOR)
        self.assertEqual(status, 403)
        status, problem = self.p.call("POST", "/admin/v1/applications/%s/decision" % app_id,
                                      {"decision": "APPROVE", "credit_limit": 50000}, token=AUDITOR)
        self.assertEqual(status, 403)
        status, problem = self.p.call("GET", "/admin/v1/review-list?date=2027-13-01", token=OFFICER)
        self.assertEqual((status, problem["field"]), (400, "date"))
        status, problem = self.p.call("POST", "/admin/v1/applications/%s/decision" % app_id,
                                      {"decision": "MAYBE"}, token=OFFICER)
        self.assertEqual((status, problem["field"]), (400, "decision"))
        status, problem = self.p.call("POST", "/admin/v1/applications/%s/decision" % app_id,
                                      {"decision": "APPROVE", "credit_limit": 100001}, token=OFFICER)
        self.assertEqual((status, problem["field"]), (422, "credit_limit"))
        status, problem = self.p.call("POST", "/admin/v1/applications/%s/decision" % self.apps["idou"][1],
                                      {"decision": "APPROVE", "credit_limit": 50000}, token=OFFICER)
        self.assertEqual(status, 409)
        status, problem = self.p.call("POST", "/admin/v1/applications/A-none/decision",
                                      {"decision": "REJECT", "reason": "x"}, token=OFFICER)
        self.assertEqual(status, 404)
        status, body = self.p.call("GET", "/admin/v1/members?email=ok@example.com", token=OPERATOR)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["members"][0]["application_id"], app_id)
        status, body = self.p.call("GET", "/admin/v1/members?name_kana=" + urllib.parse.quote("テストツウジョウ"), token=OFFICER)
        self.assertEqual(status, 200)
        self.assertGreaterEqual(len(body["members"]), 1)
        status, problem = self.p.call("GET", "/admin/v1/members", token=OPERATOR)
        self.assertEqual(status, 400)

    def test_3_submission_validation(self):
        _, token = self.p.sign_up("validate@example.com")
        for over, field in [({"given_name_kana": "たろう"}, "given_name_kana"),
                            ({"birth_date": "1990-02-30"}, "birth_date"),
                            ({"birth_date": "2015-01-01"}, "birth_date"),
                            ({"postal_code": "1500001"}, "postal_code"),
                            ({"housing": "CASTLE"}, "housing"),
                            ({"annual_income": -1}, "annual_income"),
                            ({"documents": []}, "documents"),
                            ({"documents": [{"type": "PASSPORT_PHOTO"}]}, "documents[0].type"),
                            ({"embossed_name": "太郎"}, "embossed_name")]:
            status, problem = self.p.call("POST", "/app/v1/applications", applicant(**over), token=token)
            self.assertEqual(status, 400, (over, problem))
            self.assertEqual(problem["field"], field)
        status, problem = self.p.call("GET", "/app/v1/applications/current", token=token)
        self.assertEqual(status, 404)  # nothing was stored
        status, problem = self.p.call("POST", "/app/v1/applications", applicant(), token=self.apps["ok"][0])
        self.assertEqual(status, 409)

    def test_4_duplicate_and_unknown_callbacks(self):
        ver = self.detail("ok")["ekyc"]
        body = json.dumps(ver).encode()
        status, ack = self.p.call("POST", "/ext/v1/ekyc/verdicts", body,
                                  headers={"X-Cardsim-Signature": sign("cardsim-ekyc-callback-secret", body)})
        self.assertEqual(status, 200, ack)
        self.assertTrue(ack["ignored"])
        self.assertEqual(self.detail("ok")["status"], "CHECKED")
        body = json.dumps({"verification_id": "V-unknown", "status": "VERIFIED"}).encode()
        status, _ = self.p.call("POST", "/ext/v1/ekyc/verdicts", body,
                                headers={"X-Cardsim-Signature": sign("cardsim-ekyc-callback-secret", body)})
        self.assertEqual(status, 404)

    def test_5_approval_confirms_and_starts_the_async_chain(self):
        app_id = self.apps["ok"][1]
        status, app = self.p.call("POST", "/admin/v1/applications/%s/decision" % app_id,
                                  {"decision": "APPROVE", "credit_limit": 80000}, token=OFFICER)
        self.assertEqual(status, 200, app)
        self.assertEqual(app["status"], "CONFIRMED")
        self.assertEqual(app["decision"]["by"], "officer1")
        self.p.advance("PT1S")
        app = self.detail("ok")
        status, _ = self.p.call("GET", "/internal/payment/cards?member_id=" + app["member_id"])
        if status == 404 and app["status"] == "CONFIRMED":
            # No payment service yet: the card-account step fails, SQS redelivers it after the
            # visibility timeout, and after 5 receives the message is in the dead-letter queue.
            for _ in range(6):
                self.p.advance("PT61S")
            status, url = sqs(self.p, "GetQueueUrl", {"QueueName": "platform-card-account-dlq"})
            status, got = sqs(self.p, "ReceiveMessage", {"QueueUrl": url["QueueUrl"], "AttributeNames": ["All"]})
            self.assertEqual(status, 200, got)
            self.assertEqual(len(got.get("Messages", [])), 1, got)
            msg = got["Messages"][0]
            self.assertEqual(json.loads(msg["Body"])["application_id"], app_id)
            self.assertEqual(msg["Attributes"]["ApproximateReceiveCount"], "6")  # 5 + this one
            self.assertEqual(self.detail("ok")["status"], "CONFIRMED")  # nothing half-done
            # The processor account was registered once, whatever the retries.
            status, j = self.p.call("GET", "/_sim/journal?system=payment&path=/payment/v1/card-accounts",
                                    listener="fakes")
            registrations = [e for e in j["entries"] if e["method"] == "POST" and e.get("fault") != "idempotent_replay"]
            self.assertEqual(len(registrations), 1, j)
            return
        self.assertEqual(app["status"], "CARD_ORDERED", app["history"])
        self.assertEqual(len(app["card"]["last4"]), 4)
        self.p.advance("P2D")
        self.p.admin_sign_in(OFFICER)  # two days idle
        self.assertEqual(self.detail("ok")["status"], "SHIPPED")
        self.p.advance("P2D")
        self.p.admin_sign_in(OFFICER)
        self.assertEqual(self.detail("ok")["status"], "ACTIVE")
        # Four days on, the applicant's session has expired (24 h): sign in again.
        status, session = self.p.call("POST", "/app/v1/sessions",
                                      {"email": "ok@example.com", "password": "correct horse battery"})
        self.assertEqual(status, 201, session)
        self.apps["ok"] = (session["token"],) + tuple(self.apps["ok"][1:])
        self.assertEqual(self.current("ok")["status"], "ACTIVE")

    def test_6_audit_trail(self):
        self.p.admin_sign_in(AUDITOR)  # idle since test 2, days ago in virtual time
        status, problem = self.p.call("GET", "/admin/v1/audit", token=OFFICER)
        self.assertEqual(status, 403)
        status, body = self.p.call("GET", "/admin/v1/audit?actor=officer1", token=AUDITOR)
        self.assertEqual(status, 200, body)
        self.assertTrue(body["entries"])
        for e in body["entries"]:
            for col in ("actor", "event_type", "at", "outcome", "origin", "resource", "reason", "trace_id"):
                self.assertIn(col, e)
        status, body = self.p.call("GET", "/admin/v1/audit?since=nonsense", token=AUDITOR)
        self.assertEqual(status, 400)

    def test_7_invariants(self):
        for listener in ("platform", "aws", "fakes"):
            status, body = self.p.call("GET", "/_sim/invariants", listener=listener)
            self.assertEqual(status, 200, listener)
            self.assertTrue(body["ok"], body)


class AdminIdleExpiryTest(PlatformCase):
    """PCI DSS 8.2.8: an admin token idle for more than 15 minutes (virtual time) must sign in again
    with POST /admin/v1/sessions before its next call (docs/platform.md, "/admin/v1")."""

    def test_idle_token_is_refused_until_it_signs_in_again(self):
        status, body = self.p.call("GET", "/admin/v1/review-list?date=2027-01-01", token=OFFICER)
        self.assertEqual(status, 200, body)  # the first call starts the session
        self.p.advance("PT15M")
        status, body = self.p.call("GET", "/admin/v1/review-list?date=2027-01-01", token=OFFICER)
        self.assertEqual(status, 200, body)  # 15 minutes exactly is not idle *more* than 15
        self.p.advance("PT15M1S")
        status, problem = self.p.call("GET", "/admin/v1/review-list?date=2027-01-01", token=OFFICER)
        self.assertEqual((status, problem["field"]), (401, "Authorization"), problem)
        self.assertIn("idle for more than 15 minutes", problem["reason"])
        self.assertIn("POST /admin/v1/sessions", problem["reason"])
        status, problem = self.p.call("GET", "/admin/v1/review-list?date=2027-01-01", token=OFFICER)
        self.assertEqual(status, 401)  # a refused call does not revive it
        for token in (None, "not-a-configured-token"):
            status, problem = self.p.call("POST", "/admin/v1/sessions", token=token)
            self.assertEqual((status, problem["field"]), (401, "Authorization"))
        session = self.p.admin_sign_in(OFFICER)
        self.assertEqual((session["actor"], session["role"], session["idle_timeout_seconds"]),
                         ("officer1", "credit_officer", 900))
        status, body = self.p.call("GET", "/admin/v1/review-list?date=2027-01-01", token=OFFICER)
        self.assertEqual(status, 200, body)
        # The refusal and the sign-in are in the audit trail.
        status, audit = self.p.call("GET", "/admin/v1/audit?actor=officer1", token=AUDITOR)
        self.assertEqual(status, 200, audit)
        events = [(e["event_type"], e["outcome"], e["reason"]) for e in audit["entries"]]
        self.assertIn(("admin.GET /admin/v1/review-list", "failure", "session idle too long"), events)
        self.assertIn(("admin.POST /admin/v1/sessions", "success", "session started"), events)


class AsyncChainFaultsTest(PlatformCase):
    """Retry and dead-letter behaviour of the async chain's bureau-contract and card-order steps
    (docs/platform.md, "Async chain") when the bureau or the printer fails: failures are not retried
    in-process, SQS redelivers the message after its visibility timeout (60 s), and after 5 receives
    it goes to the step's dead-letter queue. Faults: POST /_sim/faults on the fakes port."""

    STEPS = {"bureau": ("register_contract", "/bureau/v1/contracts", "platform-bureau-contract"),
             "printing": ("place_order", "/printing/v1/orders", "platform-card-order")}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.apps = {}
        for key in ("retried", "timeout", "dead"):
            _, token = cls.p.sign_up(key + "@example.com")
            status, app = cls.p.call("POST", "/app/v1/applications", applicant(), token=token)
            assert status == 202, app
            cls.apps[key] = app["application_id"]
        cls.p.advance("PT17H")  # eKYC verdicts, then the review batch: CHECKED

    def tearDown(self):
        self.p.call("DELETE", "/_sim/faults", listener="fakes")
        status, body = self.p.call("GET", "/_sim/invariants")
        self.assertTrue(body["ok"], body)

    def fault(self, system, **rule):
        status, body = self.p.call("POST", "/_sim/faults", dict(rule, system=system, operation=self.STEPS[system][0]),
                                   listener="fakes")
        self.assertEqual(status, 201, body)
        return body["id"]

    def detail(self, app_id):
        status, app = self.p.call("GET", "/admin/v1/applications/" + app_id, token=OFFICER)
        self.assertEqual(status, 200, app)
        return app

    def approve(self, app_id):
        status, app = self.p.call("POST", "/admin/v1/applications/%s/decision" % app_id,
                                  {"decision": "APPROVE", "credit_limit": 50000}, token=OFFICER)
        self.assertEqual((status, app["status"]), (200, "CONFIRMED"), app)
        self.p.advance("PT1S")  # the router and the card-account step run; the two steps' first receive
        self.assertNotEqual(self.detail(app_id)["status"], "CONFIRMED")

    def attempts(self, system, app_id):
        """The step's requests to the fake for this application: (status, fault) in order."""
        status, j = self.p.call("GET", "/_sim/journal?system=%s&path=%s" % (system, self.STEPS[system][1]),
                                listener="fakes")
        self.assertEqual(status, 200, j)
        mine = [e for e in j["entries"] if e["method"] == "POST" and e.get("idempotency_key", "").endswith(":" + app_id)]
        return [(e["status"], e.get("fault")) for e in mine]

    def queue(self, name):
        status, out = sqs(self.p, "GetQueueUrl", {"QueueName": name})
        self.assertEqual(status, 200, out)
        return out["QueueUrl"]

    def depth(self, name):
        status, out = sqs(self.p, "GetQueueAttributes", {"QueueUrl": self.queue(name), "AttributeNames": ["All"]})
        a = out["Attributes"]
        return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])

    def test_1_a_few_failures_then_success_retried_by_redelivery_nothing_duplicated(self):
        app_id = self.apps["retried"]
        bureau, printing = self.fault("bureau", error={"rate": 1.0, "status": 503}, count=3), \
            self.fault("printing", error={"rate": 1.0, "status": 500}, count=2)
        self.approve(app_id)
        app = self.detail(app_id)
        self.assertEqual(app["status"], "CARD_ACCOUNT_REGISTERED", app["history"])
        self.assertEqual(app["bureau_contract_id"], "")
        self.assertEqual(self.attempts("bureau", app_id), [(503, "error")])
        self.assertEqual(self.attempts("printing", app_id), [(500, "error")])
        for _ in range(3):  # one redelivery a visibility timeout
            self.p.advance("PT61S")
        app = self.detail(app_id)
        self.assertEqual(app["status"], "CARD_ORDERED", app["history"])
        self.assertTrue(app["bureau_contract_id"].startswith("C"), app)
        self.assertEqual(self.attempts("bureau", app_id), [(503, "error")] * 3 + [(201, None)])
        self.assertEqual(self.attempts("printing", app_id), [(500, "error")] * 2 + [(202, None)])
        status, faults = self.p.call("GET", "/_sim/faults", listener="fakes")
        self.assertEqual({f["id"]: f["applied"] for f in faults["faults"]}, {bureau: 3, printing: 2})
        ordered = [h for h in app["history"] if h["to"] == "CARD_ORDERED"]
        self.assertEqual(len(ordered), 1, app["history"])
        for step in ("platform-bureau-contract", "platform-card-order"):
            self.assertEqual((self.depth(step), self.depth(step + "-dlq")), (0, 0), step)
        self.p.advance("P4D")  # shipped day 2, delivered day 4
        self.p.admin_sign_in(OFFICER)  # four days idle
        app = self.detail(app_id)
        self.assertEqual(app["status"], "ACTIVE", app["history"])
        self.assertEqual(len(self.attempts("bureau", app_id)), 4)  # nothing more went out
        self.assertEqual(len(self.attempts("printing", app_id)), 3)

    def test_2_lost_answers_are_retried_with_the_same_idempotency_key(self):
        # The fake acts but the answer never arrives (504 after 5 min; the platform gives up after
        # its 10 s timeout): the redelivery's call with the same key gets the first answer back.
        app_id = self.apps["timeout"]
        self.fault("bureau", timeout={"rate": 1.0}, count=1)
        self.fault("printing", timeout={"rate": 1.0}, count=1)
        self.approve(app_id)
        for _ in range(6):
            self.p.advance("PT61S")
        app = self.detail(app_id)
        self.assertEqual(app["status"], "CARD_ORDERED", app["history"])
        self.assertTrue(app["bureau_contract_id"], app)
        for system in self.STEPS:
            acted = [a for a in self.attempts(system, app_id) if a[1] != "idempotent_replay"]
            self.assertEqual(len(acted), 1, (system, self.attempts(system, app_id)))
        for step in ("platform-bureau-contract", "platform-card-order"):
            self.assertEqual((self.depth(step), self.depth(step + "-dlq")), (0, 0), step)

    def test_3_permanent_failure_ends_in_the_dead_letter_queues_with_nothing_half_applied(self):
        app_id = self.apps["dead"]
        self.fault("bureau", error={"rate": 1.0, "status": 503})
        self.fault("printing", error={"rate": 1.0, "status": 503})
        self.approve(app_id)
        for _ in range(6):
            self.p.advance("PT61S")
        for system, (_, _, step) in self.STEPS.items():
            self.assertEqual(self.depth(step), 0, step)
            status, got = sqs(self.p, "ReceiveMessage", {"QueueUrl": self.queue(step + "-dlq"),
                                                         "AttributeNames": ["All"], "MaxNumberOfMessages": 10})
            self.assertEqual(status, 200, got)
            self.assertEqual(len(got.get("Messages", [])), 1, (step, got))
            msg = got["Messages"][0]
            self.assertEqual(json.loads(msg["Body"])["application_id"], app_id)
            self.assertEqual(msg["Attributes"]["ApproximateReceiveCount"], "6")  # 5 + this one
            # One call a receive (the chain's external calls are not retried in-process), five receives.
            self.assertEqual(self.attempts(system, app_id), [(503, "error")] * 5)
            sqs(self.p, "DeleteMessage", {"QueueUrl": self.queue(step + "-dlq"), "ReceiptHandle": msg["ReceiptHandle"]})
            # Redriven by hand once the fake is back (below).
            sqs(self.p, "SendMessage", {"QueueUrl": self.queue(step), "MessageBody": msg["Body"]})
            self.assertEqual(self.depth(step), 1)
        # Nothing half-applied: no contract, no order, the application where the last good step left it.
        app = self.detail(app_id)
        self.assertEqual((app["status"], app["bureau_contract_id"], app["order_id"]),
                         ("CARD_ACCOUNT_REGISTERED", "", ""), app)
        # The fakes are back: the redriven messages complete both steps, once each.
        self.p.call("DELETE", "/_sim/faults", listener="fakes")
        self.p.advance("PT61S")
        app = self.detail(app_id)
        self.assertEqual(app["status"], "CARD_ORDERED", app["history"])
        self.assertTrue(app["bureau_contract_id"], app)
        for system, (_, _, step) in self.STEPS.items():
            ok = [a for a in self.attempts(system, app_id) if a[1] is None]
            self.assertEqual(len(ok), 1, (system, self.attempts(system, app_id)))
            self.assertEqual((self.depth(step), self.depth(step + "-dlq")), (0, 0), step)


if __name__ == "__main__":
    unittest.main()
