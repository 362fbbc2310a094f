#include <gtest/gtest.h>

#include "fake_test_env.hpp"
#include "fakes/common/faults.hpp"
#include "fakes/common/japanese.hpp"
#include "fakes/common/journal.hpp"
#include "fakes/common/problem.hpp"
#include "fakes/common/support.hpp"

namespace sim::fakes::common {
namespace {

using testing::Body;
using testing::World;

JournalQuery Q(std::string system, std::string path, std::optional<std::uint64_t> after,
               std::optional<core::TimePoint> since) {
    JournalQuery q;
    q.system = std::move(system);
    q.path_prefix = std::move(path);
    q.after_seq = after;
    q.since_time = since;
    return q;
}

FaultRule ErrorRule(double rate) {
    return ParseFaultRule({{"system", "payment"}, {"operation", "simulate_authorization"},
                           {"error", {{"rate", rate}, {"status", 503}}}})
        .value();
}

TEST(FaultInjector, ThirtyPercentErrorRateGivesAboutThirtyPercentOverAThousandCalls) {
    FaultInjector faults(42);
    faults.Add(ErrorRule(0.3));
    int errors = 0;
    for (int i = 0; i < 1000; ++i)
        if (faults.Decide("payment", "simulate_authorization").outcome == FaultOutcome::kError) ++errors;
    EXPECT_GE(errors, 260);
    EXPECT_LE(errors, 340);
}

TEST(FaultInjector, SameSeedGivesTheSameSequenceAndAnotherSeedAnother) {
    auto run = [](std::uint64_t seed) {
        FaultInjector faults(seed);
        faults.Add(ErrorRule(0.3));
        std::string seq;
        for (int i = 0; i < 1000; ++i)
            seq += faults.Decide("payment", "simulate_authorization").outcome == FaultOutcome::kError ? 'E' : '.';
        return seq;
    };
    EXPECT_EQ(run(7), run(7));
    EXPECT_NE(run(7), run(8));
}

TEST(FaultInjector, OnlyTheMatchingSystemAndOperationAreAffected) {
    FaultInjector faults(1);
    faults.Add(ErrorRule(1.0));
    EXPECT_EQ(faults.Decide("payment", "simulate_authorization").outcome, FaultOutcome::kError);
    EXPECT_EQ(faults.Decide("payment", "register_account").outcome, FaultOutcome::kNone);
    EXPECT_EQ(faults.Decide("push", "simulate_authorization").outcome, FaultOutcome::kNone);
}

TEST(FaultInjector, CountLimitsHowOftenARuleApplies) {
    FaultInjector faults(1);
    auto rule = ParseFaultRule({{"system", "*"}, {"error", {{"rate", 1.0}}}, {"count", 2}}).value();
    faults.Add(rule);
    EXPECT_EQ(faults.Decide("a", "x").outcome, FaultOutcome::kError);
    EXPECT_EQ(faults.Decide("b", "y").outcome, FaultOutcome::kError);
    EXPECT_EQ(faults.Decide("a", "x").outcome, FaultOutcome::kNone);
}

TEST(FaultInjector, TimeoutAndResetRatesAddUp) {
    FaultInjector faults(3);
    faults.Add(ParseFaultRule({{"system", "push"}, {"timeout", {{"rate", 0.5}}}, {"reset", {{"rate", 0.5}}}}).value());
    int timeouts = 0, resets = 0;
    for (int i = 0; i < 400; ++i) {
        auto d = faults.Decide("push", "send");
        timeouts += d.outcome == FaultOutcome::kTimeout;
        resets += d.outcome == FaultOutcome::kReset;
    }
    EXPECT_EQ(timeouts + resets, 400);
    EXPECT_GT(timeouts, 150);
    EXPECT_GT(resets, 150);
}

TEST(FaultInjector, LatencyKindsStayInTheirShapes) {
    FaultInjector faults(5);
    faults.Add(ParseFaultRule({{"system", "a"}, {"latency", {{"kind", "fixed"}, {"ms", 250}}}}).value());
    faults.Add(ParseFaultRule({{"system", "b"}, {"latency", {{"kind", "uniform"}, {"min_ms", 10}, {"max_ms", 20}}}}).value());
    faults.Add(
        ParseFaultRule({{"system", "c"}, {"latency", {{"kind", "lognormal"}, {"median_ms", 100}, {"sigma", 0.5}}}}).value());
    EXPECT_EQ(faults.Decide("a", "x").latency, std::chrono::milliseconds(250));
    std::vector<double> logn;
    for (int i = 0; i < 1001; ++i) {
        auto u = faults.Decide("b", "x").latency;
        EXPECT_GE(u, std::chrono::milliseconds(10));
        EXPECT_LE(u, std::chrono::milliseconds(20));
        logn.push_back(std::chrono::duration<double, std::milli>(faults.Decide("c", "x").latency).count());
    }
    std::sort(logn.begin(), logn.end());
    EXPECT_NEAR(logn[500], 100.0, 12.0);  // the median
}

TEST(FaultInjector, CallbackFaultsDuplicateAndDelay) {
    FaultInjector faults(9);
    faults.Add(ParseFaultRule({{"system", "ekyc"},
                               {"callbacks", {{"duplicate_rate", 1.0}, {"delay", "PT10M"}, {"reorder_window", "PT1M"}}}})
                   .value());
    auto d = faults.DecideCallback("ekyc", "callback_verdict");
    EXPECT_EQ(d.copies, 2);
    EXPECT_GE(d.delay, std::chrono::minutes(10));
    EXPECT_LE(d.delay, std::chrono::minutes(11));
    EXPECT_EQ(faults.Decide("ekyc", "submit").outcome, FaultOutcome::kNone);  // a callback-only rule
}

TEST(FaultRuleParsing, ErrorsNameTheField) {
    EXPECT_EQ(ParseFaultRule({{"operation", "x"}}).error().field, "system");
    EXPECT_EQ(ParseFaultRule({{"system", "a"}, {"error", {{"rate", 1.5}}}}).error().field, "error.rate");
    EXPECT_EQ(ParseFaultRule({{"system", "a"}, {"error", {{"rate", 0.1}, {"status", 200}}}}).error().field,
              "error.status");
    EXPECT_EQ(ParseFaultRule({{"system", "a"}, {"latency", {{"kind", "gamma"}}}}).error().field, "latency.kind");
    EXPECT_EQ(ParseFaultRule({{"system", "a"}, {"bogus", 1}}).error().field, "bogus");
    EXPECT_EQ(ParseFaultRule({{"system", "a"}, {"callbacks", {{"delay", "soon"}}}}).error().field, "callbacks.delay");
    EXPECT_EQ(ParseFaultRule({{"system", "a"}, {"error", {{"rate", 0.6}}}, {"timeout", {{"rate", 0.6}}}}).error().field,
              "error.rate");
}

TEST(Journal, KeepsTheNewestEntriesAndQueriesBySystemPathAndSince) {
    Journal j(3);
    for (int i = 0; i < 5; ++i) {
        JournalEntry e;
        e.system = i % 2 ? "push" : "payment";
        e.path = i % 2 ? "/push/v1/send" : "/payment/v1/authorizations";
        e.at = testing::Start() + std::chrono::seconds(i);
        j.Append(e);
    }
    EXPECT_EQ(j.size(), 3u);
    auto all = j.Query({});
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all.front().seq, 3u);
    EXPECT_EQ(j.Query(Q("push", "", std::nullopt, std::nullopt)).size(), 1u);
    EXPECT_EQ(j.Query(Q("", "/payment/", std::nullopt, std::nullopt)).size(), 2u);
    EXPECT_EQ(j.Query(Q("", "", 4, std::nullopt)).size(), 1u);
    EXPECT_EQ(j.Query(Q("", "", std::nullopt, testing::Start() + std::chrono::seconds(3))).size(), 2u);
}

TEST(Journal, MasksCardNumbersInBodiesAndPaths) {
    Journal j;
    JournalEntry e;
    e.path = "/x?card=4111111111111111";
    e.request_body = R"({"card":"4111111111111111"})";
    j.Append(e);
    auto got = j.Query({}).at(0);
    EXPECT_EQ(got.request_body.find("4111111111111111"), std::string::npos);
    EXPECT_NE(got.request_body.find("411111******1111"), std::string::npos);
    EXPECT_EQ(got.path.find("4111111111111111"), std::string::npos);
}

TEST(JsonReader, NamesTheFirstBadField) {
    JsonReader in(std::string_view(R"({"amount":"12","card":""})"));
    in.Int("amount");
    in.String("card");
    ASSERT_TRUE(in.failed());
    EXPECT_EQ(in.error()->field, "amount");
    auto body = Body(in.problem());
    EXPECT_EQ(body["status"], 400);
    EXPECT_EQ(body["field"], "amount");
    EXPECT_EQ(body["reason"], "must be an integer");
    JsonReader bad(std::string_view("{oops"));
    EXPECT_EQ(bad.error()->field, "body");
}

TEST(Japanese, NormalisesWidthKanaSpacingAndVariantKanji) {
    EXPECT_EQ(NormalizeName("ﾊﾝｼｬ ｲﾁﾛｳ"), "ハンシャイチロウ");
    EXPECT_EQ(NormalizeName("はんしゃ　いちろう"), "ハンシャイチロウ");
    EXPECT_EQ(NormalizeName("ＡＢＣ def"), "ABCDEF");
    EXPECT_EQ(NormalizeName("ｶﾞｯｺｳ ﾊﾟﾝ"), "ガッコウパン");
    EXPECT_EQ(NormalizeName("髙橋・﨑"), "高橋崎");
    EXPECT_NE(NormalizeName("齋藤"), NormalizeName("齊藤"));  // 斎 and 斉 stay distinct
    EXPECT_EQ(NormalizeName("齋藤"), "斎藤");
    EXPECT_EQ(KanaFold("ツウジョウ"), KanaFold("ツウジヨウ"));
    EXPECT_EQ(KanaFold("コーヒー"), "コヒ");
    EXPECT_EQ(EditDistance("ハンシャ", "ハンシヤ"), 1u);
}

TEST(Support, JstCalendarBase64UrlAndHmac) {
    auto t = testing::Start();  // 09:00 JST on 2027-01-01
    EXPECT_EQ(FormatJst(t), "2027-01-01T09:00:00+09:00");
    EXPECT_EQ(core::FormatIso8601(NextJstTimeOfDay(t, std::chrono::hours(4))), "2027-01-01T19:00:00Z");
    EXPECT_EQ(FormatDate(JstDate(t + std::chrono::hours(15))), "2027-01-02");
    // Friday + 1 business day = Monday.
    EXPECT_EQ(FormatDate(JstDate(AddBusinessDays(t, 1))), "2027-01-04");
    for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\xff\x00\x10", 3)})
        EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(s)).value(), s);
    EXPECT_FALSE(Base64UrlDecode("a*b").has_value());
    // RFC 4231 test case 2.
    EXPECT_EQ(Base64UrlEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
              "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
    EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
    EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(Sender, RetriesWithExponentialBackoffOnTheClockUntilAcknowledged) {
    World w;
    w.platform_status = [](const core::Request&, std::size_t i) { return i < 3 ? 503 : 200; };
    std::vector<core::TimePoint> at;
    auto status = w.platform_status;
    w.platform_status = [&](const core::Request& r, std::size_t i) {
        at.push_back(w.clock.Now());
        return status(r, i);
    };
    bool acked = false;
    int attempts = 0;
    w.env.Callback("ekyc", "callback_verdict", "/ext/v1/x", {{"a", 1}}, "key-1", {},
                   [&](const core::Response&, int n, bool ok) {
                       acked = ok;
                       attempts = n;
                   });
    w.Settle();
    EXPECT_EQ(w.platform_calls.size(), 1u);
    w.Advance(std::chrono::seconds(10));
    ASSERT_EQ(at.size(), 4u);
    EXPECT_EQ(at[1] - at[0], std::chrono::seconds(1));
    EXPECT_EQ(at[2] - at[1], std::chrono::seconds(2));
    EXPECT_EQ(at[3] - at[2], std::chrono::seconds(4));
    EXPECT_TRUE(acked);
    EXPECT_EQ(attempts, 4);
    EXPECT_EQ(w.platform_calls[0].headers.Get("Idempotency-Key").value(), "key-1");
    // Every attempt is journaled as a callback.
    auto entries = w.env.journal().Query(Q("ekyc", "", std::nullopt, std::nullopt));
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[3].attempt, 4);
    EXPECT_EQ(entries[3].status, 200);
}

