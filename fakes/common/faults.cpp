#include "fakes/common/faults.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace sim::fakes::common {

namespace {

core::Duration FromMs(double ms) {
    if (!(ms > 0)) return core::Duration{0};
    return std::chrono::duration_cast<core::Duration>(std::chrono::duration<double, std::milli>(ms));
}

const char* LatencyName(LatencyKind k) {
    switch (k) {
        case LatencyKind::kNone: return "none";
        case LatencyKind::kFixed: return "fixed";
        case LatencyKind::kUniform: return "uniform";
        case LatencyKind::kLogNormal: return "lognormal";
    }
    return "none";
}

std::string FormatDurationMs(core::Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

// Reads a non-negative number member (rates in [0,1] when `rate`).
bool ReadNumber(const nlohmann::json& obj, const std::string& name, const std::string& path, double* out, bool rate,
                ModelError* err) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return true;
    if (!it->is_number()) {
        *err = ModelError::Invalid(path + name, "must be a number");
        return false;
    }
    double v = it->get<double>();
    if (v < 0 || (rate && v > 1) || !std::isfinite(v)) {
        *err = ModelError::Invalid(path + name, rate ? "must be between 0 and 1" : "must not be negative");
        return false;
    }
    *out = v;
    return true;
}

bool ReadDuration(const nlohmann::json& obj, const std::string& name, const std::string& path, core::Duration* out,
                  ModelError* err) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return true;
    if (!it->is_string()) {
        *err = ModelError::Invalid(path + name, "must be a duration string such as \"PT10M\" or \"250ms\"");
        return false;
    }
    auto d = core::ParseDuration(it->get<std::string>());
    if (!d || d->count() < 0) {
        *err = ModelError::Invalid(path + name, "must be a duration such as \"PT10M\" or \"250ms\"");
        return false;
    }
    *out = *d;
    return true;
}

}  // namespace

