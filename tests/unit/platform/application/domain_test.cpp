#include <gtest/gtest.h>

#include "sim/core/time.hpp"
#include "sim/platform/application/domain.hpp"

namespace sim::platform::application {
namespace {

TEST(ApplicationStateMachine, FollowsTheDocumentedPathAndRefusesShortcuts) {
    using S = Status;
    const S path[] = {S::kSubmitted, S::kEkycVerified, S::kListed,  S::kChecked, S::kApproved, S::kConfirmed,
                      S::kCardAccountRegistered, S::kCardOrdered, S::kShipped, S::kActive};
    for (std::size_t i = 0; i + 1 < std::size(path); ++i)
        EXPECT_TRUE(CanTransition(path[i], path[i + 1])) << ToString(path[i]) << " -> " << ToString(path[i + 1]);
    EXPECT_TRUE(CanTransition(S::kSubmitted, S::kEkycManualReview));
    EXPECT_TRUE(CanTransition(S::kEkycManualReview, S::kEkycVerified));
    EXPECT_TRUE(CanTransition(S::kListed, S::kRejected));  // automatic rejection by the batch
    EXPECT_TRUE(CanTransition(S::kShipped, S::kCardReturned));
    EXPECT_FALSE(CanTransition(S::kSubmitted, S::kApproved));
    EXPECT_FALSE(CanTransition(S::kEkycVerified, S::kApproved));
    EXPECT_FALSE(CanTransition(S::kRejected, S::kApproved));
    EXPECT_FALSE(CanTransition(S::kActive, S::kShipped));
    for (S s : {S::kEkycRejected, S::kRejected, S::kActive, S::kCardReturned}) EXPECT_TRUE(IsFinal(s));
    for (const auto& [s, name] : {std::pair{S::kCardAccountRegistered, "CARD_ACCOUNT_REGISTERED"},
                                  std::pair{S::kEkycManualReview, "EKYC_MANUAL_REVIEW"}}) {
        EXPECT_EQ(ToString(s), name);
        EXPECT_EQ(ParseStatus(name), s);
    }
    EXPECT_EQ(ApplicantView(S::kChecked), "UNDER_REVIEW");
}

TEST(CreditLimit, PaymentCapacityFollowsTheDomainExample) {
    // DOMAIN §3: ¥3,000k income, single renter, ¥240k other card debt → (300 − 116 − 24) × 0.9 = ¥1,440k.
    Yen c = PaymentCapacity(3'000'000, Housing::kRented, 1, 240'000);
    EXPECT_EQ(c, 1'600'000);
    EXPECT_EQ(c / 10 * 9, 1'440'000);
    EXPECT_EQ(MaxCreditLimit(c), 100'000);  // the small-amount ceiling binds
    EXPECT_EQ(PaymentCapacity(3'000'000, Housing::kOwned, 4, 0), 1'000'000);
    EXPECT_EQ(PaymentCapacity(3'000'000, Housing::kMortgaged, 7, 0), 600'000);  // 4+ row
    EXPECT_EQ(PaymentCapacity(1'000'000, Housing::kRented, 2, 500'000), 0);     // floored
}

TEST(CreditLimit, NinetyPercentAndTheCeilingAreEnforced) {
    EXPECT_EQ(MaxCreditLimit(100'000), 90'000);
    EXPECT_EQ(MaxCreditLimit(99'999), 89'999);  // floor(89,999.1)
    EXPECT_EQ(CheckCreditLimit(90'000, 100'000), "");
    EXPECT_NE(CheckCreditLimit(90'001, 100'000), "");
    EXPECT_NE(CheckCreditLimit(100'001, 10'000'000), "");
    EXPECT_EQ(CheckCreditLimit(100'000, 10'000'000), "");
    EXPECT_NE(CheckCreditLimit(0, 10'000'000), "");
    EXPECT_NE(CheckCreditLimit(1, 0), "");
}

TEST(ReviewRules, ScreeningHitsAndBureauIncidentsAreRejectedAutomatically) {
    EXPECT_EQ(AutoRejectReason({true, false, 0, "NO_HIT"}), "");
    EXPECT_EQ(AutoRejectReason({true, false, 0, "POSSIBLE_HIT"}), "");  // a credit officer decides
    EXPECT_EQ(AutoRejectReason({true, false, 0, "HIT"}), "SCREENING_HIT");
    EXPECT_EQ(AutoRejectReason({true, false, 0, "PEP_HIT"}), "SCREENING_PEP_HIT");
    EXPECT_EQ(AutoRejectReason({true, true, 0, "NO_HIT"}), "BUREAU_INCIDENT");
}

TEST(Lockout, TenFailuresLockForThirtyMinutesThenTheCountStartsAfresh) {
    core::TimePoint t = core::ParseIso8601("2027-01-01T00:00:00Z").value();
    LoginState s;
    for (int i = 0; i < 9; ++i) s = AfterFailure(s, t);
    EXPECT_FALSE(IsLocked(s, t));
    s = AfterFailure(s, t);
    EXPECT_TRUE(IsLocked(s, t));
    EXPECT_TRUE(IsLocked(s, t + std::chrono::minutes(29)));
    EXPECT_FALSE(IsLocked(s, t + std::chrono::minutes(30)));
    s = AfterFailure(s, t + std::chrono::minutes(31));
    EXPECT_EQ(s.failures, 1);
    EXPECT_FALSE(IsLocked(s, t + std::chrono::minutes(31)));
    EXPECT_EQ(AfterSuccess().failures, 0);
}

TEST(ApplicantFields, KatakanaAndEmbossedNames) {
    EXPECT_TRUE(IsKatakana("テスト"));
    EXPECT_TRUE(IsKatakana("ツウジョウ"));
    EXPECT_TRUE(IsKatakana("ハンシャ イチロウ"));
    EXPECT_FALSE(IsKatakana("てすと"));
    EXPECT_FALSE(IsKatakana("Test"));
    EXPECT_FALSE(IsKatakana(""));
    EXPECT_EQ(EmbossedName("taro test"), "TARO TEST");
    EXPECT_EQ(EmbossedName("T"), "");
    EXPECT_EQ(EmbossedName("テスト"), "");
}

}  // namespace
}  // namespace sim::platform::application