TEST(Sender, GivesUpAfterMaxAttemptsAndDoesNotRetryClientErrors) {
    World w;
    w.platform_status = [](const core::Request&, std::size_t) { return 400; };
    bool done = false, acked = true;
    w.env.Callback("ekyc", "callback_verdict", "/ext/v1/x", {}, "", {}, [&](const core::Response&, int, bool ok) {
        done = true;
        acked = ok;
    });
    w.Advance(std::chrono::hours(1));
    EXPECT_TRUE(done);
    EXPECT_FALSE(acked);
    EXPECT_EQ(w.platform_calls.size(), 1u);
}

TEST(Sender, InjectedCallbackFaultsDuplicateAndDelayDeliveries) {
    World w;
    w.env.faults().Add(
        ParseFaultRule({{"system", "ekyc"}, {"callbacks", {{"duplicate_rate", 1.0}, {"delay", "PT5M"}}}}).value());
    w.env.Callback("ekyc", "callback_verdict", "/ext/v1/x", {}, "k");
    w.Advance(std::chrono::minutes(4));
    EXPECT_EQ(w.platform_calls.size(), 0u);
    w.Advance(std::chrono::minutes(2));
    EXPECT_EQ(w.platform_calls.size(), 2u);
}

TEST(Sender, ACallbacksTraceIdIsTheTraceHeaderOfEveryAttemptAndEveryDuplicate) {
    World w;
    w.env.faults().Add(ParseFaultRule({{"system", "atm"}, {"callbacks", {{"duplicate_rate", 1.0}}}}).value());
    w.platform_status = [](const core::Request&, std::size_t i) { return i < 2 ? 503 : 200; };
    w.env.Callback("atm", "callback_repayment", "/ext/v1/atm/repayments", {{"a", 1}}, "k", {}, nullptr, "trace-cash-in");
    w.Advance(std::chrono::seconds(10));
    // Two copies; the first two deliveries were answered 503 and retried.
    ASSERT_EQ(w.platform_calls.size(), 4u);
    for (const auto& call : w.platform_calls) {
        ASSERT_TRUE(call.headers.Get("X-Cardsim-Trace-Id").has_value()) << call.target;
        EXPECT_EQ(call.headers.Get("X-Cardsim-Trace-Id").value(), "trace-cash-in");
    }
    // Without one, no trace header: the platform's runtime gives the attempt a trace of its own.
    w.env.faults().Clear();
    w.env.Callback("atm", "callback_repayment", "/ext/v1/atm/repayments", {{"a", 2}}, "k2");
    w.Settle();
    ASSERT_EQ(w.platform_calls.size(), 5u);
    EXPECT_FALSE(w.platform_calls[4].headers.Get("X-Cardsim-Trace-Id").has_value());
}

