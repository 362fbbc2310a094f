#include "fakes/push/push_api.hpp"

#include "fakes/common/support.hpp"

namespace sim::fakes::push {

using common::FieldProblem;
using common::JsonReader;
using core::Request;
using core::Response;

namespace {

constexpr const char* kSystem = "push";

nlohmann::json ToJson(const Delivery& d) {
    auto data = nlohmann::json::parse(d.data_json, nullptr, false);
    return {{"seq", d.seq},
            {"delivery_id", d.id},
            {"token", d.token},
            {"platform", ToString(d.platform)},
            {"title", d.title},
            {"body", d.body},
            {"data", data.is_discarded() ? nlohmann::json::object() : data},
            {"contains_card_number", d.contains_card_number},
            {"delivered_at", core::FormatIso8601(d.at)}};
}

std::string FcmStatus(int status) {
    switch (status) {
        case 400: return "INVALID_ARGUMENT";
        case 404: return "NOT_FOUND";
        case 429: return "RESOURCE_EXHAUSTED";
        case 503: return "UNAVAILABLE";
        default: return "INTERNAL";
    }
}

// APNs errors carry {"reason": ...}; FCM errors {"error":{"code","status","details":[{"errorCode"}]}}.
// Both also carry the problem members (field, detail) of the fakes' bad-input convention.
Response ErrorResponse(PushPlatform platform, const SendResult& r) {
    Response resp = FieldProblem(r.status, r.field, r.reason);
    auto body = nlohmann::json::parse(resp.body);
    if (platform == PushPlatform::kFcm) {
        body["error"] = {{"code", r.status},
                         {"message", r.reason},
                         {"status", FcmStatus(r.status)},
                         {"details", {{{"@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError"},
                                       {"errorCode", r.reason}}}}};
        if (r.status == 503) resp.headers.Set("Retry-After", "1");
    } else if (r.unregistered_at) {
        body["timestamp"] = core::ToEpochMillis(*r.unregistered_at);
    }
    resp.body = body.dump();
    return resp;
}

bool ParseCount(const Request& r, const char* name, std::uint64_t max, std::uint64_t* out, Response* problem) {
    auto v = r.QueryParam(name);
    if (!v || v->empty()) return true;
    if (v->find_first_not_of("0123456789") != std::string::npos || v->size() > 12 || std::stoull(*v) > max) {
        *problem = FieldProblem(400, name, "must be an integer between 0 and " + std::to_string(max));
        return false;
    }
    *out = std::stoull(*v);
    return true;
}

}  // namespace

void PushApi::Install(core::Router& router) {
    PushGateway& m = model_;
    env_.Route(router, "POST", "/push/v1/send", kSystem, "send", [&m](const Request& r) {
        JsonReader in(r);
        PushMessage msg;
        msg.token = in.String("token", false, 8192);
        msg.title = in.String("title", false, 8192);
        msg.body = in.String("body", false, 8192);
        msg.data_json = in.Object("data").dump();
        if (in.failed()) return in.problem();
        SendResult result = m.Send(msg);
        PushPlatform platform = PlatformOf(msg.token);
        if (result.status != 200) return ErrorResponse(platform, result);
        Response resp = Response::Json(200, {{"delivery_id", result.delivery->id},
                                             {"platform", ToString(platform)},
                                             {"name", "projects/cardsim/messages/" + result.delivery->id}});
        if (platform == PushPlatform::kApns) resp.headers.Set("apns-id", result.delivery->id);
        return resp;
    });
    env_.Route(router, "GET", "/push/v1/deliveries", kSystem, "list_deliveries", [&m](const Request& r) {
        std::uint64_t after = 0, limit = 1000;
        Response problem;
        if (!ParseCount(r, "after", UINT32_MAX, &after, &problem) || !ParseCount(r, "limit", 10000, &limit, &problem))
            return problem;
        nlohmann::json list = nlohmann::json::array();
        for (const auto& d : m.Deliveries(r.QueryParam("token").value_or(""), after, limit)) list.push_back(ToJson(d));
        return Response::Json(200, {{"deliveries", list}});
    });
    env_.Route(router, "GET", "/push/v1/deliveries/await", kSystem, "await_deliveries",
               [&m](Request r, core::Respond respond) {
                   std::uint64_t after = 0, count = 1;
                   Response problem;
                   if (!ParseCount(r, "after", UINT32_MAX, &after, &problem) ||
                       !ParseCount(r, "count", 1000, &count, &problem))
                       return respond(problem);
                   if (count == 0) return respond(FieldProblem(400, "count", "must be between 1 and 1000"));
                   core::Duration timeout = std::chrono::seconds(30);
                   if (auto t = r.QueryParam("timeout"); t && !t->empty()) {
                       auto d = core::ParseDuration(*t);
                       if (!d || d->count() < 0 || *d > std::chrono::hours(24))
                           return respond(FieldProblem(400, "timeout", "must be a duration up to PT24H, e.g. PT30S"));
                       timeout = *d;
                   }
                   m.Await(r.QueryParam("token").value_or(""), after, count, timeout,
                           [respond](std::vector<Delivery> ds, bool timed_out) {
                               nlohmann::json list = nlohmann::json::array();
                               for (const auto& d : ds) list.push_back(ToJson(d));
                               respond(Response::Json(200, {{"deliveries", list}, {"timed_out", timed_out}}));
                           });
               });
    env_.Route(router, "POST", "/push/simulate/unregister", kSystem, "simulate_unregister", [&m](const Request& r) {
        JsonReader in(r);
        std::string token = in.String("token", true, 4096);
        if (in.failed()) return in.problem();
        m.Unregister(token);
        return Response::Json(200, {{"token", token}, {"unregistered", true}});
    });
}

}  // namespace sim::fakes::push
