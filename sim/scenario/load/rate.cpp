#include "sim/scenario/load/rate.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace sim::scenario::load {

namespace {

using core::Duration;

core::Result<double> NonNegativeRate(const nlohmann::json& spec, const std::string& key, const std::string& field) {
    auto it = spec.find(key);
    if (it == spec.end()) return core::Fail(core::Error::InvalidArgument(field + "." + key + ": required"));
    if (!it->is_number()) return core::Fail(core::Error::InvalidArgument(field + "." + key + ": must be a number (arrivals per second)"));
    double v = it->get<double>();
    if (!std::isfinite(v) || v < 0)
        return core::Fail(core::Error::InvalidArgument(field + "." + key + ": must be a finite number >= 0, got " + it->dump()));
    return v;
}

core::Result<Duration> DurationField(const nlohmann::json& spec, const std::string& key, const std::string& field) {
    auto it = spec.find(key);
    if (it == spec.end()) return core::Fail(core::Error::InvalidArgument(field + "." + key + ": required"));
    if (!it->is_string()) return core::Fail(core::Error::InvalidArgument(field + "." + key + ": must be a duration such as \"PT10S\" or \"10s\""));
    auto d = core::ParseDuration(it->get<std::string>());
    if (!d) return core::Fail(core::Error::InvalidArgument(field + "." + key + ": " + d.error().message));
    return *d;
}

core::Status<> OnlyKeys(const nlohmann::json& spec, std::initializer_list<const char*> allowed, const std::string& field) {
    for (const auto& [key, _] : spec.items()) {
        if (std::find_if(allowed.begin(), allowed.end(), [&k = key](const char* a) { return k == a; }) == allowed.end()) {
            std::string list;
            for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
            return core::Fail(core::Error::InvalidArgument(field + "." + key + ": unknown field (expected " + list + ")"));
        }
    }
    return core::Ok();
}

}  // namespace

RateCurve RateCurve::Constant(double per_second) {
    RateCurve c;
    c.kind_ = "constant";
    c.points_ = {{Duration::zero(), per_second}};
    return c;
}