TEST(Sender, PlatformFrontDoorFaultsAnswerForThePlatformUntilTheirCountIsSpent) {
    World w;
    w.env.faults().Add(ParseFaultRule({{"system", "platform"},
                                       {"operation", "callback_repayment"},
                                       {"error", {{"rate", 1.0}, {"status", 503}}},
                                       {"count", 3}})
                           .value());
    bool acked = false;
    int attempts = 0;
    w.env.Callback("atm", "callback_repayment", "/ext/v1/atm/repayments", {{"a", 1}}, "k", {},
                   [&](const core::Response&, int n, bool ok) {
                       acked = ok;
                       attempts = n;
                   });
    w.Advance(std::chrono::seconds(10));
    // Three attempts were answered 503 at the front door; only the fourth reached the platform.
    EXPECT_EQ(w.platform_calls.size(), 1u);
    EXPECT_TRUE(acked);
    EXPECT_EQ(attempts, 4);
    auto entries = w.env.journal().Query(Q("atm", "", std::nullopt, std::nullopt));
    ASSERT_EQ(entries.size(), 4u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(entries[i].status, 503);
        EXPECT_EQ(entries[i].fault, "error");
    }
    EXPECT_EQ(entries[3].status, 200);
    // Another callback operation, and "*" rules, leave the platform's front door alone.
    w.env.faults().Add(ParseFaultRule({{"system", "*"}, {"error", {{"rate", 1.0}, {"status", 500}}}}).value());
    w.env.faults().Add(ParseFaultRule({{"system", "platform"}, {"operation", "callback_verdict"},
                                       {"error", {{"rate", 1.0}, {"status", 503}}}})
                           .value());
    w.env.Callback("atm", "callback_repayment", "/ext/v1/atm/repayments", {{"a", 2}}, "k2");
    w.Settle();
    EXPECT_EQ(w.platform_calls.size(), 2u);
}