double StandardNormal(core::Random& random) {
    double u1 = random.NextDouble();
    double u2 = random.NextDouble();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

ModelResult<FaultRule> ParseFaultRule(const nlohmann::json& body) {
    if (!body.is_object()) return core::Fail(ModelError::Invalid("body", "must be a JSON object"));
    static const char* kKnown[] = {"system", "operation", "latency", "error", "timeout", "reset", "callbacks", "count"};
    for (const auto& [key, value] : body.items()) {
        if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
            return core::Fail(ModelError::Invalid(key, "is not a fault field (system, operation, latency, error, "
                                                       "timeout, reset, callbacks, count)"));
    }
    FaultRule rule;
    ModelError err;
    auto sys = body.find("system");
    if (sys == body.end() || !sys->is_string() || sys->get<std::string>().empty())
        return core::Fail(ModelError::Invalid("system", "is required: a system name or \"*\""));
    rule.system = sys->get<std::string>();
    if (auto op = body.find("operation"); op != body.end() && !op->is_null()) {
        if (!op->is_string() || op->get<std::string>().empty())
            return core::Fail(ModelError::Invalid("operation", "must be an operation name or \"*\""));
        rule.operation = op->get<std::string>();
    }
    if (auto lat = body.find("latency"); lat != body.end() && !lat->is_null()) {
        if (!lat->is_object()) return core::Fail(ModelError::Invalid("latency", "must be a JSON object"));
        std::string kind = lat->value("kind", "");
        if (kind == "fixed") {
            rule.latency.kind = LatencyKind::kFixed;
            if (!lat->contains("ms")) return core::Fail(ModelError::Invalid("latency.ms", "is required for fixed"));
            if (!ReadNumber(*lat, "ms", "latency.", &rule.latency.fixed_ms, false, &err)) return core::Fail(err);
        } else if (kind == "uniform") {
            rule.latency.kind = LatencyKind::kUniform;
            if (!lat->contains("min_ms") || !lat->contains("max_ms"))
                return core::Fail(ModelError::Invalid("latency.min_ms", "min_ms and max_ms are required for uniform"));
            if (!ReadNumber(*lat, "min_ms", "latency.", &rule.latency.min_ms, false, &err)) return core::Fail(err);
            if (!ReadNumber(*lat, "max_ms", "latency.", &rule.latency.max_ms, false, &err)) return core::Fail(err);
            if (rule.latency.max_ms < rule.latency.min_ms)
                return core::Fail(ModelError::Invalid("latency.max_ms", "must not be less than min_ms"));
        } else if (kind == "lognormal") {
            rule.latency.kind = LatencyKind::kLogNormal;
            if (!lat->contains("median_ms") || !lat->contains("sigma"))
                return core::Fail(
                    ModelError::Invalid("latency.median_ms", "median_ms and sigma are required for lognormal"));
            if (!ReadNumber(*lat, "median_ms", "latency.", &rule.latency.median_ms, false, &err)) return core::Fail(err);
            if (!ReadNumber(*lat, "sigma", "latency.", &rule.latency.sigma, false, &err)) return core::Fail(err);
        } else {
            return core::Fail(ModelError::Invalid("latency.kind", "must be one of fixed, uniform, lognormal"));
        }
    }
    if (auto e = body.find("error"); e != body.end() && !e->is_null()) {
        if (!e->is_object()) return core::Fail(ModelError::Invalid("error", "must be a JSON object"));
        if (!e->contains("rate")) return core::Fail(ModelError::Invalid("error.rate", "is required"));
        if (!ReadNumber(*e, "rate", "error.", &rule.error_rate, true, &err)) return core::Fail(err);
        if (auto st = e->find("status"); st != e->end()) {
            if (!st->is_number_integer() || st->get<int>() < 400 || st->get<int>() > 599)
                return core::Fail(ModelError::Invalid("error.status", "must be an integer between 400 and 599"));
            rule.error_status = st->get<int>();
        }
        if (auto b = e->find("body"); b != e->end()) rule.error_body = *b;
    }
    for (const char* name : {"timeout", "reset"}) {
        auto t = body.find(name);
        if (t == body.end() || t->is_null()) continue;
        if (!t->is_object()) return core::Fail(ModelError::Invalid(name, "must be a JSON object {\"rate\": 0.1}"));
        if (!t->contains("rate")) return core::Fail(ModelError::Invalid(std::string(name) + ".rate", "is required"));
        double* target = std::string(name) == "timeout" ? &rule.timeout_rate : &rule.reset_rate;
        if (!ReadNumber(*t, "rate", std::string(name) + ".", target, true, &err)) return core::Fail(err);
    }
    if (rule.error_rate + rule.timeout_rate + rule.reset_rate > 1.0 + 1e-9)
        return core::Fail(ModelError::Invalid("error.rate", "error, timeout and reset rates must add up to at most 1"));
    if (auto c = body.find("callbacks"); c != body.end() && !c->is_null()) {
        if (!c->is_object()) return core::Fail(ModelError::Invalid("callbacks", "must be a JSON object"));
        if (!ReadNumber(*c, "duplicate_rate", "callbacks.", &rule.duplicate_rate, true, &err)) return core::Fail(err);
        if (!ReadDuration(*c, "delay", "callbacks.", &rule.callback_delay, &err)) return core::Fail(err);
        if (!ReadDuration(*c, "reorder_window", "callbacks.", &rule.reorder_window, &err)) return core::Fail(err);
    }
    if (auto n = body.find("count"); n != body.end() && !n->is_null()) {
        if (!n->is_number_integer() || n->get<std::int64_t>() <= 0)
            return core::Fail(ModelError::Invalid("count", "must be a positive integer"));
        rule.remaining = n->get<std::uint64_t>();
    }
    return rule;
}

nlohmann::json ToJson(const FaultRule& r) {
    nlohmann::json j = {{"id", r.id}, {"system", r.system}, {"operation", r.operation}, {"applied", r.applied}};
    if (r.latency.kind != LatencyKind::kNone) {
        nlohmann::json l = {{"kind", LatencyName(r.latency.kind)}};
        if (r.latency.kind == LatencyKind::kFixed) l["ms"] = r.latency.fixed_ms;
        if (r.latency.kind == LatencyKind::kUniform) {
            l["min_ms"] = r.latency.min_ms;
            l["max_ms"] = r.latency.max_ms;
        }
        if (r.latency.kind == LatencyKind::kLogNormal) {
            l["median_ms"] = r.latency.median_ms;
            l["sigma"] = r.latency.sigma;
        }
        j["latency"] = l;
    }
    if (r.error_rate > 0) j["error"] = {{"rate", r.error_rate}, {"status", r.error_status}, {"body", r.error_body}};
    if (r.timeout_rate > 0) j["timeout"] = {{"rate", r.timeout_rate}};
    if (r.reset_rate > 0) j["reset"] = {{"rate", r.reset_rate}};
    if (r.duplicate_rate > 0 || r.callback_delay.count() > 0 || r.reorder_window.count() > 0)
        j["callbacks"] = {{"duplicate_rate", r.duplicate_rate},
                          {"delay", FormatDurationMs(r.callback_delay)},
                          {"reorder_window", FormatDurationMs(r.reorder_window)}};
    if (r.remaining) j["remaining"] = *r.remaining;
    return j;
}

FaultRule FaultInjector::Add(FaultRule rule) {
    std::uint64_t n = next_id_++;
    rule.id = "F" + std::to_string(n);
    rule.applied = 0;
    // The rule's generator depends on the seed and its number only.
    slots_.push_back(Slot{rule, core::Random(seed_ ^ (0x9E3779B97F4A7C15ull * n))});
    return rule;
}

bool FaultInjector::Remove(const std::string& id) {
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.rule.id == id; });
    if (it == slots_.end()) return false;
    slots_.erase(it);
    return true;
}

