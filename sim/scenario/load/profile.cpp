#include "sim/scenario/load/profile.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "sim/scenario/load/report.hpp"

namespace sim::scenario::load {

namespace {

core::Error Bad(const std::string& field, const std::string& why) { return core::Error::InvalidArgument(field + ": " + why); }

core::Result<core::Duration> DurationOf(const nlohmann::json& j, const std::string& field) {
    if (!j.is_string()) return core::Fail(Bad(field, "must be a duration such as \"PT30S\" or \"30s\""));
    auto d = core::ParseDuration(j.get<std::string>());
    if (!d) return core::Fail(Bad(field, d.error().message));
    return *d;
}

std::string Join(const std::set<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace

core::Result<LoadProfile> ParseProfile(const nlohmann::json& json, const std::set<std::string>& known_flows,
                                       const ProfileOverrides& overrides,
                                       const std::map<std::string, std::set<std::string>>* flow_hops) {
    if (!json.is_object()) return core::Fail(Bad("profile", "must be a JSON object"));
    static const std::set<std::string> kKeys = {"name", "description", "duration", "warmup", "interval", "population", "flows", "thresholds"};
    for (const auto& [key, _] : json.items())
        if (!kKeys.count(key)) return core::Fail(Bad(key, "unknown field (expected " + Join(kKeys) + ")"));
    LoadProfile p;
    if (!json.contains("name") || !json["name"].is_string() || json["name"].get<std::string>().empty())
        return core::Fail(Bad("name", "required: a non-empty string"));
    p.name = json["name"].get<std::string>();
    if (json.contains("description")) {
        if (!json["description"].is_string()) return core::Fail(Bad("description", "must be a string"));
        p.description = json["description"].get<std::string>();
    }
    if (!json.contains("duration")) return core::Fail(Bad("duration", "required"));
    auto duration = DurationOf(json["duration"], "duration");
    if (!duration) return core::Fail(duration.error());
    p.duration = overrides.duration.value_or(*duration);
    if (p.duration <= core::Duration::zero()) return core::Fail(Bad("duration", "must be > 0"));
    if (json.contains("warmup")) {
        auto w = DurationOf(json["warmup"], "warmup");
        if (!w) return core::Fail(w.error());
        if (*w < core::Duration::zero()) return core::Fail(Bad("warmup", "must be >= 0"));
        p.warmup = *w;
    }
    if (json.contains("interval")) {
        auto i = DurationOf(json["interval"], "interval");
        if (!i) return core::Fail(i.error());
        if (*i < std::chrono::milliseconds(100)) return core::Fail(Bad("interval", "must be at least 100ms"));
        p.interval = *i;
    }
    // At most 600 timeline intervals: longer runs get wider intervals.
    while (p.duration / p.interval > 600) p.interval *= 2;
    if (json.contains("population")) {
        const auto& pop = json["population"];
        if (!pop.is_object()) return core::Fail(Bad("population", "must be an object {\"members\": N}"));
        for (const auto& [key, _] : pop.items())
            if (key != "members") return core::Fail(Bad("population." + key, "unknown field (expected members)"));
        if (pop.contains("members")) {
            if (!pop["members"].is_number_integer() || pop["members"].get<std::int64_t>() < 1 ||
                pop["members"].get<std::int64_t>() > 100000)
                return core::Fail(Bad("population.members", "must be an integer between 1 and 100000"));
            p.members = pop["members"].get<std::uint32_t>();
        }
    }
    if (!json.contains("flows") || !json["flows"].is_object() || json["flows"].empty())
        return core::Fail(Bad("flows", "required: an object of flow name -> {\"rate\": {...}} (known flows: " + Join(known_flows) + ")"));
    for (const auto& [name, spec] : json["flows"].items()) {
        std::string field = "flows." + name;
        if (!known_flows.count(name)) return core::Fail(Bad(field, "unknown flow (known: " + Join(known_flows) + ")"));
        if (!spec.is_object()) return core::Fail(Bad(field, "must be an object {\"rate\": {...}}"));
        for (const auto& [key, _] : spec.items())
            if (key != "rate") return core::Fail(Bad(field + "." + key, "unknown field (expected rate)"));
        if (!spec.contains("rate")) return core::Fail(Bad(field + ".rate", "required"));
        auto rate = RateCurve::Parse(spec["rate"], field + ".rate", p.warmup + p.duration);
        if (!rate) return core::Fail(rate.error());
        p.flows.push_back({name, std::move(rate).value()});
    }
    if (overrides.rate_scale <= 0 || !std::isfinite(overrides.rate_scale))
        return core::Fail(Bad("--rate-scale", "must be a number > 0"));
    if (json.contains("thresholds")) {
        const auto& ts = json["thresholds"];
        if (!ts.is_array()) return core::Fail(Bad("thresholds", "must be an array of strings such as \"card_use.e2e.p99 < 50ms\""));
        for (std::size_t i = 0; i < ts.size(); ++i) {
            std::string field = "thresholds[" + std::to_string(i) + "]";
            if (!ts[i].is_string()) return core::Fail(Bad(field, "must be a string"));
            auto t = ParseThreshold(ts[i].get<std::string>());
            if (!t) return core::Fail(Bad(field, t.error().message));
            if (!t->flow.empty() && std::none_of(p.flows.begin(), p.flows.end(), [&](const FlowSpec& f) { return f.name == t->flow; }))
                return core::Fail(Bad(field, "threshold \"" + t->text + "\" names flow \"" + t->flow + "\", which the profile does not run"));
            if (flow_hops && t->metric == Threshold::Metric::kLatency) {
                std::set<std::string> hops = {"e2e", kServerE2eHop};
                if (auto it = flow_hops->find(t->flow); it != flow_hops->end()) hops.insert(it->second.begin(), it->second.end());
                if (!hops.count(t->hop))
                    return core::Fail(Bad(field, "threshold \"" + t->text + "\" names hop \"" + t->hop + "\" of " + t->flow +
                                                     " (known: " + Join(hops) + ")"));
            }
            p.thresholds.push_back(std::move(t).value());
        }
    }
    return p;
}

}  // namespace sim::scenario::load