TEST(Sender, APlatformFrontDoorTimeoutIsRetriedAndAResetReachesThePlatformButLosesTheAnswer) {
    World w;
    w.env.faults().Add(
        ParseFaultRule({{"system", "platform"}, {"timeout", {{"rate", 1.0}}}, {"count", 1}}).value());
    w.env.faults().Add(ParseFaultRule({{"system", "platform"}, {"reset", {{"rate", 1.0}}}, {"count", 1}}).value());
    bool acked = false;
    w.env.Callback("ekyc", "callback_verdict", "/ext/v1/x", {}, "k", {}, [&](const core::Response&, int, bool ok) { acked = ok; });
    w.Advance(std::chrono::minutes(4));
    EXPECT_EQ(w.platform_calls.size(), 0u);  // no answer yet
    w.Advance(std::chrono::minutes(2));      // 5 minutes: timed out, retried 1 s later: reset (it arrives)
    w.Advance(std::chrono::seconds(10));     // retried again: delivered
    EXPECT_EQ(w.platform_calls.size(), 2u);
    EXPECT_TRUE(acked);
    auto entries = w.env.journal().Query(Q("ekyc", "", std::nullopt, std::nullopt));
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].fault, "timeout");
    EXPECT_EQ(entries[1].fault, "reset");
    EXPECT_EQ(entries[1].status, 502);
    EXPECT_EQ(entries[2].status, 200);
}

