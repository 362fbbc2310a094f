#include "sim/platform/payment/domain/ledger.hpp"

#include <gtest/gtest.h>

namespace sim::platform::payment::domain {
namespace {

FeedEvent Auth(std::string id, std::string auth, Yen amount, bool approved = true) {
    return {std::move(id), FeedEventType::kAuthorization, std::move(auth), "", amount, approved};
}
FeedEvent Ev(std::string id, FeedEventType type, std::string auth, std::string txn, Yen amount) {
    return {std::move(id), type, std::move(auth), std::move(txn), amount, true};
}

void ExpectLimitIdentity(const CardLedger& l) {
    Balance b = l.balance();
    EXPECT_EQ(b.credit_limit, b.available + b.outstanding);
    EXPECT_EQ(b.outstanding, b.holds + b.posted_unpaid);
}

TEST(CardLedger, ApprovedAuthorizationHoldsAndLowersAvailable) {
    CardLedger l(100000);
    auto out = l.Apply(Auth("EV1", "AU1", 1280));
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out->hold_after, 1280);
    Balance b = l.balance();
    EXPECT_EQ(b.holds, 1280);
    EXPECT_EQ(b.posted_unpaid, 0);
    EXPECT_EQ(b.available, 98720);
    ExpectLimitIdentity(l);
}

TEST(CardLedger, DeclinedAuthorizationHoldsNothing) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Auth("EV1", "AU1", 200000, false)).ok());
    EXPECT_EQ(l.balance().available, 100000);
    EXPECT_TRUE(l.HasEvent("EV1"));
}

TEST(CardLedger, SameEventTwiceIsAppliedOnce) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Auth("EV1", "AU1", 5000)).ok());
    auto again = l.Apply(Auth("EV1", "AU1", 5000));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(l.holds(), 5000);
}

TEST(CardLedger, ClearingReleasesTheHoldAndPostsTheClearedAmount) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Auth("EV1", "AU1", 10000)).ok());
    auto out = l.Apply(Ev("EV2", FeedEventType::kClearing, "AU1", "PT01", 11000));  // tip: clears higher
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(out->new_posting.has_value());
    EXPECT_EQ(out->new_posting->amount, 11000);
    Balance b = l.balance();
    EXPECT_EQ(b.holds, 0);
    EXPECT_EQ(b.posted_unpaid, 11000);
    EXPECT_EQ(b.available, 89000);
    ExpectLimitIdentity(l);
}

TEST(CardLedger, DuplicateClearingUnderAnotherEventIdPostsOnce) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Ev("EV2", FeedEventType::kClearing, "", "PT01", 3000)).ok());  // force post
    auto dup = l.Apply(Ev("EV9", FeedEventType::kClearing, "", "PT01", 3000));
    ASSERT_TRUE(dup.ok());
    EXPECT_TRUE(dup->duplicate_posting);
    EXPECT_FALSE(dup->new_posting.has_value());
    EXPECT_EQ(l.posted_unpaid(), 3000);
}

TEST(CardLedger, PartialReversalThenExpiry) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Auth("EV1", "AU1", 8000)).ok());
    ASSERT_TRUE(l.Apply(Ev("EV2", FeedEventType::kReversal, "AU1", "", 3000)).ok());
    EXPECT_EQ(l.HoldOf("AU1"), 5000);
    ASSERT_TRUE(l.Apply(Ev("EV3", FeedEventType::kExpiry, "AU1", "", 5000)).ok());
    EXPECT_EQ(l.HoldOf("AU1"), 0);
    EXPECT_EQ(l.balance().available, 100000);
}

TEST(CardLedger, ReversalNeverTakesAHoldBelowZero) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Auth("EV1", "AU1", 1000)).ok());
    ASSERT_TRUE(l.Apply(Ev("EV2", FeedEventType::kReversal, "AU1", "", 5000)).ok());
    EXPECT_EQ(l.holds(), 0);
}

TEST(CardLedger, ClearingAfterExpiryStillPosts) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Auth("EV1", "AU1", 4000)).ok());
    ASSERT_TRUE(l.Apply(Ev("EV2", FeedEventType::kExpiry, "AU1", "", 4000)).ok());
    ASSERT_TRUE(l.Apply(Ev("EV3", FeedEventType::kClearing, "AU1", "PT07", 4000)).ok());
    EXPECT_EQ(l.holds(), 0);
    EXPECT_EQ(l.posted_unpaid(), 4000);
}

TEST(CardLedger, RefundIsACreditPosting) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Ev("EV1", FeedEventType::kClearing, "", "PT01", 7000)).ok());
    auto out = l.Apply(Ev("EV2", FeedEventType::kRefund, "", "PT02", 2000));
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out->new_posting->credit);
    EXPECT_EQ(l.posted_unpaid(), 5000);
    ExpectLimitIdentity(l);
}

TEST(CardLedger, RepaymentAppliedOncePerIdAndExcessIsPrepaid) {
    CardLedger l(100000);
    ASSERT_TRUE(l.Apply(Ev("EV1", FeedEventType::kClearing, "", "PT01", 7000)).ok());
    ASSERT_FALSE(l.ApplyRepayment("RP1", 10000)->duplicate);
    EXPECT_TRUE(l.ApplyRepayment("RP1", 10000)->duplicate);
    Balance b = l.balance();
    EXPECT_EQ(b.posted_unpaid, -3000);
    EXPECT_EQ(b.prepaid, 3000);
    EXPECT_EQ(b.available, 103000);
    ExpectLimitIdentity(l);
    auto conflict = l.ApplyRepayment("RP1", 9000);
    ASSERT_FALSE(conflict.ok());
    EXPECT_EQ(conflict.error().kind, core::ErrorKind::kConflict);
}

TEST(CardLedger, RefusesMalformedEvents) {
    CardLedger l(100000);
    EXPECT_FALSE(l.Apply(Auth("EV1", "AU1", 0)).ok());
    EXPECT_FALSE(l.Apply(Ev("EV2", FeedEventType::kClearing, "AU1", "", 10)).ok());
    EXPECT_FALSE(l.Apply(Ev("EV3", FeedEventType::kReversal, "", "", 10)).ok());
    EXPECT_FALSE(l.Apply(Auth("", "AU1", 10)).ok());
    // A refused event is not remembered: the corrected one applies.
    EXPECT_TRUE(l.Apply(Auth("EV1", "AU1", 10)).ok());
    EXPECT_EQ(l.holds(), 10);
}

TEST(CardLedger, RestoredLedgerKeepsDedup) {
    CardLedger l(50000);
    l.RestoreEvent("EV1");
    l.RestoreHold("AU1", 2000);
    l.RestorePosting({"PT01", "AU0", false, 3000});
    l.RestoreRepayment("RP1", 1000);
    EXPECT_TRUE(l.Apply(Auth("EV1", "AU1", 2000))->duplicate);
    EXPECT_EQ(l.balance().outstanding, 4000);
    EXPECT_EQ(l.balance().available, 46000);
}

TEST(FeedEventTypeNames, RoundTrip) {
    for (auto t : {FeedEventType::kAuthorization, FeedEventType::kAuthorizationAdvice, FeedEventType::kReversal,
                   FeedEventType::kExpiry, FeedEventType::kClearing, FeedEventType::kRefund}) {
        auto parsed = ParseFeedEventType(FeedEventTypeName(t));
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(*parsed, t);
    }
    EXPECT_FALSE(ParseFeedEventType("CHARGEBACK").ok());
}

}  // namespace
}  // namespace sim::platform::payment::domain
