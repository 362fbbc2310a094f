#include <map>

#include <gtest/gtest.h>

#include "fake_test_env.hpp"
#include "fakes/atm/atm_api.hpp"
#include "fakes/common/support.hpp"

namespace sim::fakes::atm {
namespace {

using testing::ApiWorld;
using testing::World;

std::string Token(World& w, std::string nonce, std::optional<Yen> amount = std::nullopt, int ttl = 300,
                  std::string secret = "cardsim-atm-qr-secret") {
    TokenPayload p;
    p.member_id = "M-1";
    p.nonce = std::move(nonce);
    p.exp = core::ToEpochMillis(w.clock.Now()) / 1000 + ttl;
    p.amount = amount;
    return SignToken(p, secret);
}

class Atm : public ::testing::Test {
protected:
    World w;
    std::vector<std::pair<Repayment, NotifyPlan>> notified;
    std::vector<ReconFile> recon;
    AtmNetwork atm{w.clock, AtmOptions{}, [this](const Repayment& r, const NotifyPlan& p) { notified.emplace_back(r, p); },
                   [this](const ReconFile& f) { recon.push_back(f); }};
    RepaymentInput In(std::string token, std::vector<Yen> notes, std::string store = "S-001") {
        RepaymentInput in;
        in.token = std::move(token);
        in.notes = std::move(notes);
        in.store_code = std::move(store);
        return in;
    }
};

TEST_F(Atm, VerifiedTokenAndNotesMakeARepaymentThatIsNotified) {
    auto r = atm.Repay(In(Token(w, "n1"), {10'000, 1'000})).value();
    EXPECT_EQ(r.amount, 11'000);
    EXPECT_EQ(r.member_ref, "M-1");
    EXPECT_EQ(r.id, "AT000000000001");
    ASSERT_EQ(notified.size(), 1u);
    EXPECT_EQ(notified[0].second.copies, 1);
}

TEST_F(Atm, BadSignatureExpiredAndReusedTokensAreRefused) {
    EXPECT_EQ(atm.Repay(In(Token(w, "n1", std::nullopt, 300, "wrong"), {1000})).error().reason,
              "signature does not verify");
    std::string t = Token(w, "n2", std::nullopt, 60);
    w.Advance(std::chrono::seconds(61));
    EXPECT_EQ(atm.Repay(In(t, {1000})).error().reason, "has expired");
    std::string once = Token(w, "n3");
    ASSERT_TRUE(atm.Repay(In(once, {1000})));
    EXPECT_EQ(atm.Repay(In(once, {1000})).error().reason, "has already been used");
    EXPECT_EQ(atm.Repay(In(Token(w, "n4", std::nullopt, 3600), {1000})).error().field, "repay_token");
    EXPECT_EQ(atm.Repay(In("garbage", {1000})).error().field, "repay_token");
}

TEST_F(Atm, OnlyNotesAndTheTokensAmount) {
    EXPECT_EQ(atm.Repay(In(Token(w, "a"), {500})).error().field, "notes");
    RepaymentInput coins = In(Token(w, "b"), {});
    coins.amount = 1'500;
    EXPECT_EQ(coins.amount.value(), 1'500);
    EXPECT_EQ(atm.Repay(coins).error().field, "amount");
    EXPECT_EQ(atm.Repay(In(Token(w, "c", 5'000), {1'000})).error().field, "amount");
    EXPECT_EQ(atm.Repay(In(Token(w, "d"), std::vector<Yen>(101, 1'000))).error().field, "notes");
    // A rejected request does not use up the token.
    EXPECT_TRUE(atm.Repay(In(Token(w, "c", 5'000), {5'000})));
}

TEST_F(Atm, MagicStoreCodesShapeTheNotification) {
    ASSERT_TRUE(atm.Repay(In(Token(w, "x"), {1'000}, "SIM-DUP")));
    ASSERT_TRUE(atm.Repay(In(Token(w, "y"), {1'000}, "SIM-LATE")));
    EXPECT_EQ(notified[0].second.copies, 2);
    EXPECT_EQ(notified[1].second.late_answers, 3);
}

TEST_F(Atm, DailyReconciliationFileAtFiveJst) {
    ASSERT_TRUE(atm.Repay(In(Token(w, "r1"), {10'000})));
    ASSERT_TRUE(atm.Repay(In(Token(w, "r2"), {2'000})));
    w.Advance(std::chrono::hours(20));  // 05:00 JST Jan 2
    ASSERT_EQ(recon.size(), 1u);
    EXPECT_EQ(recon[0].key, "atm/recon/20270101.csv");
    EXPECT_EQ(recon[0].body,
              "H,atm-recon,1.0,SIM7BANK,SIMISSUER01,20270101,2027-01-02T05:00:00+09:00\n"
              "D,1,AT000000000001,2027-01-01T09:00:00+09:00,S-001,M-1,10000\n"
              "D,2,AT000000000002,2027-01-01T09:00:00+09:00,S-001,M-1,2000\n"
              "T,2,12000\n");
}

TEST(AtmApiNotify, LateStoreRetriesUntilTheFourthAnswerIsHeard) {
    World w;
    AtmApi api(w.env, {});
    auto r = api.model().Repay([&] {
        RepaymentInput in;
        in.token = Token(w, "late");
        in.notes = {1'000};
        in.store_code = "SIM-LATE";
        return in;
    }());
    ASSERT_TRUE(r);
    w.Advance(std::chrono::seconds(30));
    ASSERT_EQ(w.platform_calls.size(), 4u);  // at 0, 1, 3, 7 s
    EXPECT_EQ(w.platform_calls[0].target, "/ext/v1/atm/repayments");
    EXPECT_EQ(w.platform_calls[0].headers.Get("Idempotency-Key").value(), r->id);
    EXPECT_EQ(api.model().Get(r->id)->status, "ACKNOWLEDGED");
    EXPECT_EQ(api.model().Get(r->id)->attempts, 4);
}

TEST(AtmApiNotify, EveryNotificationCarriesTheCashInsTrace) {
    ApiWorld<AtmApi> w;
    auto cash_in = [&](const std::string& nonce, const std::string& store, const std::string& trace) {
        nlohmann::json body = {{"repay_token", Token(w, nonce)}, {"store_code", store}, {"amount", 1'000}};
        std::vector<std::pair<std::string, std::string>> headers;
        if (!trace.empty()) headers.emplace_back("X-Cardsim-Trace-Id", trace);
        auto r = w.Call("POST", "/atm/simulate/repayments", body.dump(), headers);
        EXPECT_EQ(r.status, 201) << r.body;
        EXPECT_EQ(w.api.model().Get(testing::Body(r)["atm_txn_id"].get<std::string>())->trace_id, trace);
    };
    cash_in("dup", "SIM-DUP", "trace-dup");     // two deliveries
    cash_in("late", "SIM-LATE", "trace-late");  // four attempts: the first three answers are not heard
    w.Advance(std::chrono::seconds(30));
    std::map<std::string, int> per_trace;
    for (const auto& call : w.platform_calls) ++per_trace[std::string(call.headers.Get("X-Cardsim-Trace-Id").value_or(""))];
    EXPECT_EQ(per_trace, (std::map<std::string, int>{{"trace-dup", 2}, {"trace-late", 4}}));
}

TEST(AtmApiNotify, RetriesUntilThePlatformAcknowledges) {
    World w;
    w.platform_status = [](const core::Request&, std::size_t i) { return i < 5 ? 500 : 200; };
    AtmApi api(w.env, {});
    RepaymentInput in;
    in.token = Token(w, "t");
    in.notes = {1'000};
    in.store_code = "S";
    auto r = api.model().Repay(in).value();
    w.Advance(std::chrono::minutes(2));
    EXPECT_EQ(w.platform_calls.size(), 6u);
    EXPECT_EQ(api.model().Get(r.id)->status, "ACKNOWLEDGED");
}

}  // namespace
}  // namespace sim::fakes::atm