TEST(Sender, APlatformFrontDoorTimeoutLastsTheFakesNoResponseRelease) {
    FakeOptions options;
    options.no_response_release = std::chrono::minutes(1);
    World w(options);
    w.env.faults().Add(ParseFaultRule({{"system", "platform"}, {"timeout", {{"rate", 1.0}}}, {"count", 1}}).value());
    bool acked = false;
    w.env.Callback("ekyc", "callback_verdict", "/ext/v1/x", {}, "k", {},
                   [&](const core::Response&, int, bool ok) { acked = ok; });
    w.Advance(std::chrono::seconds(59));
    EXPECT_EQ(w.platform_calls.size(), 0u);
    w.Advance(std::chrono::seconds(2));  // released at 1 minute, retried 1 s later: delivered
    EXPECT_EQ(w.platform_calls.size(), 1u);
    EXPECT_TRUE(acked);
}

TEST(Sender, APlatformFrontDoorLatencyDelaysTheDeliveryAndIsJournaled) {
    World w;
    w.env.faults().Add(
        ParseFaultRule({{"system", "platform"}, {"latency", {{"kind", "fixed"}, {"ms", 3000}}}, {"count", 1}}).value());
    w.env.Callback("atm", "callback_repayment", "/ext/v1/atm/repayments", {{"a", 1}}, "k");
    w.Advance(std::chrono::milliseconds(2999));
    EXPECT_EQ(w.platform_calls.size(), 0u);
    w.Advance(std::chrono::milliseconds(1));
    ASSERT_EQ(w.platform_calls.size(), 1u);
    auto entries = w.env.journal().Query(Q("atm", "", std::nullopt, std::nullopt));
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].fault, "latency");
    EXPECT_EQ(entries[0].status, 200);
}

class FakeRoute : public ::testing::Test {
protected:
    World w;
    core::Router router;
    int runs = 0;
    void SetUp() override {
        w.env.Route(router, "POST", "/t/v1/things", "payment", "make_thing", [this](const core::Request&) {
            ++runs;
            return core::Response::Json(201, {{"run", runs}});
        });
    }
};

