#include "sim/platform/repayment/domain/repay_token.hpp"

#include <gtest/gtest.h>

#include "sim/platform/common/crypto.hpp"

namespace sim::platform::repayment::domain {
namespace {

const core::TimePoint kNow = core::ParseIso8601("2027-01-05T01:00:00Z").value();
constexpr char kSecret[] = "cardsim-atm-qr-secret";

TEST(RepayToken, RoundTripsAndExpiresWithinFiveMinutes) {
    auto t = IssueRepayToken(kSecret, "M-1", "n-1", kNow, std::chrono::seconds(300), 10000);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->payload.exp, core::ToEpochMillis(kNow) / 1000 + 300);
    auto p = VerifyRepayToken(kSecret, t->token, kNow + std::chrono::seconds(299));
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->member_id, "M-1");
    EXPECT_EQ(p->nonce, "n-1");
    EXPECT_EQ(p->amount, 10000);
    EXPECT_FALSE(VerifyRepayToken(kSecret, t->token, kNow + std::chrono::seconds(301)).ok());
}

TEST(RepayToken, SignatureIsHmacOfTheEncodedPayloadWithoutPadding) {
    auto t = IssueRepayToken(kSecret, "M-1", "n-1", kNow);
    ASSERT_TRUE(t.ok());
    const std::string& token = t->token;
    EXPECT_EQ(token.find('='), std::string::npos);
    EXPECT_EQ(token.find('+'), std::string::npos);
    EXPECT_EQ(token.find('/'), std::string::npos);
    std::string body = token.substr(0, token.find('.'));
    EXPECT_EQ(token.substr(body.size() + 1), Base64UrlEncode(HmacSha256(kSecret, body)));
    EXPECT_EQ(token.size() - body.size() - 1, 43u);  // 32 bytes base64url, unpadded
    EXPECT_FALSE(VerifyRepayToken("another-secret", token, kNow).ok());
    std::string flipped = token;
    flipped[2] = flipped[2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(VerifyRepayToken(kSecret, flipped, kNow).ok());
}

TEST(RepayToken, RefusesBadAmountsAndLifetimes) {
    EXPECT_EQ(IssueRepayToken(kSecret, "M-1", "n", kNow, std::chrono::seconds(300), 1500).error().field, "amount");
    EXPECT_EQ(IssueRepayToken(kSecret, "M-1", "n", kNow, std::chrono::seconds(300), 0).error().field, "amount");
    EXPECT_EQ(IssueRepayToken(kSecret, "M-1", "n", kNow, std::chrono::seconds(300), 501000).error().field, "amount");
    EXPECT_TRUE(IssueRepayToken(kSecret, "M-1", "n", kNow, std::chrono::seconds(300), 500000).ok());
    EXPECT_EQ(IssueRepayToken(kSecret, "M-1", "n", kNow, std::chrono::seconds(301)).error().field, "ttl_seconds");
    EXPECT_EQ(IssueRepayToken(kSecret, "", "n", kNow).error().field, "member_id");
    EXPECT_FALSE(VerifyRepayToken(kSecret, "no-dot", kNow).ok());
}

}  // namespace
}  // namespace sim::platform::repayment::domain
