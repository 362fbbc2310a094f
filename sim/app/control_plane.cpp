#include "sim/app/control_plane.hpp"

#include "sim/core/time.hpp"

namespace sim::app {

using core::Request;
using core::Response;

ControlPlane::ControlPlane(std::string version, clock::Clock& clock, clock::VirtualClock* virtual_clock,
                           metrics::Registry& metrics, std::function<nlohmann::json()> services,
                           std::function<void()> on_clock_changed)
    : version_(std::move(version)),
      clock_(clock),
      virtual_clock_(virtual_clock),
      metrics_(metrics),
      services_(std::move(services)),
      on_clock_changed_(std::move(on_clock_changed)) {}

void ControlPlane::AddRoutesTo(core::Router& router) {
    auto health = core::FromSync([this](const Request&) { return Health(); });
    router.Add("GET", "/_sim/health", health);
    router.Add("GET", "/_localstack/health", health);
    router.Add("GET", "/_sim/metrics", core::FromSync([this](const Request&) { return Metrics(); }));
    router.Add("GET", "/_sim/clock", core::FromSync([this](const Request&) { return GetClock(); }));
    core::RouteOptions small_body;
    small_body.max_body_bytes = 64 * 1024;
    router.Add("POST", "/_sim/clock", core::FromSync([this](const Request& r) { return PostClock(r); }), small_body);
    router.Add("POST", "/_sim/reset", core::FromSync([this](const Request&) { return Reset(); }), small_body);
    router.Add("GET", "/_sim/spans", core::FromSync([this](const Request&) { return Spans(); }));
    router.Add("DELETE", "/_sim/spans", core::FromSync([this](const Request&) {
                   metrics_.Spans().Reset();
                   return Response::Json(200, {{"reset", "spans"}});
               }));
    router.Add("GET", "/_sim/traces", core::FromSync([this](const Request& r) { return Trace(r); }));
    core::RouteOptions id_list;
    id_list.max_body_bytes = 2 * 1024 * 1024;
    router.Add("POST", "/_sim/traces/extents", core::FromSync([this](const Request& r) { return TraceExtents(r); }),
               id_list);
}

nlohmann::json ControlPlane::ClockJson() const {
    return {{"mode", clock::ToString(clock_.Mode())}, {"now", core::FormatIso8601(clock_.Now())}};
}

Response ControlPlane::Health() const {
    double uptime = std::chrono::duration<double>(uptime_.Elapsed()).count();
    return Response::Json(200, {{"status", "ok"},
                                {"version", version_},
                                {"edition", "cardsim"},
                                {"uptime_seconds", uptime},
                                {"clock", ClockJson()},
                                {"services", services_ ? services_() : nlohmann::json::object()}});
}

Response ControlPlane::Metrics() const {
    return Response::Text(200, metrics_.RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8");
}

Response ControlPlane::Spans() const {
    const auto& spans = metrics_.Spans();
    nlohmann::json hops = nlohmann::json::object();
    for (const auto& [hop, h] : spans.Hops()) {
        hops[hop] = h.SummaryJson();
        hops[hop]["histogram"] = h.ToJson();
    }
    return Response::Json(200, {{"clock", ClockJson()},
                                {"recorded", spans.Recorded()},
                                {"dropped", spans.Dropped()},
                                {"hops", std::move(hops)}});
}

Response ControlPlane::Trace(const Request& request) const {
    auto id = request.QueryParam("trace_id");
    if (auto hop = request.QueryParam("hop"); hop && !hop->empty() && !id) {
        // Which traces went through a hop lately (to pick one and ask for all its spans).
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : metrics_.Spans().RecentOf(*hop, 100))
            out.push_back({{"trace_id", s.trace_id},
                           {"hop", s.hop},
                           {"start", core::FormatIso8601(s.start)},
                           {"duration_ns", (s.end - s.start).count()}});
        return Response::Json(200, {{"hop", *hop}, {"spans", std::move(out)}});
    }
    if (!id || id->empty())
        return Response::Problem(400, "Bad Request",
                                 "trace_id or hop is required: GET /_sim/traces?trace_id=ID or ?hop=NAME");
    auto spans = metrics_.Spans().SpansOf(*id);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : spans)
        out.push_back({{"hop", s.hop},
                       {"start", core::FormatIso8601(s.start)},
                       {"offset_ns", (s.start - spans.front().start).count()},
                       {"duration_ns", (s.end - s.start).count()}});
    return Response::Json(200, {{"trace_id", *id}, {"spans", std::move(out)}});
}

