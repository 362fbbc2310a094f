#include <gtest/gtest.h>

#include "fake_test_env.hpp"
#include "fakes/push/gateway.hpp"

namespace sim::fakes::push {
namespace {

using testing::World;

PushMessage Msg(std::string token, std::string body = "¥1,280 at SIM MART") {
    PushMessage m;
    m.token = std::move(token);
    m.title = "Card used";
    m.body = std::move(body);
    return m;
}

TEST(PushGateway, RecordsDeliveriesPerToken) {
    World w;
    PushGateway g(w.clock, 1);
    EXPECT_EQ(g.Send(Msg("apns-ok-1")).status, 200);
    EXPECT_EQ(g.Send(Msg("fcm-ok-1")).status, 200);
    EXPECT_EQ(g.Deliveries("", 0, 100).size(), 2u);
    auto mine = g.Deliveries("fcm-ok-1", 0, 100);
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_EQ(mine[0].platform, PushPlatform::kFcm);
    EXPECT_EQ(mine[0].seq, 2u);
}

TEST(PushGateway, MagicTokensGetTheGatewayErrors) {
    World w;
    PushGateway g(w.clock, 1);
    EXPECT_EQ(g.Send(Msg("apns-bad-1")).reason, "BadDeviceToken");
    auto gone = g.Send(Msg("apns-gone-1"));
    EXPECT_EQ(gone.status, 410);
    EXPECT_EQ(gone.reason, "Unregistered");
    EXPECT_TRUE(gone.unregistered_at.has_value());
    EXPECT_EQ(g.Send(Msg("apns-busy-1")).status, 429);
    EXPECT_EQ(g.Send(Msg("apns-busy-1")).status, 200);
    EXPECT_EQ(g.Send(Msg("fcm-unreg-1")).reason, "UNREGISTERED");
    EXPECT_EQ(g.Send(Msg("fcm-down-1")).status, 503);
    EXPECT_EQ(g.Send(Msg("fcm-down-1")).status, 503);
    EXPECT_EQ(g.Send(Msg("fcm-down-1")).status, 200);
    EXPECT_EQ(g.Deliveries("", 0, 100).size(), 2u);
}

TEST(PushGateway, InvalidTokensAndPayloads) {
    World w;
    PushGateway g(w.clock, 1);
    EXPECT_EQ(g.Send(Msg("")).reason, "MissingDeviceToken");
    EXPECT_EQ(g.Send(Msg("bad token!")).reason, "BadDeviceToken");
    EXPECT_EQ(g.Send(Msg("fcm-x y")).reason, "INVALID_ARGUMENT");
    auto big = g.Send(Msg("apns-ok", std::string(5000, 'x')));
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(big.reason, "PayloadTooLarge");
    PushMessage empty;
    empty.token = "apns-ok";
    EXPECT_EQ(g.Send(empty).reason, "PayloadEmpty");
    g.Unregister("apns-ok");
    EXPECT_EQ(g.Send(Msg("apns-ok")).status, 410);
}

TEST(PushGateway, CardNumbersInPayloadsAreMaskedAndFlagged) {
    World w;
    PushGateway g(w.clock, 1);
    auto r = g.Send(Msg("apns-ok", "card 4111111111111111 used"));
    ASSERT_TRUE(r.delivery);
    EXPECT_TRUE(r.delivery->contains_card_number);
    EXPECT_EQ(r.delivery->body.find("4111111111111111"), std::string::npos);
}

TEST(PushGateway, AwaitWakesOnDeliveryOrTimesOutOnTheClock) {
    World w;
    PushGateway g(w.clock, 1);
    std::vector<Delivery> got;
    bool timed_out = true;
    int calls = 0;
    g.Await("apns-a", 0, 2, std::chrono::seconds(30), [&](std::vector<Delivery> d, bool t) {
        got = std::move(d);
        timed_out = t;
        ++calls;
    });
    g.Send(Msg("apns-a"));
    EXPECT_EQ(calls, 0);
    g.Send(Msg("apns-b"));
    g.Send(Msg("apns-a"));
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(got.size(), 2u);
    w.Advance(std::chrono::minutes(1));
    EXPECT_EQ(calls, 1);  // the timer was cancelled

    g.Await("apns-none", 0, 1, std::chrono::seconds(30), [&](std::vector<Delivery> d, bool t) {
        got = std::move(d);
        timed_out = t;
        ++calls;
    });
    w.Advance(std::chrono::seconds(29));
    EXPECT_EQ(calls, 1);
    w.Advance(std::chrono::seconds(1));
    EXPECT_EQ(calls, 2);
    EXPECT_TRUE(timed_out);
    EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace sim::fakes::push
