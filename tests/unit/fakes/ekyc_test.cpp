#include <gtest/gtest.h>

#include "fake_test_env.hpp"
#include "fakes/ekyc/ekyc_api.hpp"

namespace sim::fakes::ekyc {
namespace {

using testing::ApiWorld;
using testing::World;

class Ekyc : public ::testing::Test {
protected:
    World w;
    std::vector<Verification> sent;
    EkycService s{w.clock, EkycOptions{}, [this](const Verification& v) { sent.push_back(v); }};

    Verification Submit(std::string given_kana, std::string method = "HO", std::string dob = "1990-01-01") {
        SubmitInput in;
        in.applicant_ref = "APP-1";
        in.method = std::move(method);
        in.applicant = {"テスト", "太郎", "テスト", std::move(given_kana), std::move(dob), "東京都千代田区1-1"};
        in.documents = 3;
        return s.Submit(in).value();
    }
    VerificationStatus Status(const Verification& v) { return s.Get(v.id)->status; }
};

TEST_F(Ekyc, OrdinaryApplicantIsVerifiedAfterTwoHoursByCallbackAndPolling) {
    auto v = Submit("ツウジョウ");
    EXPECT_EQ(v.status, VerificationStatus::kPending);
    w.Advance(std::chrono::minutes(119));
    EXPECT_EQ(Status(v), VerificationStatus::kPending);
    w.Advance(std::chrono::minutes(1));
    EXPECT_EQ(Status(v), VerificationStatus::kVerified);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].status, VerificationStatus::kVerified);
}

TEST_F(Ekyc, IcChipMethodsAnswerInFiveMinutes) {
    auto v = Submit("ツウジョウ", "WA");
    w.Advance(std::chrono::minutes(5));
    EXPECT_EQ(Status(v), VerificationStatus::kVerified);
}

TEST_F(Ekyc, RejectionsCarryTheirReasonAndNamesAreNormalised) {
    auto a = Submit("ﾋﾆﾝ");
    auto b = Submit("きげんぎれ");
    auto c = Submit("フイッチ");
    w.Advance(std::chrono::hours(2));
    EXPECT_EQ(s.Get(a.id)->reason, "IMAGE_BLURRY");
    EXPECT_EQ(s.Get(b.id)->reason, "DOCUMENT_EXPIRED");
    EXPECT_EQ(s.Get(c.id)->reason, "NAME_MISMATCH");
    EXPECT_EQ(Status(c), VerificationStatus::kRejected);
}

TEST_F(Ekyc, ManualReviewThenVerifiedAfterTwoBusinessDays) {
    auto v = Submit("シンサ");  // Friday 09:00 JST
    w.Advance(std::chrono::hours(2));
    EXPECT_EQ(Status(v), VerificationStatus::kManualReview);
    w.Advance(std::chrono::days(3));  // Monday 11:00 JST: one business day
    EXPECT_EQ(Status(v), VerificationStatus::kManualReview);
    w.Advance(std::chrono::days(1));  // Tuesday
    EXPECT_EQ(Status(v), VerificationStatus::kVerified);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].status, VerificationStatus::kManualReview);
    EXPECT_EQ(sent[1].status, VerificationStatus::kVerified);
}

TEST_F(Ekyc, LostCallbackIsFoundByPollingAfterADay) {
    auto v = Submit("ムオウトウ");
    w.Advance(std::chrono::hours(23));
    EXPECT_EQ(Status(v), VerificationStatus::kPending);
    w.Advance(std::chrono::hours(1));
    EXPECT_EQ(Status(v), VerificationStatus::kVerified);
    EXPECT_TRUE(sent.empty());
}

TEST_F(Ekyc, OtherApplicantsAreDeterministic) {
    auto a = Submit("ハナコ", "HO", "1985-05-05");
    w.Advance(std::chrono::days(5));
    auto first = s.Get(a.id)->status;
    s.Reset();
    auto b = Submit("ハナコ", "HO", "1985-05-05");
    w.Advance(std::chrono::days(5));
    EXPECT_EQ(s.Get(b.id)->status, first);
}

TEST_F(Ekyc, BadInputNamesTheField) {
    SubmitInput in;
    in.applicant_ref = "A";
    in.method = "XX";
    EXPECT_EQ(s.Submit(in).error().field, "method");
    in.method = "HO";
    in.documents = 0;
    EXPECT_EQ(s.Submit(in).error().field, "documents");
    EXPECT_EQ(s.Get("EK404").error().kind, core::ErrorKind::kNotFound);
}

/// A valid POST /ekyc/v1/verifications body (HE method).
constexpr const char* kVerificationBody =
    R"({"applicant_ref":"A1","method":"HE","applicant":{"family_name":"テスト","given_name":"太郎",
        "family_name_kana":"テスト","given_name_kana":"ツウジョウ","birth_date":"1990-01-01",
        "address":"東京都"}})";

TEST(EkycApiCallbacks, TheVerdictCarriesTheSubmissionsTrace) {
    ApiWorld<EkycApi> w;
    auto r = w.Call("POST", "/ekyc/v1/verifications", kVerificationBody, {{"X-Cardsim-Trace-Id", "trace-submit"}});
    ASSERT_EQ(r.status, 202) << r.body;
    w.Advance(std::chrono::minutes(5));
    ASSERT_EQ(w.platform_calls.size(), 1u);
    EXPECT_EQ(w.platform_calls[0].headers.Get("X-Cardsim-Trace-Id").value_or(""), "trace-submit");
}

TEST(EkycApiCallbacks, VerdictIsPostedToThePlatformWithAnIdempotencyKey) {
    ApiWorld<EkycApi> w;
    auto r = w.Call("POST", "/ekyc/v1/verifications", kVerificationBody);
    ASSERT_EQ(r.status, 202) << r.body;
    w.Advance(std::chrono::minutes(5));
    ASSERT_EQ(w.platform_calls.size(), 1u);
    EXPECT_EQ(w.platform_calls[0].target, "/ext/v1/ekyc/verdicts");
    auto body = testing::Body(w.platform_calls[0]);
    EXPECT_EQ(body["status"], "VERIFIED");
    EXPECT_EQ(body["extracted"]["birth_date"], "1990-01-01");
    EXPECT_EQ(w.platform_calls[0].headers.Get("Idempotency-Key").value(), body["verification_id"].get<std::string>() + ":VERIFIED");
    auto bad = w.Call("POST", "/ekyc/v1/verifications",
                      R"({"applicant_ref":"A1","method":"HE","applicant":{"family_name":"テスト"}})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(testing::Body(bad)["field"], "applicant.given_name");
}

}  // namespace
}  // namespace sim::fakes::ekyc