core::Result<RateCurve> RateCurve::Parse(const nlohmann::json& spec, const std::string& field, Duration run) {
    if (!spec.is_object()) return core::Fail(core::Error::InvalidArgument(field + ": must be an object with a \"kind\""));
    auto kind_it = spec.find("kind");
    if (kind_it == spec.end() || !kind_it->is_string())
        return core::Fail(core::Error::InvalidArgument(field + ".kind: required: constant, ramp, steps or spike"));
    const std::string kind = kind_it->get<std::string>();
    RateCurve c;
    c.kind_ = kind;
    if (kind == "constant") {
        if (auto s = OnlyKeys(spec, {"kind", "per_second"}, field); !s) return core::Fail(s.error());
        auto r = NonNegativeRate(spec, "per_second", field);
        if (!r) return core::Fail(r.error());
        c.points_ = {{Duration::zero(), *r}};
    } else if (kind == "ramp") {
        if (auto s = OnlyKeys(spec, {"kind", "from", "to", "over"}, field); !s) return core::Fail(s.error());
        auto from = NonNegativeRate(spec, "from", field);
        if (!from) return core::Fail(from.error());
        auto to = NonNegativeRate(spec, "to", field);
        if (!to) return core::Fail(to.error());
        Duration over = run;
        if (spec.contains("over")) {
            auto d = DurationField(spec, "over", field);
            if (!d) return core::Fail(d.error());
            over = *d;
        }
        if (over <= Duration::zero()) return core::Fail(core::Error::InvalidArgument(field + ".over: must be > 0"));
        c.points_ = {{Duration::zero(), *from}, {over, *to}};
    } else if (kind == "steps") {
        if (auto s = OnlyKeys(spec, {"kind", "steps"}, field); !s) return core::Fail(s.error());
        auto steps = spec.find("steps");
        if (steps == spec.end() || !steps->is_array() || steps->empty())
            return core::Fail(core::Error::InvalidArgument(field + ".steps: required: a non-empty array of {\"at\",\"per_second\"}"));
        for (std::size_t i = 0; i < steps->size(); ++i) {
            const auto& step = (*steps)[i];
            std::string sf = field + ".steps[" + std::to_string(i) + "]";
            if (!step.is_object()) return core::Fail(core::Error::InvalidArgument(sf + ": must be an object"));
            if (auto s = OnlyKeys(step, {"at", "per_second"}, sf); !s) return core::Fail(s.error());
            auto at = DurationField(step, "at", sf);
            if (!at) return core::Fail(at.error());
            auto r = NonNegativeRate(step, "per_second", sf);
            if (!r) return core::Fail(r.error());
            if (i == 0 && *at != Duration::zero())
                return core::Fail(core::Error::InvalidArgument(sf + ".at: the first step must be at PT0S"));
            if (!c.points_.empty() && *at <= c.points_.back().at)
                return core::Fail(core::Error::InvalidArgument(sf + ".at: steps must be in increasing time order"));
            // A step is a jump: hold the previous rate until just before `at`.
            if (!c.points_.empty()) c.points_.push_back({*at - Duration(1), c.points_.back().per_second});
            c.points_.push_back({*at, *r});
        }
    } else if (kind == "spike") {
        if (auto s = OnlyKeys(spec, {"kind", "base", "peak", "at", "for"}, field); !s) return core::Fail(s.error());
        auto base = NonNegativeRate(spec, "base", field);
        if (!base) return core::Fail(base.error());
        auto peak = NonNegativeRate(spec, "peak", field);
        if (!peak) return core::Fail(peak.error());
        auto at = DurationField(spec, "at", field);
        if (!at) return core::Fail(at.error());
        auto length = DurationField(spec, "for", field);
        if (!length) return core::Fail(length.error());
        if (*length <= Duration::zero()) return core::Fail(core::Error::InvalidArgument(field + ".for: must be > 0"));
        c.points_ = {{Duration::zero(), *base}};
        if (*at > Duration::zero()) c.points_.push_back({*at - Duration(1), *base});
        c.points_.push_back({*at, *peak});
        c.points_.push_back({*at + *length - Duration(1), *peak});
        c.points_.push_back({*at + *length, *base});
    } else {
        return core::Fail(core::Error::InvalidArgument(field + ".kind: unknown rate kind \"" + kind +
                                                       "\" (expected constant, ramp, steps or spike)"));
    }
    return c;
}

double RateCurve::At(Duration t) const {
    if (points_.empty()) return 0;
    if (t <= points_.front().at) return points_.front().per_second;
    for (std::size_t i = 1; i < points_.size(); ++i) {
        if (t < points_[i].at) {
            const auto& a = points_[i - 1];
            const auto& b = points_[i];
            double f = static_cast<double>((t - a.at).count()) / static_cast<double>((b.at - a.at).count());
            return a.per_second + (b.per_second - a.per_second) * f;
        }
    }
    return points_.back().per_second;
}

std::vector<Duration> RateCurve::Arrivals(Duration duration, double scale, std::uint32_t shard_index,
                                          std::uint32_t shard_count) const {
    std::vector<Duration> out;
    if (shard_count == 0) shard_count = 1;
    // Integrate in 100 µs steps (trapezoids); an arrival falls where the integral crosses k + 0.5,
    // placed by linear interpolation inside the step.
    constexpr Duration kStep = std::chrono::microseconds(100);
    double integral = 0;
    double next = 0.5;
    std::uint64_t k = 0;
    double rate_before = At(Duration::zero()) * scale;
    for (Duration t = Duration::zero(); t < duration; t += kStep) {
        Duration end = std::min(t + kStep, duration);
        double rate_after = At(end) * scale;
        double span = std::chrono::duration<double>(end - t).count();
        double area = (rate_before + rate_after) / 2 * span;
        while (area > 0 && integral + area >= next) {
            double f = (next - integral) / area;
            Duration at = t + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(f * span));
            if (k % shard_count == shard_index) out.push_back(at);
            ++k;
            next += 1;
        }
        integral += area;
        rate_before = rate_after;
    }
    return out;
}

}  // namespace sim::scenario::load
