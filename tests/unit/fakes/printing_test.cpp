#include <gtest/gtest.h>

#include "fake_test_env.hpp"
#include "fakes/printing/printing_api.hpp"

namespace sim::fakes::printing {
namespace {

using testing::ApiWorld;
using testing::World;

OrderInput Order1(std::string address = "東京都千代田区千代田1-1") {
    return {"CARD-1", "TARO TESTO", "411111******0013", "100-0001", std::move(address), "テスト 太郎"};
}

TEST(CardPrinter, ShippedOnDayTwoWithTrackingThenDeliveredOnDayFour) {
    World w;
    std::vector<std::string> events;
    CardPrinter p(w.clock, {}, [&](const Order&, const OrderEvent& e) { events.push_back(e.type); });
    auto o = p.PlaceOrder(Order1()).value();
    EXPECT_EQ(o.status, "ACCEPTED");
    w.Advance(std::chrono::days(2));
    EXPECT_EQ(p.Get(o.id)->status, "SHIPPED");
    EXPECT_EQ(p.Get(o.id)->tracking_number.size(), 12u);
    w.Advance(std::chrono::days(2));
    EXPECT_EQ(p.Get(o.id)->status, "DELIVERED");
    EXPECT_EQ(events, (std::vector<std::string>{"SHIPPED", "DELIVERED"}));
}

TEST(CardPrinter, MovedAddressIsReturnedUndeliverableAfterSevenDays) {
    World w;
    CardPrinter p(w.clock, {}, nullptr);
    auto o = p.PlaceOrder(Order1("東京都新宿区 転居先不明")).value();
    w.Advance(std::chrono::days(6));
    EXPECT_EQ(p.Get(o.id)->status, "SHIPPED");
    w.Advance(std::chrono::days(1));
    EXPECT_EQ(p.Get(o.id)->status, "RETURNED_UNDELIVERABLE");
}

TEST(CardPrinter, RefusesFullCardNumbersAndBadEmbossing) {
    World w;
    CardPrinter p(w.clock, {}, nullptr);
    auto o = Order1();
    o.masked_number = "4111110000000013";
    EXPECT_EQ(p.PlaceOrder(o).error().field, "masked_number");
    o = Order1();
    o.embossed_name = "テスト";
    EXPECT_EQ(p.PlaceOrder(o).error().field, "embossed_name");
    o = Order1();
    o.postal_code = "1000001";
    EXPECT_EQ(p.PlaceOrder(o).error().field, "delivery.postal_code");
}

/// A valid POST /printing/v1/orders body.
constexpr const char* kOrderBody =
    R"({"card_ref":"C1","embossed_name":"TARO TESTO","masked_number":"411111******0013",
        "delivery":{"postal_code":"100-0001","address":"東京都","recipient":"テスト 太郎"}})";

TEST(PrintingApiCallbacks, EveryEventCarriesTheOrdersTrace) {
    ApiWorld<PrintingApi> w;
    auto r = w.Call("POST", "/printing/v1/orders", kOrderBody, {{"X-Cardsim-Trace-Id", "trace-order"}});
    ASSERT_EQ(r.status, 202) << r.body;
    w.Advance(std::chrono::days(4));
    ASSERT_EQ(w.platform_calls.size(), 2u);
    for (const auto& call : w.platform_calls)
        EXPECT_EQ(call.headers.Get("X-Cardsim-Trace-Id").value_or(""), "trace-order");
}

TEST(PrintingApiCallbacks, EventsArePostedToThePlatform) {
    ApiWorld<PrintingApi> w;
    auto r = w.Call("POST", "/printing/v1/orders", kOrderBody);
    ASSERT_EQ(r.status, 202) << r.body;
    w.Advance(std::chrono::days(4));
    ASSERT_EQ(w.platform_calls.size(), 2u);
    EXPECT_EQ(w.platform_calls[0].target, "/ext/v1/printing/events");
    EXPECT_EQ(testing::Body(w.platform_calls[0])["event"], "SHIPPED");
    EXPECT_EQ(testing::Body(w.platform_calls[1])["event"], "DELIVERED");
}

}  // namespace
}  // namespace sim::fakes::printing
