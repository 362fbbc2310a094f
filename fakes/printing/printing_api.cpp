#include "fakes/printing/printing_api.hpp"

#include "sim/core/trace.hpp"

namespace sim::fakes::printing {

using common::JsonReader;
using common::ToResponse;
using core::Request;
using core::Response;

namespace {
constexpr const char* kSystem = "printing";
}

nlohmann::json ToJson(const Order& o) {
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : o.events) events.push_back({{"type", e.type}, {"at", core::FormatIso8601(e.at)}});
    nlohmann::json j = {{"order_id", o.id},
                        {"card_ref", o.input.card_ref},
                        {"embossed_name", o.input.embossed_name},
                        {"masked_number", o.input.masked_number},
                        {"status", o.status},
                        {"events", events}};
    if (!o.tracking_number.empty()) j["tracking_number"] = o.tracking_number;
    return j;
}

PrintingApi::PrintingApi(common::FakeEnv& env, PrinterOptions options) : env_(env) {
    model_ = std::make_unique<CardPrinter>(env.clock(), options, [this](const Order& o, const OrderEvent& e) {
        nlohmann::json body = {{"order_id", o.id},
                               {"card_ref", o.input.card_ref},
                               {"event", e.type},
                               {"at", core::FormatIso8601(e.at)}};
        if (!o.tracking_number.empty()) body["tracking_number"] = o.tracking_number;
        env_.Callback(kSystem, "callback_order_event", "/ext/v1/printing/events", body, o.id + ":" + e.type, {}, nullptr,
                      o.trace_id);
    });
}

void PrintingApi::Install(core::Router& router) {
    CardPrinter& m = *model_;
    env_.Route(router, "POST", "/printing/v1/orders", kSystem, "place_order", [&m](const Request& r) {
        JsonReader in(r);
        OrderInput o;
        o.card_ref = in.String("card_ref", true, 64);
        o.embossed_name = in.String("embossed_name", true, 64);
        o.masked_number = in.String("masked_number", true, 32);
        nlohmann::json delivery = in.Object("delivery", true);
        if (in.failed()) return in.problem();
        JsonReader d(delivery, "delivery.");
        o.postal_code = d.String("postal_code", true, 8);
        o.address = d.String("address", true, 300);
        o.recipient = d.String("recipient", true, 100);
        if (d.failed()) return d.problem();
        auto order = m.PlaceOrder(o, core::TraceIdOf(r));
        return order ? Response::Json(202, ToJson(*order)) : ToResponse(order.error());
    });
    env_.Route(router, "GET", "/printing/v1/orders/{id}", kSystem, "get_order", [&m](const Request& r) {
        auto order = m.Get(r.path_params.at("id"));
        return order ? Response::Json(200, ToJson(*order)) : ToResponse(order.error());
    });
}

}  // namespace sim::fakes::printing
