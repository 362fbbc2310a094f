#include "sim/platform/notification/domain/render.hpp"

#include <gtest/gtest.h>

namespace sim::platform::notification::domain {
namespace {

using nlohmann::json;

TEST(Render, ApprovedPurchaseShowsLast4AndAmountOnly) {
    auto m = Render("AUTHORIZATION_APPROVED", {{"last4", "0013"}, {"amount", 1280}, {"merchant_name", "SIM MART"},
                                               {"pan", "4111110000000013"}});
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_NE(m->body.find("0013"), std::string::npos);
    EXPECT_NE(m->body.find("¥1,280"), std::string::npos);
    EXPECT_NE(m->body.find("SIM MART"), std::string::npos);
    std::string all = m->title + m->body + m->data.dump();
    EXPECT_EQ(all.find("4111110000000013"), std::string::npos);
    EXPECT_FALSE(m->data.contains("pan"));
}

TEST(Render, AMerchantNameCarryingACardNumberIsMasked) {
    auto m = Render("AUTHORIZATION_DECLINED", {{"last4", "0013"}, {"amount", 99951}, {"merchant_name", "x 4111111111111111"}});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->body.find("4111111111111111"), std::string::npos);
}

TEST(Render, RefusesMissingFieldsAndUnknownKinds) {
    EXPECT_FALSE(Render("AUTHORIZATION_APPROVED", {{"last4", "13"}, {"amount", 1}}).ok());
    EXPECT_FALSE(Render("AUTHORIZATION_APPROVED", {{"last4", "0013"}}).ok());
    EXPECT_FALSE(Render("REPAYMENT_RECEIVED", {{"amount", 0}}).ok());
    EXPECT_FALSE(Render("NOPE", json::object()).ok());
    EXPECT_FALSE(Render("GENERIC", json::array()).ok());
}

TEST(Render, OtherKinds) {
    EXPECT_TRUE(Render("REPAYMENT_RECEIVED", {{"amount", 10000}}).ok());
    auto s = Render("STATEMENT_CLOSED", {{"period", "2027-01"}, {"billed", 28000}, {"due_date", "2027-03-01"}});
    ASSERT_TRUE(s.ok());
    EXPECT_NE(s->body.find("¥28,000"), std::string::npos);
    EXPECT_EQ(s->data["due_date"], "2027-03-01");  // for the app's reminder
    auto notice = Render("INTEREST_NOTICE", {{"period", "2027-01"}, {"unpaid", 100000}, {"due_date", "2027-03-01"}});
    ASSERT_TRUE(notice.ok());
    EXPECT_EQ(notice->data["due_date"], "2027-03-01");
    auto bare = Render("INTEREST_NOTICE", {{"period", "2027-01"}, {"unpaid", 100000}});
    ASSERT_TRUE(bare.ok());
    EXPECT_FALSE(bare->data.contains("due_date"));
    EXPECT_TRUE(Render("CARD_STATUS", {{"status", "SUSPENDED"}}).ok());
}

TEST(FormatYen, GroupsThousands) {
    EXPECT_EQ(FormatYen(0), "¥0");
    EXPECT_EQ(FormatYen(999), "¥999");
    EXPECT_EQ(FormatYen(1000), "¥1,000");
    EXPECT_EQ(FormatYen(1234567), "¥1,234,567");
    EXPECT_EQ(FormatYen(-300), "-¥300");
}

TEST(ClassifyPushResult, MapsGatewayAnswersToActions) {
    EXPECT_EQ(ClassifyPushResult(200, ""), PushAction::kDelivered);
    EXPECT_EQ(ClassifyPushResult(400, "BadDeviceToken"), PushAction::kDropToken);
    EXPECT_EQ(ClassifyPushResult(410, "Unregistered"), PushAction::kDropToken);
    EXPECT_EQ(ClassifyPushResult(404, "UNREGISTERED"), PushAction::kDropToken);
    EXPECT_EQ(ClassifyPushResult(429, "TooManyRequests"), PushAction::kRetry);
    EXPECT_EQ(ClassifyPushResult(503, "UNAVAILABLE"), PushAction::kRetry);
    EXPECT_EQ(ClassifyPushResult(500, "InternalServerError"), PushAction::kRetry);
    EXPECT_EQ(ClassifyPushResult(0, ""), PushAction::kRetry);
    EXPECT_EQ(ClassifyPushResult(413, "PayloadTooLarge"), PushAction::kGiveUp);
    EXPECT_EQ(ClassifyPushResult(400, "PayloadEmpty"), PushAction::kGiveUp);
    EXPECT_EQ(PushActionName(PushAction::kDropToken), "DROP_TOKEN");
}

}  // namespace
}  // namespace sim::platform::notification::domain