std::vector<FaultRule> FaultInjector::rules() const {
    std::vector<FaultRule> out;
    for (const auto& s : slots_) out.push_back(s.rule);
    return out;
}

FaultInjector::Slot* FaultInjector::Match(const std::string& system, const std::string& operation, bool callback,
                                          bool exact_system) {
    for (auto& s : slots_) {
        const FaultRule& r = s.rule;
        if (r.remaining && *r.remaining == 0) continue;
        if ((exact_system || r.system != "*") && r.system != system) continue;
        if (r.operation != "*" && r.operation != operation) continue;
        bool has_callback_part = r.duplicate_rate > 0 || r.callback_delay.count() > 0 || r.reorder_window.count() > 0;
        bool has_request_part = r.latency.kind != LatencyKind::kNone || r.error_rate > 0 || r.timeout_rate > 0 ||
                                r.reset_rate > 0;
        if (callback ? !has_callback_part : !has_request_part) continue;
        return &s;
    }
    return nullptr;
}

core::Duration FaultInjector::SampleLatency(const LatencySpec& spec, core::Random& random) {
    switch (spec.kind) {
        case LatencyKind::kNone: return core::Duration{0};
        case LatencyKind::kFixed: return FromMs(spec.fixed_ms);
        case LatencyKind::kUniform: return FromMs(spec.min_ms + (spec.max_ms - spec.min_ms) * random.NextDouble());
        case LatencyKind::kLogNormal:
            return FromMs(spec.median_ms * std::exp(spec.sigma * StandardNormal(random)));
    }
    return core::Duration{0};
}

const char* FaultLabel(const FaultDecision& d) {
    switch (d.outcome) {
        case FaultOutcome::kError: return "error";
        case FaultOutcome::kTimeout: return "timeout";
        case FaultOutcome::kReset: return "reset";
        case FaultOutcome::kNone: break;
    }
    return d.latency.count() > 0 ? "latency" : "";
}

FaultDecision FaultInjector::Decide(const std::string& system, const std::string& operation) {
    return DecideRequest(Match(system, operation, false));
}

FaultDecision FaultInjector::DecideAtPlatform(const std::string& operation) {
    return DecideRequest(Match(kPlatformFrontDoor, operation, false, true));
}

FaultDecision FaultInjector::DecideRequest(Slot* s) {
    FaultDecision d;
    if (!s) return d;
    FaultRule& r = s->rule;
    d.rule_id = r.id;
    ++r.applied;
    if (r.remaining) --*r.remaining;
    double u = s->random.NextDouble();
    if (u < r.error_rate) {
        d.outcome = FaultOutcome::kError;
        d.status = r.error_status;
        d.body = r.error_body;
    } else if (u < r.error_rate + r.timeout_rate) {
        d.outcome = FaultOutcome::kTimeout;
    } else if (u < r.error_rate + r.timeout_rate + r.reset_rate) {
        d.outcome = FaultOutcome::kReset;
    }
    d.latency = SampleLatency(r.latency, s->random);
    return d;
}

CallbackDecision FaultInjector::DecideCallback(const std::string& system, const std::string& operation) {
    CallbackDecision d;
    Slot* s = Match(system, operation, true);
    if (!s) return d;
    FaultRule& r = s->rule;
    d.rule_id = r.id;
    ++r.applied;
    if (r.remaining) --*r.remaining;
    if (s->random.NextDouble() < r.duplicate_rate) d.copies = 2;
    d.delay = r.callback_delay;
    if (r.reorder_window.count() > 0) {
        auto window = static_cast<double>(r.reorder_window.count());
        d.delay += core::Duration{static_cast<core::Duration::rep>(window * s->random.NextDouble())};
    }
    return d;
}

}  // namespace sim::fakes::common
