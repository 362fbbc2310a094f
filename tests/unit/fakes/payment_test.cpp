#include <gtest/gtest.h>

#include "fake_test_env.hpp"
#include "fakes/common/support.hpp"
#include "fakes/payment/payment_api.hpp"
#include "sim/core/pan_mask.hpp"

namespace sim::fakes::payment {
namespace {

using testing::ApiWorld;
using testing::World;

class Processor : public ::testing::Test {
protected:
    World w;
    std::vector<CashflowFile> files;
    PaymentProcessor p{w.clock, ProcessorOptions{}, [this](const CashflowFile& f) { files.push_back(f); }};

    Account Register(Yen limit = 100'000, std::string pan = "", Network n = Network::kVisa) {
        static int ref = 0;
        return p.RegisterAccount({"member-" + std::to_string(++ref), limit, n, pan}).value();
    }
    Authorization Auth(const std::string& pan, Yen amount, std::string mcc = "5411") {
        AuthorizeInput in;
        in.pan = pan;
        in.amount = amount;
        in.merchant_name = "SIM MART";
        in.mcc = mcc;
        return p.Authorize(in).value();
    }
    Yen Available(const Account& a) { return p.GetAccount(a.id)->available(); }
    std::vector<FeedEvent> Events() { return p.Feed("", 1000)->events; }
    std::vector<std::string> EventTypes() {
        std::vector<std::string> t;
        for (const auto& e : Events()) t.push_back(e.type);
        return t;
    }
};

TEST(PaymentMagic, MagicPansCarryTheirResponseCode) {
    EXPECT_TRUE(core::LuhnValid("4111119999000512"));
    EXPECT_EQ(MagicPanCode("4111119999000512").value(), "51");
    EXPECT_EQ(MagicPanCode("3566009999000053").value(), "05");
    EXPECT_EQ(MagicPanCode("4111119999000009").value(), "00");
    EXPECT_FALSE(MagicPanCode("4111111111111111").has_value());
    // Every PAN of the DOMAIN.md §10 table is Luhn-valid.
    for (const char* pan : {"4111119999000058", "4111119999000413", "4111119999000439", "4111119999000546",
                            "4111119999000579", "4111119999000595", "4111119999000611", "4111119999000629",
                            "4111119999000918", "4111119999000967", "3566009999000004", "3566009999000418",
                            "3566009999000434", "3566009999000517", "3566009999000541", "3566009999000574",
                            "3566009999000590", "3566009999000616", "3566009999000624", "3566009999000913",
                            "3566009999000962"})
        EXPECT_TRUE(MagicPanCode(pan).has_value()) << pan;
}

TEST_F(Processor, RegistrationAllocatesLuhnValidTestRangeNumbersAndFiveYearExpiry) {
    Account a = Register();
    EXPECT_EQ(a.pan, "4111110000000013");
    EXPECT_EQ(Register().pan, "4111110000000021");
    Account j = Register(50'000, "", Network::kJcb);
    EXPECT_EQ(j.pan.substr(0, 6), "356600");
    EXPECT_TRUE(core::LuhnValid(j.pan));
    EXPECT_EQ(a.expiry, "3201");
    EXPECT_EQ(a.available(), 100'000);
    EXPECT_EQ(a.card_token.size(), 36u);
}

TEST_F(Processor, RegistrationErrorsNameTheField) {
    ASSERT_TRUE(p.RegisterAccount({"dup-ref", 1, Network::kVisa, ""}));
    EXPECT_EQ(p.RegisterAccount({"dup-ref", 1, Network::kVisa, ""}).error().field, "external_ref");
    EXPECT_EQ(p.RegisterAccount({"x", -1, Network::kVisa, ""}).error().field, "credit_limit");
    EXPECT_EQ(p.RegisterAccount({"y", 1, Network::kVisa, "4111111111111112"}).error().field, "x-sim-pan");
    EXPECT_EQ(p.RegisterAccount({"z", 1, Network::kJcb, "4111111111111111"}).error().field, "x-sim-pan");
}

TEST_F(Processor, ApprovalHoldsOpenToBuyAndClearingPostsNextDay) {
    Account a = Register();
    Authorization au = Auth(a.pan, 1280);
    EXPECT_TRUE(au.approved);
    EXPECT_EQ(au.response_code, "00");
    EXPECT_EQ(au.auth_code.size(), 6u);
    EXPECT_EQ(au.rrn.size(), 12u);
    EXPECT_EQ(Available(a), 100'000 - 1280);
    w.Advance(std::chrono::hours(24));
    EXPECT_EQ(p.GetAuthorization(au.id)->status, AuthStatus::kCleared);
    auto acc = p.GetAccount(a.id).value();
    EXPECT_EQ(acc.holds, 0);
    EXPECT_EQ(acc.posted_unpaid, 1280);
    ASSERT_EQ(p.postings().size(), 1u);
    EXPECT_EQ(p.postings()[0].txn_id, "PT00000000000000000001");
    EXPECT_EQ(EventTypes(), (std::vector<std::string>{"AUTHORIZATION", "CLEARING"}));
}

TEST_F(Processor, DeclinesFollowTheIssuerRules) {
    Account a = Register(10'000);
    EXPECT_EQ(Auth(a.pan, 10'001).response_code, "51");
    EXPECT_EQ(Auth(a.pan, 500, "7995").response_code, "57");
    EXPECT_EQ(Auth("4012888888881881", 100).response_code, "14");  // Luhn-valid, not on file
    AuthorizeInput bad;
    bad.pan = "4242424242424241";
    bad.amount = 1;
    bad.merchant_name = "X";
    bad.mcc = "5411";
    EXPECT_EQ(p.Authorize(bad).error().field, "card");
    bad.pan = a.pan;
    bad.amount = 0;
    EXPECT_EQ(p.Authorize(bad).error().field, "amount");
    bad.amount = 10;
    bad.expiry = "2901";
    EXPECT_EQ(p.Authorize(bad)->response_code, "54");
    ASSERT_TRUE(p.SetStatus(a.id, AccountStatus::kSuspended));
    EXPECT_EQ(Auth(a.pan, 100).response_code, "62");
    ASSERT_TRUE(p.SetStatus(a.id, AccountStatus::kLost));
    EXPECT_EQ(Auth(a.pan, 100).response_code, "41");
    ASSERT_TRUE(p.SetStatus(a.id, AccountStatus::kStolen));
    EXPECT_EQ(Auth(a.pan, 100).response_code, "43");
    ASSERT_TRUE(p.SetStatus(a.id, AccountStatus::kClosed));
    EXPECT_EQ(Auth(a.pan, 100).response_code, "46");
    EXPECT_EQ(p.SetStatus(a.id, AccountStatus::kActive).error().kind, core::ErrorKind::kConflict);
    EXPECT_EQ(Available(a), 10'000);  // declines hold nothing
}

TEST_F(Processor, MagicAmountsDeclineWithTheirCode) {
    Account a = Register();
    EXPECT_EQ(Auth(a.pan, 99'951).response_code, "51");
    EXPECT_EQ(Auth(a.pan, 99'905).response_code, "05");
    EXPECT_EQ(Auth(a.pan, 99'996).response_code, "96");
    EXPECT_EQ(Auth(a.pan, 99'950).response_code, "00");  // 50 is not a decline code
}

TEST_F(Processor, MagicPansAnswerTheirCodeAndTheApproveOneIgnoresTheLimit) {
    Account decl = Register(100'000, "4111119999000595");
    EXPECT_EQ(Auth(decl.pan, 100).response_code, "59");
    Account yes = Register(1'000, "4111119999000009");
    EXPECT_TRUE(Auth(yes.pan, 50'000).approved);
    EXPECT_EQ(Auth("3566009999000913", 100).response_code, "91");  // not on file: still the magic code
}

TEST_F(Processor, StandInApprovesOverTheLimitAsAnAdvice) {
    Account a = Register(1'000);
    Authorization au = Auth(a.pan, 99'899);
    EXPECT_TRUE(au.approved);
    EXPECT_TRUE(au.stand_in);
    EXPECT_EQ(Events().at(0).type, "AUTHORIZATION_ADVICE");
    EXPECT_LT(Available(a), 0);
}

TEST_F(Processor, TipStyleClearingIsTenPercentHigher) {
    Account a = Register(200'000);
    Auth(a.pan, 99'898);
    w.Advance(std::chrono::days(1));
    EXPECT_EQ(p.postings().at(0).amount, 109'887);
    EXPECT_EQ(p.GetAccount(a.id)->posted_unpaid, 109'887);
}

TEST_F(Processor, NeverClearedHoldExpiresAfterSevenDays) {
    Account a = Register(200'000);
    Authorization au = Auth(a.pan, 99'897);
    w.Advance(std::chrono::days(6));
    EXPECT_EQ(p.GetAuthorization(au.id)->status, AuthStatus::kPending);
    w.Advance(std::chrono::days(1));
    EXPECT_EQ(p.GetAuthorization(au.id)->status, AuthStatus::kExpired);
    EXPECT_EQ(Available(a), 200'000);
    EXPECT_TRUE(p.postings().empty());
    EXPECT_EQ(EventTypes(), (std::vector<std::string>{"AUTHORIZATION", "EXPIRY"}));
}

TEST_F(Processor, LateClearingAfterExpiryPostsAnyway) {
    Account a = Register(200'000);
    Authorization au = Auth(a.pan, 99'896);
    w.Advance(std::chrono::days(7));
    EXPECT_EQ(p.GetAuthorization(au.id)->status, AuthStatus::kExpired);
    w.Advance(std::chrono::days(3));
    EXPECT_EQ(p.GetAuthorization(au.id)->status, AuthStatus::kCleared);
    EXPECT_EQ(p.postings().at(0).amount, 99'896);
    EXPECT_EQ(p.GetAccount(a.id)->holds, 0);
}

TEST_F(Processor, DoubleDeliveryPutsTheSamePostingInTwoDailyFiles) {
    Account a = Register(200'000);
    Auth(a.pan, 99'895);
    w.Advance(std::chrono::days(4));
    std::string txn = p.postings().at(0).txn_id;
    int files_with_txn = 0;
    for (const auto& f : files) files_with_txn += f.body.find(txn) != std::string::npos;
    EXPECT_EQ(files_with_txn, 2);
}

TEST_F(Processor, PartialReversalThenTheRestClears) {
    Account a = Register(200'000);
    Authorization au = Auth(a.pan, 99'894);
    w.Advance(std::chrono::hours(2));
    EXPECT_EQ(p.GetAuthorization(au.id)->reversed, 49'947);
    w.Advance(std::chrono::days(1));
    EXPECT_EQ(p.postings().at(0).amount, 99'894 - 49'947);
    EXPECT_EQ(EventTypes(), (std::vector<std::string>{"AUTHORIZATION", "REVERSAL", "CLEARING"}));
}

TEST_F(Processor, UnlinkedRefundFourteenDaysLater) {
    Account a = Register(200'000);
    Auth(a.pan, 99'893);
    w.Advance(std::chrono::days(14));
    ASSERT_EQ(p.postings().size(), 2u);
    EXPECT_EQ(p.postings()[1].txn_type, "REFUND");
    EXPECT_EQ(p.postings()[1].dc, 'C');
    EXPECT_TRUE(p.postings()[1].auth_id.empty());
    EXPECT_EQ(p.GetAccount(a.id)->posted_unpaid, 0);
}

TEST_F(Processor, ForeignTransactionIsReconvertedAtClearing) {
    Account a = Register(200'000);
    Authorization au = Auth(a.pan, 99'892);
    EXPECT_EQ(au.orig_currency, "USD");
    EXPECT_EQ(*au.orig_amount_minor, 66'594);
    w.Advance(std::chrono::days(1));
    EXPECT_EQ(p.postings().at(0).amount, 100'890);
    EXPECT_EQ(p.postings().at(0).orig_currency, "USD");
}

TEST_F(Processor, ReversalsArePartialOrFullAndOnlyWhilePending) {
    Account a = Register();
    Authorization au = Auth(a.pan, 5'000);
    EXPECT_EQ(p.Reverse(au.id, 6'000).error().field, "amount");
    EXPECT_EQ(p.Reverse(au.id, 2'000)->status, AuthStatus::kPending);
    EXPECT_EQ(Available(a), 100'000 - 3'000);
    EXPECT_EQ(p.Reverse(au.id, std::nullopt)->status, AuthStatus::kReversed);
    EXPECT_EQ(Available(a), 100'000);
    EXPECT_EQ(p.Reverse(au.id, std::nullopt).error().kind, core::ErrorKind::kConflict);
    EXPECT_EQ(p.Reverse("AU9", std::nullopt).error().kind, core::ErrorKind::kNotFound);
    w.Advance(std::chrono::days(2));
    EXPECT_TRUE(p.postings().empty());  // a reversed authorization never clears
}

TEST_F(Processor, ForcedClearingForAnotherAmountAndForcePost) {
    Account a = Register();
    Authorization au = Auth(a.pan, 5'000);
    auto posted = p.Clear(au.id, 5'500);
    ASSERT_TRUE(posted);
    EXPECT_EQ(posted->amount, 5'500);
    EXPECT_EQ(p.Clear(au.id, std::nullopt).error().kind, core::ErrorKind::kConflict);
    ForcePostInput fp;
    fp.pan = a.pan;
    fp.amount = 700;
    fp.merchant_name = "TAXI";
    fp.mcc = "4121";
    EXPECT_TRUE(p.ForcePost(fp)->auth_id.empty());
    EXPECT_EQ(p.GetAccount(a.id)->posted_unpaid, 6'200);
    w.Advance(std::chrono::days(2));
    EXPECT_EQ(p.postings().size(), 2u);  // the scheduled clearing found it already cleared
    // Every feed event names the card account, the force post (no authorization) too.
    for (const FeedEvent& e : Events()) EXPECT_EQ(e.account_id, a.id) << e.type;
}

TEST_F(Processor, LimitChangesAndRepaymentRestoreAvailableCredit) {
    Account a = Register(10'000);
    Auth(a.pan, 8'000);
    w.Advance(std::chrono::days(1));
    EXPECT_EQ(Available(a), 2'000);
    EXPECT_EQ(p.RestoreCredit(a.id, 5'000)->available(), 7'000);
    EXPECT_EQ(p.SetCreditLimit(a.id, 20'000)->available(), 17'000);
    EXPECT_EQ(p.RestoreCredit(a.id, 0).error().field, "amount");
    EXPECT_EQ(p.SetCreditLimit("CA404", 1).error().kind, core::ErrorKind::kNotFound);
}

TEST_F(Processor, FeedPagesByCursorWithStableIds) {
    Account a = Register();
    for (int i = 0; i < 5; ++i) Auth(a.pan, 100 + i);
    auto first = p.Feed("", 2).value();
    ASSERT_EQ(first.events.size(), 2u);
    EXPECT_TRUE(first.has_more);
    EXPECT_EQ(first.next_cursor, "EV000000000002");
    auto second = p.Feed(first.next_cursor, 10).value();
    EXPECT_EQ(second.events.size(), 3u);
    EXPECT_FALSE(second.has_more);
    auto again = p.Feed(first.next_cursor, 10).value();  // at-least-once: the same cursor replays
    EXPECT_EQ(again.events.front().id, second.events.front().id);
    auto empty = p.Feed(second.next_cursor, 10).value();
    EXPECT_TRUE(empty.events.empty());
    EXPECT_EQ(empty.next_cursor, second.next_cursor);
    EXPECT_EQ(p.Feed("bogus", 10).error().field, "after");
    // Authorizations of cards not on file never reach the issuer's feed.
    Auth("4012888888881881", 100);
    EXPECT_EQ(Events().size(), 5u);
}

TEST_F(Processor, DailyCashflowFileAtFourJstWithHeaderDetailTrailerAndMarker) {
    Account a = Register();
    Auth(a.pan, 1'280);
    w.Advance(std::chrono::hours(19));  // 19:00Z = 04:00 JST Jan 2: the (empty) file for Jan 1
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0].key, "cashflow/2027/01/01/cashflow_20270101_01.csv");
    EXPECT_EQ(files[0].body, "H,cashflow,1.0,SIMPROC01,SIMISSUER01,20270101,2027-01-02T04:00:00+09:00\nT,0,0,0,0,0\n");
    w.Advance(std::chrono::hours(24));  // clearing at 09:00 JST Jan 2, file at 04:00 JST Jan 3
    ASSERT_EQ(files.size(), 2u);
    const CashflowFile& f = files[1];
    EXPECT_EQ(f.key, "cashflow/2027/01/02/cashflow_20270102_01.csv");
    EXPECT_EQ(f.marker_key, "cashflow/2027/01/02/cashflow_20270102_01.done");
    EXPECT_EQ(f.records, 1u);
    std::vector<std::string> lines;
    for (std::size_t s = 0, e; (e = f.body.find('\n', s)) != std::string::npos; s = e + 1)
        lines.push_back(f.body.substr(s, e - s));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[1].substr(0, 27), "D,1,PT00000000000000000001,");
    EXPECT_NE(lines[1].find(",0013,VISA,PURCHASE,D,1280,JPY,,,2027-01-01T09:00:00+09:00,2027-01-01T09:00:00+09:00,"
                            "2027-01-02,"),
              std::string::npos);
    EXPECT_NE(lines[1].find(",SIM MART,TOKYO,JP,5411,"), std::string::npos);
    EXPECT_EQ(lines[1].substr(lines[1].size() - 9), ",ONE_TIME");
    EXPECT_EQ(lines[2], "T,1,1,1280,0,0");
    EXPECT_EQ(std::count(lines[1].begin(), lines[1].end(), ','), 23);  // 24 fields
    EXPECT_EQ(f.body.find(a.pan), std::string::npos);  // never the PAN
    auto marker = nlohmann::json::parse(f.marker_body);
    EXPECT_EQ(marker["records"], 1);
    EXPECT_EQ(marker["debit_total"], 1280);
    EXPECT_EQ(marker["credit_total"], 0);
    EXPECT_EQ(marker["sha256"], common::Sha256Hex(f.body));
}

TEST(PaymentApiFiles, CashflowFileThenMarkerGoIntoTheBatchBucketThroughTheTransport) {
    World w;
    PaymentApi api(w.env, {});
    w.Advance(std::chrono::hours(19));
    ASSERT_EQ(w.aws_calls.size(), 2u);
    EXPECT_EQ(w.aws_calls[0].method, "PUT");
    EXPECT_EQ(w.aws_calls[0].target, "/cardsim-batch/cashflow/2027/01/01/cashflow_20270101_01.csv");
    EXPECT_EQ(w.aws_calls[1].target, "/cardsim-batch/cashflow/2027/01/01/cashflow_20270101_01.done");
}

TEST(PaymentApiHttp, SimulatedAuthorizationRejectsSecurityCodesAndBadFields) {
    ApiWorld<PaymentApi> w;
    auto r = w.Call("POST", "/payment/simulate/authorizations",
                    R"({"card":"4111111111111111","amount":100,"merchant_name":"X","mcc":"5411","cvv":"123"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(testing::Body(r)["field"], "cvv");
    r = w.Call("POST", "/payment/simulate/authorizations", R"({"card":"4111111111111111","amount":"100"})");
    EXPECT_EQ(testing::Body(r)["field"], "amount");
    // The journal never holds the card number.
    for (const auto& e : w.env.journal().Query({}))
        EXPECT_EQ(e.request_body.find("4111111111111111"), std::string::npos);
}


TEST(PaymentApiHttp, SandboxCallersAuthorizePostAndRefundByCardAccountId) {
    ApiWorld<PaymentApi> w;
    auto reg =
        w.Call("POST", "/payment/v1/card-accounts", R"({"external_ref":"M-1","credit_limit":10000,"network":"VISA"})");
    ASSERT_EQ(reg.status, 201);
    std::string account = testing::Body(reg)["card_account_id"];
    std::string last4 = testing::Body(reg)["last4"];
    auto r =
        w.Call("POST", "/payment/simulate/authorizations",
               R"({"card_account_id":")" + account + R"(","amount":1200,"merchant_name":"SIM MART","mcc":"5499"})");
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(testing::Body(r)["approved"]);
    EXPECT_EQ(testing::Body(r)["card_account_id"], account);
    EXPECT_EQ(testing::Body(r)["last4"], last4);
    r = w.Call("POST", "/payment/simulate/clearings",
               R"({"card_account_id":")" + account + R"(","amount":300,"merchant_name":"SIM MART","mcc":"5499"})");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(testing::Body(r)["txn_type"], "PURCHASE");
    r = w.Call("POST", "/payment/simulate/refunds",
               R"({"card_account_id":")" + account + R"(","amount":100,"merchant_name":"SIM MART","mcc":"5499"})");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(testing::Body(r)["txn_type"], "REFUND");
    auto acct = testing::Body(w.Call("GET", "/payment/v1/card-accounts/" + account, ""));
    EXPECT_EQ(acct["holds"], 1200);
    EXPECT_EQ(acct["posted_unpaid"], 200);
    // Unknown account: 404 naming the field; both ways at once: 400.
    r = w.Call("POST", "/payment/simulate/authorizations",
               R"({"card_account_id":"CA0000009999","amount":100,"merchant_name":"X","mcc":"5411"})");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(testing::Body(r)["field"], "card_account_id");
    r = w.Call("POST", "/payment/simulate/authorizations",
               R"({"card":"4111111111111111","card_account_id":")" + account +
                   R"(","amount":100,"merchant_name":"X","mcc":"5411"})");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(testing::Body(r)["field"], "card_account_id");
}

}  // namespace
}  // namespace sim::fakes::payment