Response ControlPlane::TraceExtents(const Request& request) const {
    // The extents of many traces in one call (cardsim load asks for every measured arrival's).
    constexpr std::size_t kMaxIds = 10'000;
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object() || !body.contains("trace_ids") || !body["trace_ids"].is_array())
        return Response::Problem(400, "Bad Request", R"(expected a JSON object: {"trace_ids": ["ID", ...]})");
    const auto& ids = body["trace_ids"];
    if (ids.size() > kMaxIds)
        return Response::Problem(400, "Bad Request",
                                 "trace_ids: at most " + std::to_string(kMaxIds) + " ids per call, got " +
                                     std::to_string(ids.size()));
    nlohmann::json extents = nlohmann::json::object();
    nlohmann::json missing = nlohmann::json::array();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!ids[i].is_string())
            return Response::Problem(400, "Bad Request", "trace_ids[" + std::to_string(i) + "] must be a string");
        const auto& id = ids[i].get_ref<const std::string&>();
        if (auto e = metrics_.Spans().ExtentOf(id))
            extents[id] = {{"start", core::FormatIso8601(e->start)},
                           {"duration_ns", (e->end - e->start).count()},
                           {"spans", e->spans}};
        else
            missing.push_back(id);
    }
    return Response::Json(200, {{"extents", std::move(extents)}, {"missing", std::move(missing)}});
}

Response ControlPlane::GetClock() const { return Response::Json(200, ClockJson()); }

Response ControlPlane::PostClock(const Request& request) {
    if (!virtual_clock_)
        return Response::Problem(409, "Conflict",
                                 "the clock is real (wall time) and cannot be moved; start with --clock virtual");
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object())
        return Response::Problem(400, "Bad Request",
                                 R"(expected a JSON object: {"advance":"PT12H"} or {"set":"2027-01-01T00:00:00Z"})");
    for (const auto& [key, value] : body.items()) {
        if (key != "advance" && key != "set" && key != "step")
            return Response::Problem(400, "Bad Request", "unknown field \"" + key + "\"; accepted: advance, set, step");
    }
    if (body.size() != 1)
        return Response::Problem(400, "Bad Request",
                                 "give exactly one of \"advance\" (a duration), \"set\" (a time) or \"step\"");
    if (body.contains("step")) return StepClock(body["step"]);
    bool has_advance = body.contains("advance");
    const nlohmann::json& value = has_advance ? body["advance"] : body["set"];
    if (!value.is_string())
        return Response::Problem(400, "Bad Request", std::string(has_advance ? "advance" : "set") + " must be a string");
    core::TimePoint target;
    if (has_advance) {
        auto d = core::ParseDuration(value.get<std::string>());
        if (!d) return Response::Problem(400, "Bad Request", d.error().message);
        if (d->count() < 0) return Response::Problem(400, "Bad Request", "advance must not be negative");
        target = clock_.Now() + *d;
    } else {
        auto t = core::ParseIso8601(value.get<std::string>());
        if (!t) return Response::Problem(400, "Bad Request", t.error().message);
        if (*t < clock_.Now())
            return Response::Problem(400, "Bad Request",
                                     "cannot set the clock back: " + value.get<std::string>() + " is before now (" +
                                         core::FormatIso8601(clock_.Now()) + ")");
        target = *t;
    }
    auto before = clock_.Now();
    try {
        virtual_clock_->AdvanceTo(target);
    } catch (const std::logic_error& e) {
        return Response::Problem(409, "Conflict", std::string("the clock is already being advanced: ") + e.what());
    }
    if (on_clock_changed_) on_clock_changed_();
    nlohmann::json out = ClockJson();
    out["previous"] = core::FormatIso8601(before);
    return Response::Json(200, out);
}

Response ControlPlane::StepClock(const nlohmann::json& step) {
    // {"step":{"until":T}}: fire the next timer due at or before T (then run to quiescence), or
    // move to T when none is. An outside await calls this repeatedly, checking between steps.
    if (!step.is_object() || !step.contains("until") || !step["until"].is_string() || step.size() != 1)
        return Response::Problem(400, "Bad Request", R"(step must be {"until":"<ISO 8601 time>"})");
    auto until = core::ParseIso8601(step["until"].get<std::string>());
    if (!until) return Response::Problem(400, "Bad Request", "step.until: " + until.error().message);
    auto before = clock_.Now();
    bool fired = false;
    try {
        fired = virtual_clock_->StepUntil(*until);
    } catch (const std::logic_error& e) {
        return Response::Problem(409, "Conflict", std::string("the clock is already being advanced: ") + e.what());
    }
    if (on_clock_changed_ && clock_.Now() != before) on_clock_changed_();
    nlohmann::json out = ClockJson();
    out["previous"] = core::FormatIso8601(before);
    out["fired"] = fired;
    return Response::Json(200, out);
}

Response ControlPlane::Reset() {
    nlohmann::json done = nlohmann::json::array();
    for (const auto& hook : reset_hooks_) {
        hook.reset();
        done.push_back(hook.component);
    }
    return Response::Json(200, {{"reset", done}});
}

}  // namespace sim::app