TEST_F(FakeRoute, ReplaysTheFirstResultForTheSameIdempotencyKey) {
    auto a = w.Call(router, "POST", "/t/v1/things", "{}", {{"Idempotency-Key", "k1"}});
    auto b = w.Call(router, "POST", "/t/v1/things", "{}", {{"Idempotency-Key", "k1"}});
    EXPECT_EQ(a.status, 201);
    EXPECT_EQ(b.body, a.body);
    EXPECT_EQ(b.headers.Get("Idempotent-Replayed").value(), "true");
    EXPECT_EQ(runs, 1);
    auto c = w.Call(router, "POST", "/t/v1/things", R"({"other":1})", {{"Idempotency-Key", "k1"}});
    EXPECT_EQ(c.status, 422);
    EXPECT_EQ(Body(c)["field"], "Idempotency-Key");
    EXPECT_EQ(runs, 1);
}

TEST_F(FakeRoute, InjectedErrorsDoNotRunTheHandler) {
    w.env.faults().Add(ParseFaultRule({{"system", "payment"}, {"error", {{"rate", 1.0}, {"status", 503}, {"body", {{"x", 1}}}}}}).value());
    auto r = w.Call(router, "POST", "/t/v1/things");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(Body(r)["x"], 1);
    EXPECT_EQ(r.headers.Get("X-Cardsim-Fault").value(), "error");
    EXPECT_EQ(runs, 0);
    EXPECT_EQ(w.env.journal().Query({}).at(0).fault, "error");
}

TEST_F(FakeRoute, ResetRunsTheHandlerButLosesTheAnswerWhichAnIdempotentRetryGets) {
    w.env.faults().Add(ParseFaultRule({{"system", "payment"}, {"reset", {{"rate", 1.0}}}, {"count", 1}}).value());
    auto r = w.Call(router, "POST", "/t/v1/things", "{}", {{"Idempotency-Key", "k2"}});
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.headers.Get("X-Cardsim-Fault").value(), "reset");
    EXPECT_EQ(runs, 1);
    auto again = w.Call(router, "POST", "/t/v1/things", "{}", {{"Idempotency-Key", "k2"}});
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(runs, 1);
}

TEST_F(FakeRoute, LatencyAndTimeoutRunOnTheClock) {
    w.env.faults().Add(ParseFaultRule({{"system", "payment"}, {"latency", {{"kind", "fixed"}, {"ms", 2000}}}, {"count", 1}}).value());
    core::Request req;
    req.method = "POST";
    req.target = "/t/v1/things";
    int status = 0;
    router.Handle(req, [&](core::Response r) { status = r.status; });
    w.Settle();
    EXPECT_EQ(status, 0);
    w.Advance(std::chrono::seconds(2));
    EXPECT_EQ(status, 201);

    w.env.faults().Add(ParseFaultRule({{"system", "payment"}, {"timeout", {{"rate", 1.0}}}}).value());
    status = 0;
    router.Handle(req, [&](core::Response r) { status = r.status; });
    w.Advance(std::chrono::minutes(4));
    EXPECT_EQ(status, 0);
    w.Advance(std::chrono::minutes(1));
    EXPECT_EQ(status, 504);
}

TEST(FileDrop, IsRetriedForAboutADayWhenTheBucketIsMissingThenGivenUp) {
    World w;
    int puts = 0;
    w.transport.RegisterInProcess("aws", [&](core::Request, core::Respond d) {
        ++puts;
        d(core::Response::Text(404, "<Error><Code>NoSuchBucket</Code></Error>", "application/xml"));
    });
    bool done = false, stored = true;
    w.env.PutBatchObject("payment", "cashflow_file", "cashflow/x.csv", "a,b\n", "text/csv",
                         [&](const core::Response&, int, bool ok) {
                             done = true;
                             stored = ok;
                         });
    w.Advance(std::chrono::hours(20));
    EXPECT_FALSE(done) << "a bucket created later the same day must still get the file";
    w.Advance(std::chrono::hours(12));
    EXPECT_TRUE(done);
    EXPECT_FALSE(stored);
    EXPECT_EQ(puts, kFileDropAttempts);
}

}  // namespace
}  // namespace sim::fakes::common
